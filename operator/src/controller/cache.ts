// Read access to what the watches hold, so a reconcile does not GET or LIST from the apiserver what the operator
// is already sent on every change. A cache trails the apiserver by one watch event: where acting on a stale or
// missing object could do harm, the reconciler reads live instead (and says why there).
import type { KubernetesObject } from '@kubernetes/client-node';
import { hasLabels } from '../api/labels.js';

export type WatchedKind =
  | 'clusterconnects' | 'deployments' | 'services' | 'serviceaccounts' | 'configmaps' | 'secrets'
  | 'rolebindings' | 'clusterrolebindings' | 'leases';

export interface ObjectStore {
  get(name: string, namespace?: string): KubernetesObject | undefined;
  list(namespace?: string): readonly KubernetesObject[];
}

export interface Cache {
  get<T extends KubernetesObject>(kind: WatchedKind, namespace: string | undefined, name: string): T | undefined;
  /** Objects of `kind` (in `namespace`, or in all when undefined) carrying every one of `labels`. */
  list<T extends KubernetesObject>(kind: WatchedKind, namespace: string | undefined, labels: Record<string, string>): T[];
}

export function storeCache(stores: ReadonlyMap<WatchedKind, ObjectStore>): Cache {
  const store = (kind: WatchedKind) => {
    const found = stores.get(kind);
    if (!found) throw new Error(`no watch for ${kind}`);
    return found;
  };
  return {
    get: <T extends KubernetesObject>(kind: WatchedKind, namespace: string | undefined, name: string) => store(kind).get(name, namespace) as T | undefined,
    list: <T extends KubernetesObject>(kind: WatchedKind, namespace: string | undefined, labels: Record<string, string>) =>
      store(kind).list(namespace).filter((o) => hasLabels(o.metadata?.labels, labels)) as T[],
  };
}
