// Which heartbeat Lease events are work. Agents renew every ~10 s, and a renewal that keeps a live Lease live
// changes nothing the status shows, so it must not cost a reconcile. What does: a Lease appearing, going, coming
// back to life, moving to another ClusterConnect (both are enqueued), or expiring — and expiry is the passage of
// time, not an event, so a timer per live Lease fires at its expiry and enqueues its ClusterConnect if no renewal
// has moved the expiry on meanwhile.
import type { KubernetesObject } from '@kubernetes/client-node';
import { keyOf } from '../api/clusterconnect.js';
import { ownerKeyFromLabels } from '../api/labels.js';
import type { EventFilter } from './event-filters.js';
import { heartbeatExpiry, heartbeatOf, isLive } from './heartbeat.js';

export interface Clock {
  now(): Date;
  setTimer(fn: () => void, ms: number): NodeJS.Timeout;
  clearTimer(timer: NodeJS.Timeout): void;
}

const systemClock: Clock = {
  now: () => new Date(),
  setTimer: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimer: (timer) => clearTimeout(timer),
};

interface Tracked {
  owner: string;
  live: boolean;
  /** The latest known expiry: renewals move it without touching the timer. */
  expiresAt: number;
  timer?: NodeJS.Timeout;
}

const leaseId = (obj: KubernetesObject) => keyOf({ metadata: obj.metadata ?? {} });

export class LeaseLiveness implements EventFilter {
  private readonly leases = new Map<string, Tracked>();

  constructor(private readonly enqueue: (key: string) => void, private readonly clock: Clock = systemClock) {}

  /** Records an added or updated Lease; true when its ClusterConnect's status may have changed. A Lease whose
   *  labels no longer name the ClusterConnect they did leaves that one's heartbeats: it is enqueued here, since
   *  the watch enqueues only the owner the labels name now. */
  observe(lease: KubernetesObject): boolean {
    const owner = ownerKeyFromLabels(lease.metadata?.labels);
    const id = leaseId(lease);
    const before = this.leases.get(id);
    if (before && before.owner !== owner) this.enqueue(before.owner);
    if (!owner) {
      this.forget(lease);
      return false;
    }
    const heartbeat = heartbeatOf(lease);
    const live = isLive(heartbeat, this.clock.now());
    const tracked: Tracked = { owner, live, expiresAt: heartbeat ? heartbeatExpiry(heartbeat).getTime() : 0, timer: before?.timer };
    this.leases.set(id, tracked);
    if (!live && tracked.timer) {
      this.clock.clearTimer(tracked.timer);
      tracked.timer = undefined;
    }
    if (live && !tracked.timer) this.arm(id, tracked);
    return !before || before.live !== live || before.owner !== owner;
  }

  forget(lease: KubernetesObject): void {
    const id = leaseId(lease);
    const tracked = this.leases.get(id);
    if (tracked?.timer) this.clock.clearTimer(tracked.timer);
    this.leases.delete(id);
  }

  stop(): void {
    for (const tracked of this.leases.values()) if (tracked.timer) this.clock.clearTimer(tracked.timer);
    this.leases.clear();
  }

  private arm(id: string, tracked: Tracked): void {
    // +1 ms: a timer may fire a millisecond early, and the status compares with expiry strictly.
    const delay = Math.max(0, tracked.expiresAt - this.clock.now().getTime()) + 1;
    tracked.timer = this.clock.setTimer(() => this.expire(id), delay);
  }

  private expire(id: string): void {
    const tracked = this.leases.get(id);
    if (!tracked) return;
    tracked.timer = undefined;
    if (tracked.expiresAt > this.clock.now().getTime()) {
      this.arm(id, tracked); // renewed since the timer was set: wait for the new expiry
      return;
    }
    tracked.live = false;
    this.enqueue(tracked.owner);
  }
}
