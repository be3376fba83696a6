import { expect } from 'chai';
import { computeStatus, type Observed } from '../../../operator/src/controller/status.js';
import { sampleClusterConnect } from './fixtures.js';

const now = new Date('2026-11-22T12:00:00Z');
const base: Observed = {
  heartbeats: [], authProxyAvailableReplicas: 2, accessBindingCount: 1, caBundle: 'PEM', authProxyServerName: 'p.ns.svc',
};
const beat = (secondsAgo: number) => ({ renewTime: new Date(now.getTime() - secondsAgo * 1000), leaseDurationSeconds: 30 });
const condition = (status: ReturnType<typeof computeStatus>['status'], type: string) => status.conditions.find((c) => c.type === type);

describe('operator status', () => {
  it('is Ready with AGENTS connected/desired when agents heartbeat and kube-aad-proxy is available', () => {
    const { status } = computeStatus(sampleClusterConnect(), { ...base, heartbeats: [beat(5), beat(10)] }, now);
    expect(status.agents).to.equal('2/2');
    expect(condition(status, 'Ready')).to.include({ status: 'True', reason: 'Connected' });
    expect(status.lastHeartbeatTime).to.equal('2026-11-22T11:59:55.000Z');
    expect(status.observedGeneration).to.equal(3);
  });

  it('counts only unexpired heartbeats and explains an absent agent with its last heartbeat', () => {
    const { status } = computeStatus(sampleClusterConnect(), { ...base, heartbeats: [beat(45)] }, now);
    expect(status.connectedAgents).to.equal(0);
    expect(condition(status, 'AgentConnected')).to.include({ status: 'False', reason: 'NoAgentConnected' });
    expect(condition(status, 'Ready')!.message).to.contain('last heartbeat 2026-11-22T11:59:15.000Z');
  });

  it('counts a heartbeat until the instant its Lease expires, and not at that instant', () => {
    const connected = (secondsAgo: number) => computeStatus(sampleClusterConnect(), { ...base, heartbeats: [beat(secondsAgo), beat(5)] }, now).status.connectedAgents;
    expect(connected(29.999)).to.equal(2);
    expect(connected(30)).to.equal(1);
  });

  it('reports missing relay credentials as the Ready reason, naming the Secret', () => {
    const { status } = computeStatus(sampleClusterConnect(), { ...base, heartbeats: [beat(1)], relayCredentialsProblem: 'relay credentials Secret ns/relay-token not found' }, now);
    expect(condition(status, 'Ready')).to.include({ status: 'False', reason: 'RelayCredentialsMissing', message: 'relay credentials Secret ns/relay-token not found' });
  });

  it('keeps lastTransitionTime while a condition keeps its status, and moves it on a flip', () => {
    const first = computeStatus(sampleClusterConnect(), { ...base, heartbeats: [beat(1)] }, now).status;
    const later = new Date(now.getTime() + 60_000);
    const cc = { ...sampleClusterConnect(), status: first };
    const same = computeStatus(cc, { ...base, heartbeats: [{ ...beat(1), renewTime: later }] }, later).status;
    expect(condition(same, 'Ready')!.lastTransitionTime).to.equal(condition(first, 'Ready')!.lastTransitionTime);
    const flipped = computeStatus(cc, { ...base, authProxyAvailableReplicas: 0, heartbeats: [{ ...beat(1), renewTime: later }] }, later).status;
    expect(condition(flipped, 'Ready')).to.include({ status: 'False', reason: 'NoReplicasAvailable', lastTransitionTime: later.toISOString() });
  });
});
