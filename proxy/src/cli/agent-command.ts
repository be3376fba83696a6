// `clusterconnect agent`: the in-cluster agent. The operator's Deployment passes exactly these flags.
import type { Command } from 'commander';
import { createLogger } from '../common/logger.js';
import { onShutdownSignals } from '../common/shutdown.js';
import { agentConfigFromFlags } from '../agent/agent-config.js';
import type { AgentFlags } from '../agent/agent-config.js';
import { addOpsHostOption, collect, parseFlags } from './flag-helpers.js';

export function registerAgentCommand(program: Command): void {
  const command = program
    .command('agent')
    .description('run the in-cluster agent: dial out to the relay(s) and bridge streams to the upstream (kube-aad-proxy)')
    .option('--cluster-name <name>', 'this cluster, as named in the agent token')
    .option('--relay-url <url>', 'relay to dial, wss://host[:port] (repeatable: the agent holds a session to each)', collect)
    .option('--relay-token-file <file>', 'agent token; re-read on every reconnect so rotation works')
    .option('--relay-ca-file <file>', "CA bundle for the relay's certificate (default: system roots)")
    .option('--upstream <host:port>', 'where each stream is connected to (kube-aad-proxy Service)')
    .option('--upstream-ca-file <file>', "CA bundle of the upstream's certificate, announced to clients")
    .option('--upstream-server-name <name>', "the TLS server name the upstream's certificate carries, announced to clients")
    .option('--auth-modes <modes>', 'auth modes the upstream accepts, announced to clients: oidc,serviceaccount', 'oidc')
    .option('--heartbeat-lease-name <name>', 'Lease renewed every 10 s while connected to a relay')
    .option('--heartbeat-lease-namespace <ns>', 'namespace of the heartbeat Lease')
    .option('--heartbeat-lease-labels <k=v,...>', 'labels set on the heartbeat Lease')
    .option('--kubeconfig <file>', 'kubeconfig for the heartbeat when running outside a cluster (default: in-cluster)');
  addOpsHostOption(command)
    .option('--ops-port <port>', 'ops port', '8081')
    .option('--drain-timeout <duration>', 'on SIGTERM, how long in-flight streams may take to finish', '50s')
    .option('--insecure', 'allow plain ws:// relay URLs (loopback tests only)')
    .action(async (flags: AgentFlags, command: Command) => {
      const config = parseFlags(command, () => agentConfigFromFlags(flags));
      const logger = createLogger('agent');
      // Loaded on use (it brings ws, prom-client, client-node): program.ts imports this module on every run,
      // `get-token` included, which must load no heavy package (createLogger loads winston only when called).
      const { startAgent } = await import('../agent/agent.js');
      const handle = await startAgent(config, { logger });
      onShutdownSignals({ logger, graceMs: config.drainTimeoutMs + 5_000, stop: () => handle.drain() });
    });
}
