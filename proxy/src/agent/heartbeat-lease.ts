// The agent's heartbeat: a coordination.k8s.io/v1 Lease renewed every 10 s while the agent holds at least one relay
// connection. The operator reads renewTime to report whether the cluster is reachable; when the agent loses every
// relay it stops renewing, and the Lease goes stale after leaseDurationSeconds.
import { CoordinationV1Api, KubeConfig, V1MicroTime } from '@kubernetes/client-node';
import type { V1Lease } from '@kubernetes/client-node';
import type { Logger } from '../common/logger.js';
import type { HeartbeatLeaseConfig } from './agent-config.js';

export const LEASE_DURATION_SECONDS = 30;
export const LEASE_RENEW_INTERVAL_MS = 10_000;

/** The calls the heartbeat makes; CoordinationV1Api fits, and tests may pass a fake. */
export type LeaseApi = Pick<CoordinationV1Api, 'readNamespacedLease' | 'createNamespacedLease' | 'replaceNamespacedLease'>;

export function leaseApiFor(kubeconfig: string | undefined): LeaseApi {
  const kc = new KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromCluster();
  return kc.makeApiClient(CoordinationV1Api);
}

function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

export class LeaseHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private lastRenewError: string | undefined;

  constructor(
    private readonly api: LeaseApi,
    private readonly config: HeartbeatLeaseConfig,
    private readonly logger: Logger,
    private readonly intervalMs = LEASE_RENEW_INTERVAL_MS,
  ) {}

  get active(): boolean {
    return this.timer !== undefined;
  }

  /** Renews now and then every interval while active; stops renewing when set inactive. */
  setActive(active: boolean): void {
    if (active === this.active) return;
    if (active) {
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      this.timer.unref();
      this.tick();
      this.logger.info('heartbeat lease renewal started', { lease: `${this.config.namespace}/${this.config.name}` });
    } else {
      clearInterval(this.timer);
      this.timer = undefined;
      this.logger.info('heartbeat lease renewal stopped (no relay connection)', { lease: `${this.config.namespace}/${this.config.name}` });
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.renewing;
  }

  private tick(): void {
    if (this.renewing) return;
    this.renewing = this.renew().finally(() => (this.renewing = undefined));
  }

  private desired(existing: V1Lease | undefined): V1Lease {
    const now = new V1MicroTime();
    const sameHolder = existing?.spec?.holderIdentity === this.config.name;
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        ...(existing?.metadata ?? {}),
        name: this.config.name,
        namespace: this.config.namespace,
        labels: { ...(existing?.metadata?.labels ?? {}), ...this.config.labels },
      },
      spec: {
        ...(existing?.spec ?? {}),
        holderIdentity: this.config.name,
        leaseDurationSeconds: LEASE_DURATION_SECONDS,
        acquireTime: sameHolder && existing?.spec?.acquireTime ? existing.spec.acquireTime : now,
        renewTime: now,
      },
    };
  }

  /** One renewal: read, then replace (or create when absent). Errors are logged once per distinct message. */
  async renew(): Promise<void> {
    const { name, namespace } = this.config;
    try {
      let existing: V1Lease | undefined;
      try {
        existing = await this.api.readNamespacedLease({ name, namespace });
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
      if (existing) await this.api.replaceNamespacedLease({ name, namespace, body: this.desired(existing) });
      else await this.api.createNamespacedLease({ namespace, body: this.desired(undefined) });
      if (this.lastRenewError) this.logger.info('heartbeat lease renewed again', { lease: `${namespace}/${name}` });
      this.lastRenewError = undefined;
    } catch (error) {
      const status = statusOf(error);
      // 409: someone else updated it between read and replace; the next tick reads the new version.
      const message = status ? `HTTP ${status}` : (error as Error).message;
      if (message !== this.lastRenewError) {
        this.logger.warn('heartbeat lease renewal failed; retrying on the next tick', { lease: `${namespace}/${name}`, reason: message });
      }
      this.lastRenewError = message;
    }
  }
}
