// `clusterconnect proxy`: the daily command, with `az connectedk8s proxy`'s flags. Asks the relay for the
// cluster's connection info, serves kubectl on 127.0.0.1:PORT, writes the kubeconfig, blocks until Ctrl+C or
// SIGTERM and then takes its kubeconfig entries out again.
import { Option } from 'commander';
import type { Command } from 'commander';
import { parseDuration } from '../common/duration.js';
import { readSecretFlagFile } from '../common/flag-file.js';
import { formatHostPort } from '../common/host-port.js';
import { createLogger } from '../common/logger.js';
import { parsePort } from '../common/port.js';
import { onShutdownSignals } from '../common/shutdown.js';
import { CaPinMismatchError } from '../client/ca-pin.js';
import { DEFAULT_CLIENT_PROXY_PORT } from '../client/client-proxy-config.js';
import { startClusterProxy } from '../client/cluster-proxy.js';
import type { ClusterProxy, ClusterProxyOptions } from '../client/cluster-proxy.js';
import { defaultKubeconfigPath, STDOUT_FILE } from '../client/kubeconfig/kubeconfig-path.js';
import { execCommandForThisCli } from '../client/kubeconfig/kubeconfig-entries.js';
import type { ExecUser, TokenUser } from '../client/kubeconfig/kubeconfig-entries.js';
import { LoginRequiredError } from '../client/login/errors.js';
import { getTokenArgs } from '../client/login/login-target.js';
import type { LoginTargetFlags } from '../client/login/login-target.js';
import { readyJsonLine, readyTextLines } from '../client/ready-output.js';
import type { ReadyState } from '../client/ready-output.js';
import { RelayApiError } from '../client/relay-api.js';
import { checkClusterName } from '../relay/cluster-name.js';
import { CommandFailure, ExitCode } from './exit-codes.js';
import { parseFlags } from './flag-helpers.js';
import { readCaBundleFlag } from '../common/ca-bundle.js';
import { addLoginTargetOptions, hasTargetFlags } from './login-target-options.js';
import { resolveLoginTarget } from '../client/login/login-target.js';
import { addRelayClientOptions, relayClientFromFlags } from './relay-client-options.js';
import type { RelayClientFlags } from './relay-client-options.js';

export const ProxyExitCode = {
  ...ExitCode,
  /** Unknown cluster, or no agent connected for it. */
  clusterUnavailable: 3,
  /** The relay refused the credential (401/403), or a login is needed. */
  unauthorized: 4,
  /** --certificate-authority differs from the CA the relay serves. */
  caMismatch: 5,
} as const;

const PROXY_HELP = `
Examples:
  # one login per audience: the relay's token must never be one the cluster accepts
  clusterconnect login --authority https://login.example.com --client-id cc --audience api://kube-aad-proxy
  clusterconnect login --authority https://login.example.com --client-id cc --audience api://clusterconnect-relay
  clusterconnect proxy -n prod --relay wss://relay.example.com --relay-audience api://clusterconnect-relay \\
      --authority https://login.example.com --client-id cc --audience api://kube-aad-proxy
  clusterconnect proxy -n prod --port 47012 --output json     # a second cluster on its own port

The kubeconfig user is an exec plugin (clusterconnect get-token with the login target flags), so kubectl always
gets a fresh token and none is stored; with --token the service-account token is stored instead. The cluster CA
comes from the relay unless --certificate-authority pins it. On Ctrl+C/SIGTERM the entries added are removed and
the previous current-context is restored (unless --keep-kubeconfig).

Exit codes:
  0  stopped by Ctrl+C or SIGTERM (kubeconfig cleaned up)
  1  run-time failure: relay unreachable after retrying, port in use, kubeconfig unreadable or invalid
  2  invalid command line
  3  the relay knows no agent for this cluster (unknown cluster, or its agents are gone: last seen is shown)
  4  the relay refused the credential (HTTP 401/403), or a login is needed
  5  --certificate-authority does not match the CA the relay serves`;

interface ProxyFlags extends RelayClientFlags, LoginTargetFlags {
  name?: string;
  token?: string;
  tokenFile?: string;
  port?: string;
  address: string;
  file?: string;
  kubeContext?: string;
  certificateAuthority?: string;
  keepKubeconfig?: boolean;
  output: 'text' | 'json';
  relayWait: string;
}

export interface ProxyCommandSettings extends Omit<ClusterProxyOptions, 'logger' | 'onRelayRetry'> {
  output: 'text' | 'json';
}

function kubeconfigUser(flags: ProxyFlags): ExecUser | TokenUser {
  if (flags.token !== undefined && flags.tokenFile !== undefined) throw new Error('--token and --token-file both give the token; pass one');
  if (flags.tokenFile !== undefined) {
    return { kind: 'token', token: readSecretFlagFile(flags.tokenFile, '--token-file', 'the service-account token') };
  }
  if (flags.token !== undefined) {
    if (flags.token.trim() === '') throw new Error('--token is empty');
    return { kind: 'token', token: flags.token.trim() };
  }
  const { command, prefixArgs } = execCommandForThisCli();
  // Without target flags get-token uses the most recent login.
  const args = hasTargetFlags(flags) ? getTokenArgs(resolveLoginTarget(flags)) : ['get-token'];
  return { kind: 'exec', command, args: [...prefixArgs, ...args] };
}

