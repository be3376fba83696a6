// Builds the `clusterconnect` command line. Each role adds its subcommand here as it lands.
// Every module imported here loads on every run, `get-token` included (kubectl runs it for each command), so none
// may load a heavy package (winston, ws, yaml, jose, msal, openid-client, client-node, prom-client) at import: a role's
// runtime that brings one is loaded in its action with `await import()`. test/unit/cli.test.ts checks this.
import { Command, CommanderError } from 'commander';
import { tuneGarbageCollectorForStreaming } from '../common/gc-tuning.js';
import { packageInfo } from '../common/package-info.js';
import { registerAgentCommand } from './agent-command.js';
import { registerAuthProxyCommand } from './auth-proxy-command.js';
import { CommandFailure, ExitCode, exitCodeHelp } from './exit-codes.js';
import { registerClustersCommand } from './clusters-command.js';
import { registerGetTokenCommand } from './get-token-command.js';
import { registerLoginCommand } from './login-command.js';
import { registerOperatorCommand } from './operator-command.js';
import { registerProxyCommand } from './proxy-command.js';
import { registerRelayCommand } from './relay-command.js';

/** One entry per role; each adds its subcommand (with its own --help) to the program. */
const roleCommands: ((program: Command) => void)[] = [
  registerAuthProxyCommand,
  registerOperatorCommand,
  registerRelayCommand,
  registerAgentCommand,
  registerProxyCommand,
  registerLoginCommand,
  registerGetTokenCommand,
  registerClustersCommand,
];

/** `name` is how help shows the command: `clusterconnect`, or `kubectl clusterconnect` for the kubectl plugin. */
export function buildProgram(name = 'clusterconnect'): Command {
  const program = new Command(name)
    .description(
      'Reach a Kubernetes apiserver from anywhere through an outbound-only, end-to-end encrypted tunnel.\n' +
        'One binary runs every role: relay, agent, auth-proxy, operator, and the client proxy.',
    )
    .version(packageInfo().version, '-v, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help for a command')
    .addHelpText('after', exitCodeHelp)
    .showSuggestionAfterError(true)
    .exitOverride();
  // Commander prints its own one-line error; we only decide the exit code.
  program.configureOutput({ outputError: (message, write) => write(message) });
  for (const register of roleCommands) register(program);
  return program;
}

/**
 * Runs the CLI and returns the exit code instead of exiting, so tests can drive it in-process. Both binaries
 * (`clusterconnect` and the kubectl plugin) come through here, so both get the data-path GC setting.
 */
export async function runCli(argv: readonly string[], name?: string): Promise<number> {
  tuneGarbageCollectorForStreaming();
  const program = buildProgram(name);
  try {
    await program.parseAsync([...argv]);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version arrive here as "errors" with exit code 0.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof CommandFailure ? err.exitCode : ExitCode.failure;
  }
}
