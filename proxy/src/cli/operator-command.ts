// `clusterconnect operator`: reconciles ClusterConnect resources into the agent, kube-aad-proxy and RBAC.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseSecondsOrDuration } from '../common/duration.js';
import { createLogger } from '../common/logger.js';
import { onShutdownSignals } from '../common/shutdown.js';
import { packageInfo } from '../common/package-info.js';
import { addOpsHostOption, parseFlags, portArgument } from './flag-helpers.js';

const IMAGE_PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
type ImagePullPolicy = (typeof IMAGE_PULL_POLICIES)[number];

export const DEFAULT_IMAGE = `ghcr.io/clusterconnect/clusterconnect:${packageInfo().version}`;

/** --shutdown-grace in milliseconds; not 0, which would exit before the operator's stop could run. */
export function shutdownGraceMs(text: string): number {
  const ms = parseSecondsOrDuration(text, '--shutdown-grace');
  if (ms < 1) throw new Error(`--shutdown-grace "${text}" must be more than 0, e.g. 20s`);
  return ms;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of 1 or more.');
  return n;
}

export function registerOperatorCommand(program: Command): void {
  const command = program
    .command('operator')
    .description('Run the operator: reconcile ClusterConnect resources into the agent, kube-aad-proxy and access bindings')
    .option('--kubeconfig <file>', 'kubeconfig to use (default: in-cluster service account, then $KUBECONFIG)')
    .option('--image <image>', 'image for the agent and kube-aad-proxy when a ClusterConnect names none', DEFAULT_IMAGE)
    .addOption(new Option('--image-pull-policy <policy>', 'pull policy of the pods the operator creates').choices([...IMAGE_PULL_POLICIES]).default('IfNotPresent'));
  addOpsHostOption(command)
    .option('--ops-port <port>', 'port of the /healthz, /readyz and /metrics endpoint', portArgument, 8081)
    .option('--no-leader-election', 'run without leader election (only one replica may run then)')
    .option('--leader-election-namespace <ns>', 'namespace of the leader Lease (default: $POD_NAMESPACE)')
    .option('--leader-election-name <name>', 'name of the leader Lease', 'clusterconnect-operator')
    .option('--concurrency <n>', 'ClusterConnects reconciled at once (never the same one twice at once)', positive, 2)
    .option('--shutdown-grace <duration>', 'longest a graceful stop may take: a duration (20s, 1m) or whole seconds (20)', '20s')
    .action(async (opts: {
      kubeconfig?: string; image: string; imagePullPolicy: ImagePullPolicy; opsHost: string; opsPort: number; leaderElection: boolean;
      leaderElectionNamespace?: string; leaderElectionName: string; concurrency: number; shutdownGrace: string;
    }) => {
      const graceMs = parseFlags(command, () => shutdownGraceMs(opts.shutdownGrace));
      const leaderElectionNamespace = opts.leaderElectionNamespace ?? process.env.POD_NAMESPACE;
      if (opts.leaderElection && !leaderElectionNamespace) {
        throw new Error('leader election needs a namespace: pass --leader-election-namespace (or set POD_NAMESPACE), or --no-leader-election');
      }
      const logger = createLogger('operator');
      // Loaded on use: kubectl runs `clusterconnect get-token` on every command, so no server role's runtime loads then.
      const { startOperator } = await import('../../../operator/src/start.js');
      const operator = await startOperator({
        kubeconfig: opts.kubeconfig,
        image: opts.image,
        imagePullPolicy: opts.imagePullPolicy,
        opsHost: opts.opsHost,
        opsPort: opts.opsPort,
        leaderElection: opts.leaderElection,
        leaderElectionNamespace: leaderElectionNamespace ?? '',
        leaderElectionName: opts.leaderElectionName,
        concurrency: opts.concurrency,
        logger,
      });
      logger.info('operator started', { ops: operator.ops.url, image: opts.image });
      onShutdownSignals({ logger, graceMs, stop: () => operator.stop() });
      // Keep running until a signal: the servers and timers hold the event loop open.
      await new Promise<never>(() => undefined);
    });
}
