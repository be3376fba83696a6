// A FakeWorld holding one ClusterConnect ready to reconcile (its relay credentials Secret, its kube-aad-proxy
// Deployment available, its agents' heartbeat Leases) and a Reconciler over it.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ClusterConnect } from '../../../operator/src/api/clusterconnect.js';
import { FINALIZER, childLabels } from '../../../operator/src/api/labels.js';
import { EventRecorder } from '../../../operator/src/controller/events.js';
import { Reconciler } from '../../../operator/src/controller/reconciler.js';
import { captureLogger } from '../tunnel/helpers.js';
import { FakeWorld } from './fake-world.js';
import { sampleClusterConnect } from './fixtures.js';

const cc = (): ClusterConnect => {
  const base = sampleClusterConnect();
  return { ...base, metadata: { ...base.metadata, finalizers: [FINALIZER] } };
};

// Renewed `secondsAgo` before `now`, by default the real clock at the call: mocha loads a test file long before it
// runs its tests (a module-level "now" made the heartbeats expire on a slow run).
export const heartbeatLease = (name: string, secondsAgo: number, now = Date.now()) => ({
  apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
  metadata: { name, namespace: 'clusterconnect', labels: childLabels(cc().metadata, 'agent-heartbeat') },
  spec: { holderIdentity: name, leaseDurationSeconds: 30, renewTime: new Date(now - secondsAgo * 1000).toISOString() },
});

export interface WorldOptions {
  /** A watch cache that holds nothing yet (the server still has everything). */
  blindCache?: boolean;
  /** The reconciler's clock. */
  now?: () => Date;
  /** The heartbeat Leases in the cache; by default two agents renewed a few seconds ago. */
  leases?: KubernetesObject[];
}

export function reconcilerWorld(options: WorldOptions = {}): { world: FakeWorld; reconciler: Reconciler } {
  const w = new FakeWorld();
  w.liveClusterConnect = { ...cc(), metadata: { ...cc().metadata, resourceVersion: '1' } };
  w.liveSecrets.set('relay-token', { metadata: { name: 'relay-token' }, data: { token: 'dG9rZW4=' } });
  w.deliverClusterConnect();
  for (const lease of options.leases ?? [heartbeatLease('prod-agent-1', 5), heartbeatLease('prod-agent-2', 8)]) w.put(lease);
  w.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'prod-kube-aad-proxy', namespace: 'clusterconnect', labels: childLabels(cc().metadata, 'kube-aad-proxy') }, status: { availableReplicas: 2 } } as KubernetesObject);
  const { logger } = captureLogger('error');
  const cache = options.blindCache ? new FakeWorld().cache : w.cache;
  return { world: w, reconciler: new Reconciler(w.clients, cache, { image: 'img' }, new EventRecorder(w.clients, logger, 'test'), logger, options.now) };
}
