// Small helpers the role commands share: repeatable flags, port arguments, and turning a validation error into
// commander's one-line usage error (exit code 2) instead of a run-time failure.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
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

/** Runs a flag parser; a thrown message becomes "error: <message>" and exit code 2. */
export function parseFlags<T>(command: Command, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    command.error(`error: ${error instanceof Error ? error.message : String(error)}`, { exitCode: 2, code: 'clusterconnect.invalidFlag' });
  }
}
