import { expect } from 'chai';
import { AgentRegistry } from '../../../proxy/src/relay/agent-registry.js';
import type { AgentConnection, AgentSessionView } from '../../../proxy/src/relay/agent-registry.js';
import type { ClusterConnectionInfo } from '../../../proxy/src/relay/cluster-info.js';

interface FakeSession extends AgentSessionView {
  acceptingStreams: boolean;
  streamCount: number;
  lastFrameAt: number;
}

const info = (cluster: string): ClusterConnectionInfo => ({ cluster, caBundlePem: 'pem', tlsServerName: 'x', authModes: ['oidc'] });

function agent(id: string, cluster = 'c1', streams = 0, accepting = true): AgentConnection<FakeSession> {
  return { id, cluster, session: { acceptingStreams: accepting, streamCount: streams, lastFrameAt: performance.now() }, info: info(cluster), connectedAt: new Date() };
}

describe('relay agent registry', () => {
  it('spreads new streams across equal agents in turn', () => {
    const registry = new AgentRegistry<FakeSession>();
    for (const id of ['a', 'b', 'c']) registry.add(agent(id));
    const picks = Array.from({ length: 6 }, () => registry.pick('c1')?.id);
    expect(picks).to.deep.equal(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('prefers the agent with the fewest open streams', () => {
    const registry = new AgentRegistry<FakeSession>();
    registry.add(agent('busy', 'c1', 10));
    registry.add(agent('idle', 'c1', 1));
    expect(registry.pick('c1')?.id).to.equal('idle');
    expect(registry.pick('c1')?.id).to.equal('idle');
  });

  it('skips draining agents, and has none to give when all drain', () => {
    const registry = new AgentRegistry<FakeSession>();
    const draining = agent('d', 'c1', 0, false);
    registry.add(draining);
    registry.add(agent('live', 'c1', 50));
    expect(registry.pick('c1')?.id).to.equal('live');
    registry.remove(registry.agents('c1')[1] as AgentConnection<FakeSession>);
    expect(registry.pick('c1')).to.equal(undefined);
    expect(registry.agents('c1')).to.have.length(1);
  });

  it('passes over an agent excluded by the caller, and has none to give when every agent is excluded', () => {
    const registry = new AgentRegistry<FakeSession>();
    const tried = agent('tried');
    registry.add(tried);
    registry.add(agent('other', 'c1', 50));
    expect(registry.pick('c1', new Set([tried]))?.id).to.equal('other');
    expect(registry.pick('c1', new Set(registry.agents('c1')))).to.equal(undefined);
  });

  it('passes over an agent that left an open unanswered until it sends again, but picks it when no other is left', () => {
    const registry = new AgentRegistry<FakeSession>();
    const frozen = agent('frozen');
    registry.add(frozen);
    registry.add(agent('busy', 'c1', 50));
    registry.markUnanswered(frozen);
    expect([registry.pick('c1')?.id, registry.pick('c1')?.id]).to.deep.equal(['busy', 'busy']);
    expect(registry.pick('c1', new Set([registry.agents('c1')[1]!]))?.id).to.equal('frozen');
    frozen.session.lastFrameAt += 1; // a PONG arrived
    expect(registry.pick('c1')?.id).to.equal('frozen');
  });

  it('passes over an agent that sent nothing for 12 s', () => {
    let clock = 1_000_000;
    const registry = new AgentRegistry<FakeSession>({ monotonicNow: () => clock });
    const quietOne = agent('quiet');
    const chatty = agent('chatty', 'c1', 50);
    quietOne.session.lastFrameAt = clock;
    chatty.session.lastFrameAt = clock;
    registry.add(quietOne);
    registry.add(chatty);
    expect(registry.pick('c1')?.id).to.equal('quiet');
    clock += 11_999;
    chatty.session.lastFrameAt = clock;
    expect(registry.pick('c1')?.id, 'quiet for 11.999 s: still picked').to.equal('quiet');
    clock += 1;
    chatty.session.lastFrameAt = clock;
    expect(registry.pick('c1')?.id, 'quiet for 12 s: passed over').to.equal('chatty');
  });

  it('remembers when the last agent of a cluster left, and lists live and gone clusters', () => {
    let now = new Date('2026-11-22T10:00:00Z');
    const registry = new AgentRegistry<FakeSession>({ now: () => now });
    expect(registry.lastSeen('c1')).to.equal(undefined);
    const a = agent('a');
    registry.add(a);
    registry.add(agent('z', 'c2'));
    now = new Date('2026-11-22T10:05:00Z');
    registry.remove(a);
    now = new Date('2026-11-22T10:09:00Z');
    expect(registry.lastSeen('c1')?.toISOString()).to.equal('2026-11-22T10:05:00.000Z');
    expect(registry.info('c1')).to.equal(undefined);
    expect(registry.info('c2')?.cluster).to.equal('c2');
    expect(registry.clusters()).to.deep.equal([
      { name: 'c1', agents: 0, readyAgents: 0, lastSeen: '2026-11-22T10:05:00.000Z' },
      { name: 'c2', agents: 1, readyAgents: 1, lastSeen: '2026-11-22T10:09:00.000Z' },
    ]);
    expect(registry.agentCount).to.equal(1);
  });
});
