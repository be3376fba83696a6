import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Registry } from 'prom-client';
import { AgentRegistry } from '../../../proxy/src/relay/agent-registry.js';
import { createRelayMetrics } from '../../../proxy/src/relay/relay-metrics.js';
import { routeClientStream } from '../../../proxy/src/relay/stream-pairing.js';
import { MAX_REPLAY_BYTES } from '../../../proxy/src/relay/early-frames.js';
import type { PairingContext } from '../../../proxy/src/relay/stream-pairing.js';
import { TunnelOpenError } from '../../../proxy/src/tunnel/errors.js';
import { INITIAL_STREAM_WINDOW } from '../../../proxy/src/tunnel/flow-control.js';
import { FRAME_HEADER_SIZE, ResetCode } from '../../../proxy/src/tunnel/frame.js';
import type { TunnelSession } from '../../../proxy/src/tunnel/session.js';
import type { TunnelStream } from '../../../proxy/src/tunnel/stream.js';
import { captureLogger, memorySessionPair, quiet, readAll, streamError } from '../tunnel/helpers.js';

/** client ⇄ relay (client session) and relay (agent session) ⇄ agent, all in memory. */
function topology(agentCount = 1, failoverAfterMs = 3_000) {
  const client = memorySessionPair();
  const registry = new AgentRegistry();
  const agents: TunnelSession[] = [];
  /** The relay's end of each agent's connection (to freeze one). */
  const toAgents: ReturnType<typeof memorySessionPair>['listenerTransport'][] = [];
  for (let i = 0; i < agentCount; i++) {
    const pair = memorySessionPair();
    registry.add({ id: `agent-${i}`, cluster: 'c1', session: pair.listener, info: { cluster: 'c1', caBundlePem: 'x', tlsServerName: 'x', authModes: ['oidc'] }, connectedAt: new Date() });
    agents.push(pair.dialer);
    toAgents.push(pair.listenerTransport);
  }
  const metricsRegistry = new Registry();
  const context: PairingContext = {
    registry,
    relayName: 'relay-a',
    logger: captureLogger().logger,
    metrics: createRelayMetrics(metricsRegistry),
    failoverAfterMs,
    closing: () => false,
  };
  client.listener.on('frameStream', (stream) => routeClientStream(stream, 'c1', context));
  return { clientSession: client.dialer, agents, toAgents, registry, context, metricsRegistry };
}

/** Runs `handle` on each stream an agent gets (errors quieted); returns how many streams each agent got so far. */
function onAgentStreams(agents: TunnelSession[], handle: (stream: TunnelStream, agent: number) => void): number[] {
  const seen = agents.map(() => 0);
  agents.forEach((agent, i) =>
    agent.on('stream', (stream) => {
      seen[i]!++;
      handle(quiet(stream), i);
    }),
  );
  return seen;
}

/** The agent's "upstream": reads everything, then answers with the reversed bytes and closes. */
function echoReversed(stream: TunnelStream): void {
  stream.accept();
  void readAll(stream).then((data) => stream.end(Buffer.from(data).reverse()));
}

/** The value of one sample, e.g. `clusterconnect_relay_streams_total{result="accepted"}`; 0 when it is not there. */
async function sample(metricsRegistry: Registry, name: string): Promise<number> {
  const line = (await metricsRegistry.metrics()).split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(name.length + 1));
}

const OPEN = 'clusterconnect_relay_streams_open';
const streamsTotal = (result: string) => `clusterconnect_relay_streams_total{result="${result}"}`;
const errorsTotal = (reason: string) => `clusterconnect_relay_errors_total{reason="${reason}"}`;

