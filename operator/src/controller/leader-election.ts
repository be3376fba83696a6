// Lease-based leader election (what client-go's leaderelection does): one active replica; a stopped or dead
// leader's Lease runs out and a standby takes over within the lease duration plus one retry period.
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from '../../../proxy/src/common/logger.js';
import { apiErrorMessage, isConflict, isNotFound, type KubeClients } from './kube.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  retryPeriodMs?: number;
  /** A leader that cannot renew for this long steps down (and the process exits, as controller-runtime does). */
  renewDeadlineMs?: number;
}

function microTime(value: Date | string): V1MicroTime {
  return new V1MicroTime(new Date(value).getTime());
}

export class LeaderElector {
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private lastRenew = 0;
  private stopped = false;
  private readonly leaseDurationSeconds: number;
  private readonly retryPeriodMs: number;
  private readonly renewDeadlineMs: number;

  constructor(
    private readonly clients: KubeClients,
    private readonly options: LeaderElectionOptions,
    private readonly logger: Logger,
    private readonly callbacks: { onStartedLeading: () => void; onStoppedLeading: () => void },
  ) {
    this.leaseDurationSeconds = options.leaseDurationSeconds ?? 10;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 8_000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    const tick = async () => {
      if (this.stopped) return;
      await this.tryAcquireOrRenew();
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.retryPeriodMs);
    };
    void tick();
  }

  /** Stops campaigning; a leader gives the Lease up so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.read();
      if (lease?.spec?.holderIdentity === this.options.identity) {
        lease.spec = { leaseDurationSeconds: 1, leaseTransitions: lease.spec.leaseTransitions ?? 0 };
        await this.clients.coordination.replaceNamespacedLease({ name: this.options.name, namespace: this.options.namespace, body: lease });
      }
    } catch (err) {
      this.logger.warn('could not release the leader Lease', { error: apiErrorMessage(err) });
    }
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.clients.coordination.readNamespacedLease({ name: this.options.name, namespace: this.options.namespace });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const { name, namespace, identity } = this.options;
    const now = new V1MicroTime();
    try {
      const lease = await this.read();
      if (!lease) {
        await this.clients.coordination.createNamespacedLease({
          namespace,
          body: { metadata: { name, namespace }, spec: { holderIdentity: identity, leaseDurationSeconds: this.leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 } },
        });
        return this.becameLeader();
      }
      const spec = lease.spec ?? {};
      const heldByMe = spec.holderIdentity === identity;
      // client-node hands MicroTime fields back as strings, though typed as Date: normalise both ways.
      const renewed = spec.renewTime ? microTime(spec.renewTime) : undefined;
      const expired = !spec.holderIdentity || !renewed || renewed.getTime() + (spec.leaseDurationSeconds ?? this.leaseDurationSeconds) * 1000 < Date.now();
      if (!heldByMe && !expired) return this.lostOrNotLeader();
      lease.spec = {
        holderIdentity: identity,
        leaseDurationSeconds: this.leaseDurationSeconds,
        renewTime: now,
        acquireTime: heldByMe && spec.acquireTime ? microTime(spec.acquireTime) : now,
        leaseTransitions: heldByMe ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
      };
      // replace carries resourceVersion: two candidates racing for an expired Lease cannot both win.
      await this.clients.coordination.replaceNamespacedLease({ name, namespace, body: lease });
      this.becameLeader();
    } catch (err) {
      if (!isConflict(err)) this.logger.warn('leader election: Lease update failed', { error: apiErrorMessage(err) });
      if (this.leading && Date.now() - this.lastRenew > this.renewDeadlineMs) this.lostOrNotLeader();
    }
  }

  private becameLeader(): void {
    this.lastRenew = Date.now();
    if (this.leading) return;
    this.leading = true;
    this.logger.info('became leader', { lease: `${this.options.namespace}/${this.options.name}`, identity: this.options.identity });
    this.callbacks.onStartedLeading();
  }

  private lostOrNotLeader(): void {
    if (!this.leading) return;
    this.leading = false;
    this.logger.error('lost leadership', { lease: `${this.options.namespace}/${this.options.name}` });
    this.callbacks.onStoppedLeading();
  }
}
