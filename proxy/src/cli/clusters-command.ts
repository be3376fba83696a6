// `clusterconnect clusters`: which clusters the relay knows, how many agents each has connected, and when each
// was last seen — the first thing to check when `proxy` says no agent is connected.
import { Option } from 'commander';
import type { Command } from 'commander';
import type { LoginTargetFlags } from '../client/login/login-target.js';
import { clustersJson, clustersTable } from '../client/clusters-output.js';
import { LoginRequiredError } from '../client/login/errors.js';
import { fetchClusters, RelayApiError } from '../client/relay-api.js';
import { withRelayRetries } from '../client/relay-retry.js';
import { parseDuration } from '../common/duration.js';
import { CommandFailure, ExitCode } from './exit-codes.js';
import { parseFlags } from './flag-helpers.js';
import { addLoginTargetOptions } from './login-target-options.js';
import { addRelayClientOptions, relayClientFromFlags } from './relay-client-options.js';
import type { RelayClientFlags } from './relay-client-options.js';
import { startProgress } from './tty-progress.js';

const CLUSTERS_HELP = `
A relay remembers clusters whose agents left (AGENTS 0) only since it started; relays keep no other state.

Exit codes:
  0  the list was printed
  1  run-time failure (relay unreachable after retrying)
  2  invalid command line
  4  the relay refused the credential (HTTP 401/403), or a login is needed`;

interface ClustersFlags extends RelayClientFlags, LoginTargetFlags {
  output: 'table' | 'json';
  relayWait: string;
}

export function registerClustersCommand(program: Command): void {
  const cmd = program
    .command('clusters')
    .description('list the clusters a relay knows, with connected agents and last seen')
    .addOption(new Option('-o, --output <format>', 'table or json').choices(['table', 'json']).default('table'))
    .option('--relay-wait <duration>', 'how long to keep retrying an unreachable relay', '10s');
  addRelayClientOptions(cmd);
  addLoginTargetOptions(cmd)
    .addHelpText('after', CLUSTERS_HELP)
    .action(async (flags: ClustersFlags, command: Command) => {
      const { relay, maxWaitMs } = parseFlags(command, () => ({ relay: relayClientFromFlags(flags, flags), maxWaitMs: parseDuration(flags.relayWait, '--relay-wait') }));
      const progress = startProgress(`asking ${relay.relayUrl.host}`);
      try {
        const answer = await withRelayRetries(
          async () => fetchClusters({ relayUrl: relay.relayUrl, token: (await relay.credential.current()).token, ...(relay.relayCaPem ? { caPem: relay.relayCaPem } : {}) }),
          { maxWaitMs, onRetry: (error, delayMs) => process.stderr.write(`${error.message}; retrying in ${(delayMs / 1000).toFixed(1)} s\n`) },
        );
        progress.stop();
        process.stdout.write(flags.output === 'json' ? clustersJson(answer) : clustersTable(answer));
      } catch (error) {
        progress.stop();
        const denied = error instanceof LoginRequiredError || (error instanceof RelayApiError && (error.failure === 'unauthorized' || error.failure === 'forbidden'));
        throw new CommandFailure((error as Error).message, denied ? 4 : ExitCode.failure);
      }
    });
}
