// Small helpers the role commands share: repeatable flags, port arguments, the ops address flag, and
// turning a validation error into commander's one-line usage error (exit code 2) instead of a run-time failure.
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { portFromText } from '../common/port.js';

/** For repeatable flags: `--relay-url a --relay-url b` → ['a', 'b']. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Commander argument parser for a port flag (0-65535, plain decimal digits). */
export function portArgument(value: string): number {
  const port = portFromText(value);
  if (port === undefined) throw new InvalidArgumentError('expected a port number between 0 and 65535');
  return port;
}

/**
 * `--ops-host <host>` (the address of /healthz, /readyz and /metrics), the same on every server role. The operator
 * and auth-proxy called it `--ops-address`: that name stays accepted, hidden from --help, so Deployments and
 * scripts written before the rename keep working.
 */
export function addOpsHostOption(command: Command): Command {
  command
    .option('--ops-host <host>', 'address of the ops port (/healthz, /readyz, /metrics)', '0.0.0.0')
    .addOption(new Option('--ops-address <host>', 'old name of --ops-host').hideHelp());
  // Sets --ops-host's own value, so the flags' types and configs know one name; the last one given wins, as for a repeated flag.
  command.on('option:ops-address', (host: string) => command.setOptionValueWithSource('opsHost', host, 'cli'));
  return command;
}

/** Runs a flag parser; a thrown message becomes "error: <message>" and exit code 2. */
export function parseFlags<T>(command: Command, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    command.error(`error: ${error instanceof Error ? error.message : String(error)}`, { exitCode: 2, code: 'clusterconnect.invalidFlag' });
  }
}
