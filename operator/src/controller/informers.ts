// Watches (client-node informers) on ClusterConnects and their labelled children. They decide *when* to reconcile
// (a change becomes a queue key) and hold what the reconcile reads (see cache.ts).
import { makeInformer, type Informer, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, keyOf } from '../api/clusterconnect.js';
import { LABEL_MANAGED_BY, MANAGED_BY, ownerKeyFromLabels } from '../api/labels.js';
import type { Logger } from '../../../proxy/src/common/logger.js';
import { storeCache, type Cache, type ObjectStore, type WatchedKind } from './cache.js';
import { clusterConnectFilter, type EventFilter } from './event-filters.js';
import type { KubeClients } from './kube.js';
import { LeaseLiveness } from './lease-liveness.js';

const CHILD_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY}`;
const RESTART_DELAY_MS = 2_000;

interface WatchSpec {
  what: WatchedKind;
  path: string;
  list: () => Promise<KubernetesListObject<KubernetesObject>>;
  labelSelector?: string;
  keyOf: (obj: KubernetesObject) => string | undefined;
  /** Which updates are work; every update is when absent. */
  filter?: EventFilter;
}

function watchSpecs(clients: KubeClients, enqueue: (key: string) => void): WatchSpec[] {
  const child = (obj: KubernetesObject) => ownerKeyFromLabels(obj.metadata?.labels);
  const labelSelector = CHILD_SELECTOR;
  return [
    {
      what: 'clusterconnects',
      path: `/apis/${GROUP}/${VERSION}/${PLURAL}`,
      list: async () => (await clients.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })) as KubernetesListObject<KubernetesObject>,
      keyOf: (obj) => keyOf({ metadata: obj.metadata ?? {} }),
      filter: clusterConnectFilter(),
    },
    { what: 'deployments', path: '/apis/apps/v1/deployments', labelSelector, keyOf: child, list: () => clients.apps.listDeploymentForAllNamespaces({ labelSelector }) },
    { what: 'services', path: '/api/v1/services', labelSelector, keyOf: child, list: () => clients.core.listServiceForAllNamespaces({ labelSelector }) },
    { what: 'serviceaccounts', path: '/api/v1/serviceaccounts', labelSelector, keyOf: child, list: () => clients.core.listServiceAccountForAllNamespaces({ labelSelector }) },
    { what: 'configmaps', path: '/api/v1/configmaps', labelSelector, keyOf: child, list: () => clients.core.listConfigMapForAllNamespaces({ labelSelector }) },
    { what: 'secrets', path: '/api/v1/secrets', labelSelector, keyOf: child, list: () => clients.core.listSecretForAllNamespaces({ labelSelector }) },
    { what: 'rolebindings', path: '/apis/rbac.authorization.k8s.io/v1/rolebindings', labelSelector, keyOf: child, list: () => clients.rbac.listRoleBindingForAllNamespaces({ labelSelector }) },
    { what: 'clusterrolebindings', path: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', labelSelector, keyOf: child, list: () => clients.rbac.listClusterRoleBinding({ labelSelector }) },
    {
      what: 'leases', path: '/apis/coordination.k8s.io/v1/leases', labelSelector, keyOf: child, list: () => clients.coordination.listLeaseForAllNamespaces({ labelSelector }),
      filter: new LeaseLiveness(enqueue),
    },
  ];
}

export interface Watches {
  /** What the informers hold, for the reconciler (empty until start). */
  cache: Cache;
  /** Lists and watches; resolves once every informer has listed (or failed to, and will retry). */
  start(): Promise<void>;
  /** True once every informer has listed at least once and is connected. */
  synced(): boolean;
  stop(): Promise<void>;
}

/** Keys reach `enqueue` only once every informer has listed, so no reconcile reads a cache still filling (a
 *  ClusterConnect whose Leases are not listed yet would flap to NoAgentConnected on each start). */
export function createWatches(clients: KubeClients, enqueue: (key: string) => void, logger: Logger): Watches {
  const informers: Informer<KubernetesObject>[] = [];
  const stores = new Map<WatchedKind, ObjectStore>();
  const connected = new Set<string>();
  const listed = new Set<string>();
  const held = new Set<string>();
  let stopped = false;
  const specs = watchSpecs(clients, (key) => emit(key));
  function emit(key: string): void {
    if (listed.size < specs.length) held.add(key);
    else enqueue(key);
  }
  for (const spec of specs) {
    const list = async () => {
      const result = await spec.list();
      listed.add(spec.what);
      return result;
    };
    const informer = makeInformer(clients.config, spec.path, list, spec.labelSelector);
    const onObject = (obj: KubernetesObject) => {
      const key = spec.keyOf(obj);
      if (key) emit(key);
    };
    informer.on('add', (obj) => { spec.filter?.observe(obj); onObject(obj); });
    informer.on('update', (obj) => { if (!spec.filter || spec.filter.observe(obj)) onObject(obj); });
    informer.on('delete', (obj) => { spec.filter?.forget(obj); onObject(obj); });
    informer.on('connect', () => connected.add(spec.what));
    informer.on('error', (err: unknown) => {
      connected.delete(spec.what);
      if (stopped) return;
      // Watches end (timeouts, apiserver restarts): relist after a pause instead of exiting the process.
      logger.warn('watch failed; restarting it', { resource: spec.what, error: err instanceof Error ? err.message : String(err), retryInMs: RESTART_DELAY_MS });
      setTimeout(() => { if (!stopped) void informer.start().catch(() => undefined).then(release); }, RESTART_DELAY_MS).unref();
    });
    informers.push(informer);
    stores.set(spec.what, informer);
  }
  function release(): void {
    if (listed.size < specs.length) return;
    const keys = [...held];
    held.clear();
    for (const key of keys) enqueue(key);
  }
  return {
    cache: storeCache(stores),
    start: async () => {
      await Promise.all(informers.map((i) => i.start()));
      release();
    },
    synced: () => listed.size === specs.length && connected.size === informers.length,
    stop: async () => {
      stopped = true;
      for (const spec of specs) spec.filter?.stop?.();
      await Promise.all(informers.map((i) => i.stop()));
    },
  };
}
