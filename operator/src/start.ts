// `clusterconnect operator`: leader election, then watches → work queue → reconcile, with ops endpoints.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Counter, Gauge, Histogram } from 'prom-client';
import { createLogger, type Logger } from '../../proxy/src/common/logger.js';
import { createRegistry, startOpsServer, type OpsServer } from '../../proxy/src/common/ops-server.js';
import { EventRecorder } from './controller/events.js';
import { createWatches, type Watches } from './controller/informers.js';
import { apiErrorMessage, loadKubeConfig, makeClients } from './controller/kube.js';
import { LeaderElector } from './controller/leader-election.js';
import { Reconciler } from './controller/reconciler.js';
import { WorkQueue } from './controller/work-queue.js';
import type { OperatorSettings } from './desired/defaults.js';

export interface OperatorConfig extends OperatorSettings {
  kubeconfig?: string;
  opsHost: string;
  opsPort: number;
  leaderElection: boolean;
  leaderElectionNamespace: string;
  leaderElectionName: string;
  concurrency: number;
  logger?: Logger;
}

export interface RunningOperator {
  ops: OpsServer;
  isLeader(): boolean;
  stop(): Promise<void>;
}

export async function startOperator(config: OperatorConfig): Promise<RunningOperator> {
  const logger = config.logger ?? createLogger('operator');
  const clients = makeClients(loadKubeConfig(config.kubeconfig));
  const identity = `${process.env.POD_NAME ?? hostname()}-${randomBytes(4).toString('hex')}`;
  const registry = createRegistry('clusterconnect_operator_');
  const reconciles = new Counter({ name: 'clusterconnect_operator_reconciles_total', help: 'Reconciles by result', labelNames: ['result'], registers: [registry] });
  const duration = new Histogram({ name: 'clusterconnect_operator_reconcile_seconds', help: 'Reconcile duration', registers: [registry], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10] });
  const leaderGauge = new Gauge({ name: 'clusterconnect_operator_leader', help: '1 while this replica leads', registers: [registry] });

  let queue: WorkQueue | undefined;
  let watches: Watches | undefined;
  const depth = new Gauge({ name: 'clusterconnect_operator_queue_depth', help: 'Keys queued or in progress', registers: [registry], collect() { this.set(queue?.depth ?? 0); } });
  void depth;

  const startControllers = async () => {
    const w = createWatches(clients, (key) => queue?.add(key), logger);
    watches = w;
    const reconciler = new Reconciler(clients, w.cache, { image: config.image, imagePullPolicy: config.imagePullPolicy }, new EventRecorder(clients, logger, identity), logger);
    queue = new WorkQueue(async (key) => {
      const end = duration.startTimer();
      try {
        const result = await reconciler.reconcile(key);
        reconciles.inc({ result: 'success' });
        return result;
      } catch (err) {
        reconciles.inc({ result: 'error' });
        throw err;
      } finally {
        end();
      }
    }, {
      concurrency: config.concurrency,
      onError: (key, error, retryInMs) => logger.warn('reconcile failed; retrying', { clusterconnect: key, error: apiErrorMessage(error), retryInMs }),
    });
    await w.start();
    logger.info('watching ClusterConnects and their children');
  };

  let elector: LeaderElector | undefined;
  const ops = await startOpsServer({
    host: config.opsHost,
    port: config.opsPort,
    registry,
    notReadyReason: () => {
      if (elector && !elector.isLeader) return undefined; // a standby is ready: it is doing its job by waiting
      return watches?.synced() ? undefined : 'watches have not synced yet';
    },
  });

  if (config.leaderElection) {
    elector = new LeaderElector(clients, { namespace: config.leaderElectionNamespace, name: config.leaderElectionName, identity }, logger, {
      onStartedLeading: () => {
        leaderGauge.set(1);
        startControllers().catch((err: unknown) => {
          logger.error('could not start watches', { error: apiErrorMessage(err) });
          process.exitCode = 1;
        });
      },
      // Stepping down mid-reconcile cannot be undone safely: exit and let Kubernetes restart us as a standby.
      onStoppedLeading: () => {
        leaderGauge.set(0);
        logger.error('exiting after losing leadership');
        process.exit(1);
      },
    });
    elector.start();
  } else {
    leaderGauge.set(1);
    await startControllers();
  }

  return {
    ops,
    isLeader: () => elector?.isLeader ?? true,
    stop: async () => {
      await watches?.stop();
      await queue?.stop();
      await elector?.stop();
      await ops.close();
    },
  };
}
