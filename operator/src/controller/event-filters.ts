// Decides which watch events are work. A filter sees every added and updated object; `observe` answers whether an
// update may change the outcome of a reconcile (adds and deletes always may).
import type { KubernetesObject } from '@kubernetes/client-node';
import { keyOf } from '../api/clusterconnect.js';

export interface EventFilter {
  observe(obj: KubernetesObject): boolean;
  forget(obj: KubernetesObject): void;
  stop?(): void;
}

const objectId = (obj: KubernetesObject) => keyOf({ metadata: obj.metadata ?? {} });

/** An update counts only when `significant(obj)` differs from the last one seen. */
class SignificanceFilter implements EventFilter {
  private readonly seen = new Map<string, string>();

  constructor(private readonly significant: (obj: KubernetesObject) => string) {}

  observe(obj: KubernetesObject): boolean {
    const id = objectId(obj);
    const now = this.significant(obj);
    if (this.seen.get(id) === now) return false;
    this.seen.set(id, now);
    return true;
  }

  forget(obj: KubernetesObject): void {
    this.seen.delete(objectId(obj));
  }
}

/** A ClusterConnect's status writes (ours) are not work: spec, deletion, finalizers and labels are. */
export const clusterConnectFilter = () =>
  new SignificanceFilter((obj) => JSON.stringify([obj.metadata?.generation, obj.metadata?.deletionTimestamp, obj.metadata?.finalizers, obj.metadata?.labels]));
