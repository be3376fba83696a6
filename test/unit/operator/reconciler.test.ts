import { expect } from 'chai';
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
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
// Renewed `secondsAgo` before the call: the reconciler judges liveness by the real clock, and mocha loads this file
// long before it runs these tests (a module-level "now" made the heartbeats expire on a slow run).
const heartbeatLease = (name: string, secondsAgo: number) => ({
  apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
  metadata: { name, namespace: 'clusterconnect', labels: childLabels(cc().metadata, 'agent-heartbeat') },
  spec: { holderIdentity: name, leaseDurationSeconds: 30, renewTime: new Date(Date.now() - secondsAgo * 1000).toISOString() },
});

/** `blindCache`: a watch cache that holds nothing yet (the server still has everything). */
function world(blindCache = false): { world: FakeWorld; reconciler: Reconciler } {
  const w = new FakeWorld();
  w.liveClusterConnect = cc();
  w.liveSecrets.set('relay-token', { metadata: { name: 'relay-token' }, data: { token: 'dG9rZW4=' } });
  w.put(cc());
  w.put(heartbeatLease('prod-agent-1', 5));
  w.put(heartbeatLease('prod-agent-2', 8));
  w.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'prod-kube-aad-proxy', namespace: 'clusterconnect', labels: childLabels(cc().metadata, 'kube-aad-proxy') }, status: { availableReplicas: 2 } } as KubernetesObject);
  const { logger } = captureLogger('error');
  const cache = blindCache ? new FakeWorld().cache : w.cache;
  return { world: w, reconciler: new Reconciler(w.clients, cache, { image: 'img' }, new EventRecorder(w.clients, logger, 'test'), logger) };
}

const events = (w: FakeWorld, from = 0) => w.calls.slice(from).filter((c) => c === 'core.createNamespacedEvent').length;
const caOf = (objects: KubernetesObject[]) => (objects.filter((o) => o.kind === 'Secret' && o.metadata?.name === 'prod-kube-aad-proxy-ca').at(-1) as V1Secret).data?.['ca.crt'];

describe('operator reconciler reads', () => {
  it('once the watches hold what it wrote, reads the apiserver only for the relay credentials Secret', async () => {
    const { world: w, reconciler } = world();
    await reconciler.reconcile('clusterconnect/prod');
    expect(w.statusWrites.at(-1)).to.include({ agents: '2/2', connectedAgents: 2 });
    // The watches deliver what the first reconcile wrote (the Deployment in the cache keeps its status).
    for (const object of w.applied) if (object.kind !== 'Deployment') w.put(object);
    w.put({ ...cc(), status: w.statusWrites.at(-1) } as KubernetesObject);

    const from = w.calls.length;
    await reconciler.reconcile('clusterconnect/prod');
    expect(w.reads(from)).to.deep.equal(['core.readNamespacedSecret']);
    expect(events(w, from)).to.equal(0);
  });

  it('rerun before the watches deliver its writes: keeps the CA it just issued and records no Event twice (live reads)', async () => {
    const { world: w, reconciler } = world();
    await reconciler.reconcile('clusterconnect/prod');
    const firstCa = caOf(w.applied);
    expect(events(w)).to.be.greaterThan(0);
    const from = w.calls.length;
    await reconciler.reconcile('clusterconnect/prod');
    expect(caOf(w.applied)).to.equal(firstCa);
    expect(events(w, from)).to.equal(0);
    expect(w.reads(from)).to.include.members(['custom.getNamespacedCustomObject', 'core.readNamespacedSecret']);
  });

  it('counts only the unexpired heartbeats in the cache', async () => {
    const { world: w, reconciler } = world();
    w.put(heartbeatLease('prod-agent-1', 31));
    await reconciler.reconcile('clusterconnect/prod');
    expect(w.statusWrites.at(-1)).to.include({ agents: '1/2', connectedAgents: 1 });
  });

  it('confirms live a ClusterConnect the cache does not hold before treating it as gone', async () => {
    const { world: w, reconciler } = world(true);
    await reconciler.reconcile('clusterconnect/prod');
    expect(w.calls).to.include('custom.getNamespacedCustomObject');
    // Treated as gone, it would have gone to cleanup: list the bindings live and delete them (the fake has none).
    expect(w.calls.filter((c) => c.includes('delete') || c.includes('listClusterRoleBinding') || c.includes('listRoleBindingForAllNamespaces'))).to.deep.equal([]);
    expect(w.applied.some((o) => o.kind === 'Deployment')).to.equal(true);
  });

  it('lists bindings live when cleaning up after a deletion', async () => {
    const { world: w, reconciler } = world(true);
    w.liveClusterConnect = undefined;
    await reconciler.reconcile('clusterconnect/prod');
    expect(w.reads()).to.deep.equal(['custom.getNamespacedCustomObject', 'rbac.listClusterRoleBinding', 'rbac.listRoleBindingForAllNamespaces']);
  });
});
