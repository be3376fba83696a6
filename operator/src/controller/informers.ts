// Watches (client-node informers) that turn any change to a ClusterConnect or to one of its labelled children
// into a queue key. Reconcile reads fresh state itself, so the informers only decide *when* to look.
import { makeInformer, type Informer, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, keyOf } from '../api/clusterconnect.js';
import { LABEL_MANAGED_BY, MANAGED_BY, ownerKeyFromLabels } from '../api/labels.js';
import type { Logger } from '../../../proxy/src/common/logger.js';
import type { KubeClients } from './kube.js';

const CHILD_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY}`;
const RESTART_DELAY_MS = 2_000;

interface WatchSpec {
  what: string;
  path: string;
  list: () => Promise<KubernetesListObject<KubernetesObject>>;
  labelSelector?: string;
  keyOf: (obj: KubernetesObject) => string | undefined;
  /** What of an object must change for an update to count; every update counts when absent. */
  significant?: (obj: KubernetesObject) => string;
}

/** A ClusterConnect's status writes (ours, on every heartbeat) are not work: spec, deletion and finalizers are.
 *  Leases wake the reconcile for heartbeats, and the periodic resync covers anything else. */
const clusterConnectSignificance = (obj: KubernetesObject) =>
  JSON.stringify([obj.metadata?.generation, obj.metadata?.deletionTimestamp, obj.metadata?.finalizers, obj.metadata?.labels]);

function watchSpecs(clients: KubeClients): WatchSpec[] {
  const child = (obj: KubernetesObject) => ownerKeyFromLabels(obj.metadata?.labels);
  const labelSelector = CHILD_SELECTOR;
  return [
    {
      what: 'clusterconnects',
      path: `/apis/${GROUP}/${VERSION}/${PLURAL}`,
      list: async () => (await clients.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })) as KubernetesListObject<KubernetesObject>,
      keyOf: (obj) => keyOf({ metadata: obj.metadata ?? {} }),
      significant: clusterConnectSignificance,
    },
    { what: 'deployments', path: '/apis/apps/v1/deployments', labelSelector, keyOf: child, list: () => clients.apps.listDeploymentForAllNamespaces({ labelSelector }) },
    { what: 'services', path: '/api/v1/services', labelSelector, keyOf: child, list: () => clients.core.listServiceForAllNamespaces({ labelSelector }) },
    { what: 'serviceaccounts', path: '/api/v1/serviceaccounts', labelSelector, keyOf: child, list: () => clients.core.listServiceAccountForAllNamespaces({ labelSelector }) },
    { what: 'configmaps', path: '/api/v1/configmaps', labelSelector, keyOf: child, list: () => clients.core.listConfigMapForAllNamespaces({ labelSelector }) },
    { what: 'secrets', path: '/api/v1/secrets', labelSelector, keyOf: child, list: () => clients.core.listSecretForAllNamespaces({ labelSelector }) },
    { what: 'rolebindings', path: '/apis/rbac.authorization.k8s.io/v1/rolebindings', labelSelector, keyOf: child, list: () => clients.rbac.listRoleBindingForAllNamespaces({ labelSelector }) },
    { what: 'clusterrolebindings', path: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', labelSelector, keyOf: child, list: () => clients.rbac.listClusterRoleBinding({ labelSelector }) },
    { what: 'leases', path: '/apis/coordination.k8s.io/v1/leases', labelSelector, keyOf: child, list: () => clients.coordination.listLeaseForAllNamespaces({ labelSelector }) },
  ];
}

export interface Watches {
  /** True once every informer has listed at least once. */
  synced(): boolean;
  stop(): Promise<void>;
}

export async function startWatches(clients: KubeClients, enqueue: (key: string) => void, logger: Logger): Promise<Watches> {
  const informers: Informer<KubernetesObject>[] = [];
  const connected = new Set<string>();
  let stopped = false;
  for (const spec of watchSpecs(clients)) {
    const informer = makeInformer(clients.config, spec.path, spec.list, spec.labelSelector);
    const seen = new Map<string, string>();
    const onObject = (obj: KubernetesObject) => {
      const key = spec.keyOf(obj);
      if (key) enqueue(key);
    };
    const remember = (obj: KubernetesObject) => {
      const key = spec.keyOf(obj);
      if (key && spec.significant) seen.set(key, spec.significant(obj));
    };
    informer.on('add', (obj) => { remember(obj); onObject(obj); });
    informer.on('update', (obj) => {
      const key = spec.keyOf(obj);
      if (key && spec.significant) {
        const now = spec.significant(obj);
        if (seen.get(key) === now) return;
        seen.set(key, now);
      }
      onObject(obj);
    });
    informer.on('delete', (obj) => {
      const key = spec.keyOf(obj);
      if (key) seen.delete(key);
      onObject(obj);
    });
    informer.on('connect', () => connected.add(spec.what));
    informer.on('error', (err: unknown) => {
      connected.delete(spec.what);
      if (stopped) return;
      // Watches end (timeouts, apiserver restarts): relist after a pause instead of exiting the process.
      logger.warn('watch failed; restarting it', { resource: spec.what, error: err instanceof Error ? err.message : String(err), retryInMs: RESTART_DELAY_MS });
      setTimeout(() => { if (!stopped) void informer.start().catch(() => undefined); }, RESTART_DELAY_MS).unref();
    });
    informers.push(informer);
  }
  await Promise.all(informers.map((i) => i.start()));
  return {
    synced: () => connected.size === informers.length,
    stop: async () => {
      stopped = true;
      await Promise.all(informers.map((i) => i.stop()));
    },
  };
}
