import { expect } from 'chai';
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { Condition } from '../../../operator/src/api/clusterconnect.js';
import type { FakeWorld } from './fake-world.js';
import { heartbeatLease, reconcilerWorld } from './reconciler-world.js';

const events = (w: FakeWorld, from = 0) => w.calls.slice(from).filter((c) => c === 'core.createNamespacedEvent').length;
const secretData = (objects: KubernetesObject[], name: string, key: string) => (objects.filter((o) => o.kind === 'Secret' && o.metadata?.name === name).at(-1) as V1Secret).data?.[key];
const caOf = (objects: KubernetesObject[]) => secretData(objects, 'prod-kube-aad-proxy-ca', 'ca.crt');
const servingOf = (objects: KubernetesObject[]) => secretData(objects, 'prod-kube-aad-proxy-certificate', 'tls.crt');

describe('operator reconciler reads', () => {
  it('once the watches hold what it wrote, reads the apiserver only for the relay credentials Secret', async () => {
    const { world: w, reconciler } = reconcilerWorld();
    await reconciler.reconcile('clusterconnect/prod');
    expect(w.statusWrites.at(-1)).to.include({ agents: '2/2', connectedAgents: 2 });
    // The watches deliver what the first reconcile wrote (the Deployment in the cache keeps its status).
    for (const object of w.applied) if (object.kind !== 'Deployment') w.put(object);
    w.deliverClusterConnect();

    const from = w.calls.length;
    await reconciler.reconcile('clusterconnect/prod');
    expect(w.reads(from)).to.deep.equal(['core.readNamespacedSecret']);
    expect(events(w, from)).to.equal(0);
  });

  it('rerun before the watches deliver its writes: keeps the CA it just issued and records no Event twice (live reads)', async () => {
    const { world: w, reconciler } = reconcilerWorld();
    await reconciler.reconcile('clusterconnect/prod');
    const firstCa = caOf(w.applied);
    const firstServing = servingOf(w.applied);
    expect(firstCa).to.be.a('string');
    expect(firstServing).to.be.a('string');
    expect(events(w)).to.be.greaterThan(0);
    // The cache holds no Secret, so a plan on its word alone would issue a new CA; the live Secrets are current.
    const from = w.calls.length;
    await reconciler.reconcile('clusterconnect/prod');
    expect(caOf(w.applied)).to.equal(firstCa);
    expect(servingOf(w.applied)).to.equal(firstServing);
    expect(events(w, from)).to.equal(0);
    expect(w.reads(from)).to.include.members(['custom.getNamespacedCustomObject', 'core.readNamespacedSecret']);
  });

  it('rerun before the watch delivers its status write: compares with the live status even when the cache shows no transition', async () => {
    let t = Date.now();
    const { world: w, reconciler } = reconcilerWorld({ now: () => new Date(t) });
    const agentConnected = () => (w.statusWrites.at(-1)?.conditions as Condition[]).find((c) => c.type === 'AgentConnected')!;
    const leases = (secondsAgo: number) => { for (const name of ['prod-agent-1', 'prod-agent-2']) w.put(heartbeatLease(name, secondsAgo, t)); };

    // R0, delivered: no agent connected.
    leases(60);
    await reconciler.reconcile('clusterconnect/prod');
    w.deliverClusterConnect();
    const down = agentConnected();
    expect(down.status).to.equal('False');

    // R1: the agents connect. Its write is not delivered: the cache keeps R0's False.
    t += 60_000;
    leases(1);
    await reconciler.reconcile('clusterconnect/prod');
    expect(agentConnected()).to.include({ status: 'True', lastTransitionTime: new Date(t).toISOString() });

    // R2: the agents are gone again. Against the cache (False) nothing flips; against the live status (True) it does.
    t += 60_000;
    leases(60);
    const from = w.calls.length;
    const eventsBefore = w.events.length;
    await reconciler.reconcile('clusterconnect/prod');
    expect(w.reads(from)).to.include('custom.getNamespacedCustomObject');
    expect(agentConnected()).to.include({ status: 'False', lastTransitionTime: new Date(t).toISOString() });
    expect(agentConnected().lastTransitionTime).not.to.equal(down.lastTransitionTime);
    expect(w.events.slice(eventsBefore)).to.deep.include({ type: 'Warning', reason: 'NoAgentConnected' });
  });

  it('forgets its last status write once the ClusterConnect is being deleted or gone', async () => {
    const { world: w, reconciler } = reconcilerWorld();
    const remembered = () => reconciler['statusWrites'].size;
    await reconciler.reconcile('clusterconnect/prod');
    expect(remembered()).to.equal(1);
    w.liveClusterConnect = { ...w.liveClusterConnect!, metadata: { ...w.liveClusterConnect!.metadata, deletionTimestamp: new Date() } };
    w.deliverClusterConnect();
    await reconciler.reconcile('clusterconnect/prod');
    expect(remembered()).to.equal(0);

    const { world: gone, reconciler: again } = reconcilerWorld({ blindCache: true });
    await again.reconcile('clusterconnect/prod');
    expect(again['statusWrites'].size).to.equal(1);
    gone.liveClusterConnect = undefined;
    await again.reconcile('clusterconnect/prod');
    expect(again['statusWrites'].size).to.equal(0);
  });

  it('counts only the unexpired heartbeats in the cache', async () => {
    const { world: w, reconciler } = reconcilerWorld();
    w.put(heartbeatLease('prod-agent-1', 31));
    await reconciler.reconcile('clusterconnect/prod');
    expect(w.statusWrites.at(-1)).to.include({ agents: '1/2', connectedAgents: 1 });
  });

  it('confirms live a ClusterConnect the cache does not hold before treating it as gone', async () => {
    const { world: w, reconciler } = reconcilerWorld({ blindCache: true });
    await reconciler.reconcile('clusterconnect/prod');
    expect(w.calls).to.include('custom.getNamespacedCustomObject');
    // Treated as gone, it would have gone to cleanup: list the bindings live and delete them (the fake has none).
    expect(w.calls.filter((c) => c.includes('delete') || c.includes('listClusterRoleBinding') || c.includes('listRoleBindingForAllNamespaces'))).to.deep.equal([]);
    expect(w.applied.some((o) => o.kind === 'Deployment')).to.equal(true);
  });

  it('lists bindings live when cleaning up after a deletion', async () => {
    const { world: w, reconciler } = reconcilerWorld({ blindCache: true });
    w.liveClusterConnect = undefined;
    await reconciler.reconcile('clusterconnect/prod');
    expect(w.reads()).to.deep.equal(['custom.getNamespacedCustomObject', 'rbac.listClusterRoleBinding', 'rbac.listRoleBindingForAllNamespaces']);
  });
});