export function proxySettingsFromFlags(flags: ProxyFlags, env: NodeJS.ProcessEnv = process.env): ProxyCommandSettings {
  if (!flags.name) throw new Error('-n/--name is required: the cluster to connect to');
  const cluster = checkClusterName(flags.name);
  const relay = relayClientFromFlags(flags, flags, env);
  const file = flags.file ?? defaultKubeconfigPath(env);
  if (file === STDOUT_FILE && flags.output === 'json') throw new Error('--file - and --output json both write to stdout; pick one');
  const pinnedCa = flags.certificateAuthority ? { pem: readCaBundleFlag(flags.certificateAuthority, '--certificate-authority'), file: flags.certificateAuthority } : undefined;
  return {
    cluster,
    ...relay,
    listenHost: flags.address,
    listenPort: parsePort(flags.port, '--port', DEFAULT_CLIENT_PROXY_PORT),
    relayWaitMs: parseDuration(flags.relayWait, '--relay-wait'),
    ...(pinnedCa ? { pinnedCa } : {}),
    kubeconfig: { file, contextName: flags.kubeContext ?? cluster, user: kubeconfigUser(flags), keep: flags.keepKubeconfig === true },
    output: flags.output,
  };
}

/** One line and the documented exit code for each failure a user can act on. */
export function proxyFailure(error: unknown): CommandFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RelayApiError) {
    if (error.failure === 'no-agent') return new CommandFailure(message, ProxyExitCode.clusterUnavailable);
    if (error.failure === 'unauthorized' || error.failure === 'forbidden') return new CommandFailure(message, ProxyExitCode.unauthorized);
  }
  if (error instanceof LoginRequiredError) return new CommandFailure(message, ProxyExitCode.unauthorized);
  if (error instanceof CaPinMismatchError) return new CommandFailure(message, ProxyExitCode.caMismatch);
  return new CommandFailure(message, ProxyExitCode.failure);
}

export function registerProxyCommand(program: Command): void {
  const cmd = program
    .command('proxy')
    .description('serve a local endpoint for kubectl, write the kubeconfig, and tunnel every connection through the relay to the cluster')
    .option('-n, --name <cluster>', 'the cluster to connect to')
    .option('--token <token>', 'service-account token for the kubeconfig user entry (instead of the get-token exec plugin); other local users can read it in the process list: prefer --token-file')
    .option('--token-file <file>', 'read the service-account token from this file (e.g. kubectl create token NAME > FILE)')
    .option('--port <port>', `local port (default ${DEFAULT_CLIENT_PROXY_PORT})`)
    .option('--address <host>', 'local address to listen on', '127.0.0.1')
    .option('-f, --file <path>', 'kubeconfig to merge into, or - to print the YAML (default $KUBECONFIG or ~/.kube/config)')
    .option('--kube-context <name>', 'context name to write (default: the cluster name)')
    .option('--certificate-authority <file>', 'pin the cluster CA (PEM): refuse to start if the relay serves a different one')
    .option('--keep-kubeconfig', 'leave the kubeconfig entries in place on exit')
    .addOption(new Option('-o, --output <format>', 'text, or json: one ready line on stdout for scripts').choices(['text', 'json']).default('text'))
    .option('--relay-wait <duration>', 'how long to keep retrying an unreachable relay', '30s');
  addRelayClientOptions(cmd);
  addLoginTargetOptions(cmd)
    .addHelpText('after', PROXY_HELP)
    .action(async (flags: ProxyFlags, command: Command) => {
      const settings = parseFlags(command, () => proxySettingsFromFlags(flags));
      const logger = createLogger('proxy', { level: process.env.LOG_LEVEL ?? 'warn' });
      const say = (text: string) => process.stderr.write(`${text}\n`);
      // Handlers first: a signal that arrives right after the ready line must already find them (Node's default
      // for SIGINT/SIGTERM is to die without cleaning up).
      const running: { proxy?: ClusterProxy; state?: ReadyState } = {};
      onShutdownSignals({
        logger,
        graceMs: 5_000,
        stop: async () => {
          const removed = await running.proxy?.close();
          const state = running.state;
          if (state && removed && removed.removed.length > 0) {
            say(`Removed "${state.context}" from ${state.kubeconfig}${removed.restoredCurrentContext ? `; current context is "${removed.restoredCurrentContext}" again` : ''}`);
          }
        },
      });
      let proxy: ClusterProxy;
      try {
        proxy = running.proxy = await startClusterProxy({
          ...settings,
          logger,
          onRelayRetry: (error, delayMs, attempt) => say(`${error.message}; retrying in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt + 1})`),
        });
      } catch (error) {
        throw proxyFailure(error);
      }
      const state: ReadyState = (running.state = {
        cluster: settings.cluster,
        context: proxy.merge.contextName,
        listen: formatHostPort({ host: proxy.address.address, port: proxy.address.port }),
        kubeconfig: proxy.merge.file,
      });
      for (const warning of proxy.merge.warnings) say(`warning: ${warning}`);
      if (settings.output === 'json') process.stdout.write(readyJsonLine(state));
      // With --file - stdout carries the YAML, so the human lines go to stderr.
      else (proxy.merge.file === STDOUT_FILE ? process.stderr : process.stdout).write(readyTextLines(state, proxy.merge.message));
    });
}
