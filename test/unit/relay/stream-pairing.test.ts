import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { AgentRegistry } from '../../../proxy/src/relay/agent-registry.js';
import { createRelayMetrics } from '../../../proxy/src/relay/relay-metrics.js';
import { routeClientStream } from '../../../proxy/src/relay/stream-pairing.js';
import { MAX_REPLAY_BYTES } from '../../../proxy/src/relay/stream-splice.js';
import type { PairingContext } from '../../../proxy/src/relay/stream-pairing.js';
import { TunnelOpenError } from '../../../proxy/src/tunnel/errors.js';
import { ResetCode } from '../../../proxy/src/tunnel/frame.js';
import type { TunnelSession } from '../../../proxy/src/tunnel/session.js';
import { captureLogger, memorySessionPair, quiet, readAll, streamError } from '../tunnel/helpers.js';

/** client ⇄ relay (client session) and relay (agent session) ⇄ agent, all in memory. */
function topology(agentCount = 1, failoverAfterMs?: number) {
  const client = memorySessionPair();
  const registry = new AgentRegistry();
  const agents: TunnelSession[] = [];
  for (let i = 0; i < agentCount; i++) {
    const pair = memorySessionPair();
    registry.add({ id: `agent-${i}`, cluster: 'c1', session: pair.listener, info: { cluster: 'c1', caBundlePem: 'x', tlsServerName: 'x', authModes: ['oidc'] }, connectedAt: new Date() });
    agents.push(pair.dialer);
  }
  const metricsRegistry = new Registry();
  const context: PairingContext = { registry, relayName: 'relay-a', logger: captureLogger().logger, metrics: createRelayMetrics(metricsRegistry), ...(failoverAfterMs === undefined ? {} : { failoverAfterMs }) };
  client.listener.on('frameStream', (stream) => routeClientStream(stream, 'c1', context));
  return { clientSession: client.dialer, agents, registry, context, metricsRegistry };
}

describe('relay stream pairing', () => {
  it('pairs a client stream with an agent stream: bytes both ways, half-close, metrics', async () => {
    const { clientSession, agents, metricsRegistry } = topology();
    // The agent's "upstream": read everything, then answer with the reversed bytes and close.
    agents[0]?.on('stream', (stream) => {
      quiet(stream).accept();
      void readAll(stream).then((data) => stream.end(Buffer.from(data).reverse()));
    });
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
    const seen = [0, 0];
    agents.forEach((agent, i) =>
      agent.on('stream', (stream) => {
        seen[i]!++;
        quiet(stream).accept();
        stream.end();
        stream.resume();
      }),
    );
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
    const { clientSession, agents } = topology();
    agents[0]?.on('stream', (stream) => stream.reject('upstream 10.0.0.1:443 refused the connection'));
    const error = await streamError(clientSession.openStream('c1'));
    expect(error.message).to.equal('upstream 10.0.0.1:443 refused the connection');
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
    /** Agent `i` echoes whatever the stream carries, reversed; counts the streams it saw. */
    function echoReversed(agent: TunnelSession, seen: number[], i: number) {
      agent.on('stream', (stream) => {
        seen[i]!++;
        quiet(stream).accept();
        void readAll(stream).then((data) => stream.end(Buffer.from(data).reverse()));
      });
    }

    it('moves the open to another agent when the first one\'s session dies, replaying the client\'s early bytes', async () => {
      const { clientSession, agents, metricsRegistry } = topology(2);
      const seen = [0, 0];
      // Agent 0 takes the open and dies without answering (killed between OPEN and ACCEPT).
      agents[0]?.on('stream', (stream) => {
        seen[0]!++;
        quiet(stream);
        agents[0]?.close('agent killed');
      });
      echoReversed(agents[1]!, seen, 1);
      const stream = quiet(clientSession.openStream('c1'));
      const hello = randomBytes(3000); // sent before any ACCEPT, as a TLS ClientHello is
      stream.end(hello);
      const answer = await readAll(stream);
      expect(answer.equals(Buffer.from(hello).reverse())).to.equal(true);
      expect(seen).to.deep.equal([1, 1]);
      expect(await metricsRegistry.metrics()).to.match(/clusterconnect_relay_stream_failovers_total\{reason="agent_gone"\} 1/);
    });

    it('moves the open when the agent refuses it as draining', async () => {
      const { clientSession, agents, metricsRegistry } = topology(2);
      const seen = [0, 0];
      agents[0]?.on('stream', (stream) => {
        seen[0]!++;
        stream.reject('agent is draining', ResetCode.Refused);
      });
      echoReversed(agents[1]!, seen, 1);
      const stream = quiet(clientSession.openStream('c1'));
      stream.end('ping');
      expect((await readAll(stream)).toString()).to.equal('gnip');
      expect(seen).to.deep.equal([1, 1]);
      expect(await metricsRegistry.metrics()).to.match(/clusterconnect_relay_stream_failovers_total\{reason="agent_refused"\} 1/);
    });

    it('moves an open a silent agent leaves unanswered, and passes that agent over for the next opens', async () => {
      const { clientSession, agents, metricsRegistry } = topology(2, 50);
      const seen = [0, 0];
      agents[0]?.on('stream', (stream) => {
        seen[0]!++;
        quiet(stream); // never answered: a frozen agent whose connection is still up
      });
      echoReversed(agents[1]!, seen, 1);
      for (const text of ['one', 'two', 'three']) {
        const stream = quiet(clientSession.openStream('c1'));
        stream.end(text);
        expect((await readAll(stream)).toString()).to.equal(Buffer.from(text).reverse().toString());
      }
      // The first open waited 50 ms on agent 0 and moved; the next two went straight to agent 1.
      expect(seen).to.deep.equal([1, 3]);
      expect(await metricsRegistry.metrics()).to.match(/clusterconnect_relay_stream_failovers_total\{reason="agent_silent"\} 1/);
    });

    it('gives up failover for a stream whose client sent more than MAX_REPLAY_BYTES before an agent accepted', async () => {
      const { clientSession, agents, metricsRegistry } = topology(2, 50);
      const seen = [0, 0];
      agents[0]?.on('stream', (stream) => {
        seen[0]!++;
        quiet(stream); // silent
      });
      echoReversed(agents[1]!, seen, 1);
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

    it('does not move an open the agent refused because its upstream is unreachable: that is the cluster\'s answer', async () => {
      const { clientSession, agents } = topology(2);
      const seen = [0, 0];
      agents.forEach((agent, i) =>
        agent.on('stream', (stream) => {
          seen[i]!++;
          stream.reject('upstream 10.0.0.1:443 refused the connection');
        }),
      );
      const error = await streamError(clientSession.openStream('c1'));
      expect(error.message).to.equal('upstream 10.0.0.1:443 refused the connection');
      expect(seen[0]! + seen[1]!).to.equal(1);
    });
  });
});