/** The relay forgets a stream a moment after the client saw its end: waits for streams_open to drop to 0. */
async function noStreamOpen(metricsRegistry: Registry): Promise<void> {
  const deadline = Date.now() + 2_000;
  while ((await sample(metricsRegistry, OPEN)) !== 0) {
    if (Date.now() > deadline) expect.fail(`${OPEN} is still ${await sample(metricsRegistry, OPEN)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** How the relay counted the opens so far, by streams_total result. */
async function results(metricsRegistry: Registry): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const result of ['accepted', 'rejected', 'abandoned']) counts[result] = await sample(metricsRegistry, streamsTotal(result));
  return counts;
}

describe('relay stream pairing', () => {
  it('pairs a client stream with an agent stream: bytes both ways, half-close, metrics', async () => {
    const { clientSession, agents, metricsRegistry } = topology();
    onAgentStreams(agents, echoReversed);
    const stream = quiet(clientSession.openStream('c1'));
    const request = randomBytes(600 * 1024);
    stream.end(request);
    const answer = await readAll(stream);
    expect(answer.equals(Buffer.from(request).reverse())).to.equal(true);
    const metrics = await metricsRegistry.metrics();
    expect(metrics).to.match(/clusterconnect_relay_stream_bytes_total\{direction="client_to_agent"\} 614400/);
    expect(metrics).to.match(/clusterconnect_relay_stream_bytes_total\{direction="agent_to_client"\} 614400/);
  });

  it('spreads streams over two agents', async () => {
    const { clientSession, agents } = topology(2);
    const seen = onAgentStreams(agents, (stream) => {
      stream.accept();
      stream.end();
      stream.resume();
    });
    await Promise.all(Array.from({ length: 6 }, () => {
      const stream = quiet(clientSession.openStream('c1'));
      stream.end();
      return readAll(stream);
    }));
    expect(seen).to.deep.equal([3, 3]);
  });

  it('refuses with "no agent is connected for cluster X at relay R" when none is', async () => {
    const { clientSession } = topology(0);
    const error = await streamError(clientSession.openStream('c1'));
    expect(error).to.be.instanceOf(TunnelOpenError);
    expect(error.message).to.equal('no agent is connected for cluster c1 at relay relay-a (this relay has not seen one since it started)');
  });

  it('passes the agent\'s own reason on when the upstream cannot be reached', async () => {
    const { clientSession, agents, metricsRegistry } = topology();
    agents[0]?.on('stream', (stream) => stream.reject('upstream 10.0.0.1:443 refused the connection'));
    const error = await streamError(clientSession.openStream('c1'));
    expect(error.message).to.equal('upstream 10.0.0.1:443 refused the connection');
    await noStreamOpen(metricsRegistry);
    expect(await results(metricsRegistry)).to.deep.equal({ accepted: 0, rejected: 1, abandoned: 0 });
    expect(await sample(metricsRegistry, errorsTotal('upstream_unreachable'))).to.equal(1);
  });

  it('refuses with the agent\'s reason when its session cannot take the stream, and counts that one reason', async () => {
    const { clientSession, registry, metricsRegistry } = topology();
    const session = registry.agents('c1')[0]!.session;
    session.openFrameStream = () => {
      throw new TunnelOpenError('c1', 'tunnel session ran out of stream ids; reconnect');
    };
    const error = await streamError(clientSession.openStream('c1'));
    expect(error.message).to.equal('agent agent-0 of cluster c1 could not take the stream: tunnel session ran out of stream ids; reconnect');
    expect(await results(metricsRegistry)).to.deep.equal({ accepted: 0, rejected: 1, abandoned: 0 });
    expect(await sample(metricsRegistry, errorsTotal('agent_open_failed'))).to.equal(1);
    expect(await sample(metricsRegistry, errorsTotal('no_agent'))).to.equal(0);
  });

  it('resets the client stream when the agent session dies mid-stream', async () => {
    const { clientSession, agents } = topology();
    agents[0]?.on('stream', (stream) => {
      quiet(stream).accept();
      stream.write('hello');
      setTimeout(() => agents[0]?.close('agent crashed'), 20);
    });
    const stream = clientSession.openStream('c1');
    const error = await streamError(stream);
    expect(error.message).to.match(/closed|agent crashed/);
  });

  describe('failover before an agent accepts', () => {
    /** Agent 0 takes each open and never answers (a frozen agent whose connection is still up); agent 1 echoes. */
    function silentThenEcho(agents: TunnelSession[]): number[] {
      return onAgentStreams(agents, (stream, i) => {
        if (i === 1) echoReversed(stream);
      });
    }

    /** After one move: one open, accepted, and no longer open once done. */
    async function expectOneAcceptedOpen(metricsRegistry: Registry): Promise<void> {
      await noStreamOpen(metricsRegistry);
      expect(await results(metricsRegistry)).to.deep.equal({ accepted: 1, rejected: 0, abandoned: 0 });
    }

    it('moves the open to another agent when the first one\'s session dies, replaying the client\'s early bytes', async () => {
      const { clientSession, agents, metricsRegistry } = topology(2);
      // Agent 0 takes the open and dies without answering (killed between OPEN and ACCEPT).
      const seen = onAgentStreams(agents, (stream, i) => (i === 0 ? agents[0]?.close('agent killed') : echoReversed(stream)));
      const stream = quiet(clientSession.openStream('c1'));
      // Sent before any ACCEPT, as a TLS ClientHello is, and in many DATA frames: the replay must carry them all, in order.
      const hello = randomBytes(3000);
      const cuts = [0, 1, 2, 3, 100, 101, 1000, hello.length];
      for (let i = 1; i < cuts.length; i++) stream.write(hello.subarray(cuts[i - 1], cuts[i]));
      stream.end();
      const answer = await readAll(stream);
      expect(answer.equals(Buffer.from(hello).reverse())).to.equal(true);
      expect(seen).to.deep.equal([1, 1]);
      expect(await metricsRegistry.metrics()).to.match(/clusterconnect_relay_stream_failovers_total\{reason="agent_gone"\} 1/);
      await expectOneAcceptedOpen(metricsRegistry);
    });

    it('moves the open when the agent refuses it as draining', async () => {
      const { clientSession, agents, metricsRegistry } = topology(2);
      const seen = onAgentStreams(agents, (stream, i) => (i === 0 ? stream.reject('agent is draining', ResetCode.Refused) : echoReversed(stream)));
      const stream = quiet(clientSession.openStream('c1'));
      stream.end('ping');
      expect((await readAll(stream)).toString()).to.equal('gnip');
      expect(seen).to.deep.equal([1, 1]);
      expect(await metricsRegistry.metrics()).to.match(/clusterconnect_relay_stream_failovers_total\{reason="agent_refused"\} 1/);
      await expectOneAcceptedOpen(metricsRegistry);
    });

    it('moves an open a silent agent leaves unanswered, and passes that agent over for the next opens', async () => {
      const { clientSession, agents, metricsRegistry } = topology(2, 50);
      const seen = silentThenEcho(agents);
      for (const text of ['one', 'two', 'three']) {
        const stream = quiet(clientSession.openStream('c1'));
        stream.end(text);
        expect((await readAll(stream)).toString()).to.equal(Buffer.from(text).reverse().toString());
      }
      // The first open waited 50 ms on agent 0 and moved; the next two went straight to agent 1.
      expect(seen).to.deep.equal([1, 3]);
      expect(await metricsRegistry.metrics()).to.match(/clusterconnect_relay_stream_failovers_total\{reason="agent_silent"\} 1/);
      await noStreamOpen(metricsRegistry);
      expect(await results(metricsRegistry)).to.deep.equal({ accepted: 3, rejected: 0, abandoned: 0 });
    });

    it('moves an open twice, replaying to each agent under its own stream id while an earlier replay is still stuck', async () => {
      const { clientSession, agents, toAgents, registry, metricsRegistry } = topology(3, 50);
      // Agent 0 is silent; the relay's connection to agent 1 is stuck (it gets nothing until thawed); agent 2 echoes.
      const seen = onAgentStreams(agents, (stream, i) => {
        if (i === 2) echoReversed(stream);
      });
      // Agent 1's next stream id differs from agent 2's: a replay sent with the other's id would not reach it.
      registry.agents('c1')[1]!.session.openFrameStream('c1', {}).reset(ResetCode.Cancel, 'an earlier stream');
      toAgents[1]!.frozen = true;
      const replayedToAgent1: Buffer[] = [];
      agents[1]?.on('frameStream', (stream) => {
        stream.attach({ data: (message) => replayedToAgent1.push(Buffer.from(message.subarray(FRAME_HEADER_SIZE))), window() {}, accept() {}, closeWrite() {}, reset() {}, finished() {} });
      });
      const stream = quiet(clientSession.openStream('c1'));
      stream.write('hel');
      stream.end('lo');
      expect((await readAll(stream)).toString()).to.equal('olleh');
      expect(seen).to.deep.equal([1, 0, 1]);
      expect(await metricsRegistry.metrics()).to.match(/clusterconnect_relay_stream_failovers_total\{reason="agent_silent"\} 2/);
      toAgents[1]!.thaw();
      const deadline = Date.now() + 1_000;
      while (replayedToAgent1.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(Buffer.concat(replayedToAgent1).toString(), 'what agent 1 was sent, once its connection moved again').to.equal('hello');
    });

    it('holds back credit an agent granted before it accepted, so the client never has more than the agent it lands on', async () => {
      const { clientSession, agents, metricsRegistry } = topology(2, 50);
      const seen = [0, 0];
      // Agent 0 grants a whole extra window before it accepts, then goes silent.
      agents[0]?.on('frameStream', (stream) => {
        seen[0]!++;
        stream.attach({ data() {}, window() {}, accept() {}, closeWrite() {}, reset() {}, finished() {} });
        stream.sendWindow(INITIAL_STREAM_WINDOW);
      });
      // Agent 1 accepts at once but reads only a moment later: until then the client has only its initial window.
      agents[1]?.on('stream', (stream) => {
        seen[1]!++;
        quiet(stream).accept();
        setTimeout(() => void readAll(stream).then((data) => stream.end(Buffer.from(data).reverse())), 50);
      });
      const stream = quiet(clientSession.openStream('c1'));
      const hello = Buffer.from('hello');
      stream.write(hello);
      await once(stream, 'open');
      expect(stream.availableSendCredit, 'agent 0\'s grant never reached the client').to.equal(INITIAL_STREAM_WINDOW - hello.length);
      const body = randomBytes(2 * INITIAL_STREAM_WINDOW);
      stream.end(body);
      const answer = await readAll(stream);
      expect(answer.equals(Buffer.concat([hello, body]).reverse())).to.equal(true);
      expect(seen).to.deep.equal([1, 1]);
      await expectOneAcceptedOpen(metricsRegistry);
    });

    it('passes held credit on once the client sent too much for a replay (the open can no longer move)', async () => {
      const { clientSession, agents } = topology(1, 50);
      let granted = false;
      agents[0]?.on('frameStream', (stream) => {
        stream.attach({ data() {}, window() {}, accept() {}, closeWrite() {}, reset() {}, finished() {} });
        stream.sendWindow(INITIAL_STREAM_WINDOW);
        granted = true;
      });
      const stream = quiet(clientSession.openStream('c1'));
      stream.write(Buffer.alloc(1));
      while (!granted) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(stream.availableSendCredit, 'held while the open may move').to.equal(INITIAL_STREAM_WINDOW - 1);
      stream.write(Buffer.alloc(MAX_REPLAY_BYTES));
      const deadline = Date.now() + 2_000;
      while (stream.availableSendCredit < INITIAL_STREAM_WINDOW && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(stream.availableSendCredit).to.equal(2 * INITIAL_STREAM_WINDOW - 1 - MAX_REPLAY_BYTES);
      stream.destroy();
    });

    it('gives up failover for a stream whose client sent more than MAX_REPLAY_BYTES before an agent accepted', async () => {
      const { clientSession, agents, metricsRegistry } = topology(2, 50);
      const seen = silentThenEcho(agents);
      const stream = quiet(clientSession.openStream('c1'));
      stream.write(randomBytes(MAX_REPLAY_BYTES + 1));
      // Not moved: it waits on the silent agent (the session's own open timeout would end it).
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(seen).to.deep.equal([1, 0]);
      expect(await metricsRegistry.metrics()).not.to.match(/clusterconnect_relay_stream_failovers_total\{/);
      stream.destroy();
    });

    it('keeps waiting on a slow agent when no other agent is left', async () => {
      const { clientSession, agents, metricsRegistry } = topology(1, 30);
      agents[0]?.on('stream', (stream) => {
        setTimeout(() => {
          quiet(stream).accept();
          void readAll(stream).then((data) => stream.end(data));
        }, 120);
      });
      const stream = quiet(clientSession.openStream('c1'));
      stream.end('late');
      expect((await readAll(stream)).toString()).to.equal('late');
      expect(await metricsRegistry.metrics()).not.to.match(/clusterconnect_relay_stream_failovers_total\{/);
    });

    it('counts an open the only agent refused as draining as agent_refused, not as an unreachable upstream', async () => {
      const { clientSession, agents, metricsRegistry } = topology(1);
      agents[0]?.on('stream', (stream) => stream.reject('agent is draining', ResetCode.Refused));
      const error = await streamError(clientSession.openStream('c1'));
      expect(error.message).to.equal('agent is draining');
      await noStreamOpen(metricsRegistry);
      expect(await results(metricsRegistry)).to.deep.equal({ accepted: 0, rejected: 1, abandoned: 0 });
      expect(await sample(metricsRegistry, errorsTotal('agent_refused'))).to.equal(1);
      expect(await sample(metricsRegistry, errorsTotal('upstream_unreachable'))).to.equal(0);
    });

    it('counts an open whose only agent died before accepting it as rejected (agent_gone)', async () => {
      const { clientSession, agents, metricsRegistry } = topology(1);
      agents[0]?.on('stream', (stream) => {
        quiet(stream);
        agents[0]?.close('agent killed');
      });
      const stream = clientSession.openStream('c1');
      stream.write('hello');
      await streamError(stream);
      await noStreamOpen(metricsRegistry);
      expect(await results(metricsRegistry)).to.deep.equal({ accepted: 0, rejected: 1, abandoned: 0 });
      expect(await sample(metricsRegistry, errorsTotal('agent_gone'))).to.equal(1);
    });

    it('counts an open the client reset before any agent accepted as abandoned', async () => {
      const { clientSession, agents, metricsRegistry } = topology(1);
      let seen = false;
      agents[0]?.on('stream', (stream) => {
        seen = true;
        quiet(stream); // silent
      });
      const stream = quiet(clientSession.openStream('c1'));
      stream.write('hello');
      while (!seen) await new Promise((resolve) => setTimeout(resolve, 5));
      stream.destroy();
      await noStreamOpen(metricsRegistry);
      expect(await results(metricsRegistry)).to.deep.equal({ accepted: 0, rejected: 0, abandoned: 1 });
    });

    it('does not move an open the agent refused because its upstream is unreachable: that is the cluster\'s answer', async () => {
      const { clientSession, agents } = topology(2);
      const seen = onAgentStreams(agents, (stream) => stream.reject('upstream 10.0.0.1:443 refused the connection'));
      const error = await streamError(clientSession.openStream('c1'));
      expect(error.message).to.equal('upstream 10.0.0.1:443 refused the connection');
      expect(seen[0]! + seen[1]!).to.equal(1);
    });
  });
});
