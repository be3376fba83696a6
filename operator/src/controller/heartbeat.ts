// An agent's heartbeat Lease as the status sees it, and when it stops counting: one definition shared by the status
// (how many agents are connected) and the Lease watch (which renewals can change that).
import type { KubernetesObject, V1Lease } from '@kubernetes/client-node';

export interface Heartbeat {
  renewTime: Date;
  leaseDurationSeconds: number;
}

/** The heartbeat a Lease records; undefined until it has been renewed once. Listed Leases carry Dates, watched
 *  ones RFC 3339 strings (with microseconds): `new Date` reads both. */
export function heartbeatOf(object: KubernetesObject | V1Lease): Heartbeat | undefined {
  const lease = object as V1Lease;
  const renewTime = lease.spec?.renewTime;
  if (!renewTime) return undefined;
  const at = new Date(renewTime);
  if (Number.isNaN(at.getTime())) return undefined;
  return { renewTime: at, leaseDurationSeconds: lease.spec?.leaseDurationSeconds ?? 30 };
}

export function heartbeatExpiry(h: Heartbeat): Date {
  return new Date(h.renewTime.getTime() + h.leaseDurationSeconds * 1000);
}

/** A heartbeat counts as a connected agent until its Lease expires. */
export function isLive(h: Heartbeat | undefined, now: Date): boolean {
  return h !== undefined && heartbeatExpiry(h) > now;
}
