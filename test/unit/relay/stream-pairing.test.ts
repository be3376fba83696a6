import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { AgentRegistry } from '../../../proxy/src/relay/agent-registry.js';
import { createRelayMetrics } from '../../../proxy/src/relay/relay-metrics.js';
import { routeClientStream } from '../../../proxy/src/relay/stream-pairing.js';
import type { PairingContext } from '../../../proxy/src/relay/stream-pairing.js';
import { TunnelOpenError } from '../../../proxy/src/tunnel/errors.js';
import type { TunnelSession } from '../../../proxy/src/tunnel/session.js';
import { captureLogger, memorySessionPair, quiet, readAll, streamError } from '../tunnel/helpers.js';

/** client ⇄ relay (client session) and relay (agent session) ⇄ agent, all in memory. */
function topology(agentCount = 1) {
  const client = memorySessionPair();
  const registry = new AgentRegistry();
  const agents: TunnelSession[] = [];
  for (let i = 0; i < agentCount; i++) {
    const pair = memorySessionPair();
    registry.add({ id: `agent-${i}`, cluster: 'c1', session: pair.listener, info: { cluster: 'c1', caBundlePem: 'x', tlsServerName: 'x', authModes: ['oidc'] }, connectedAt: new Date() });
    agents.push(pair.dialer);
  }
  const metricsRegistry = new Registry();
  const context: PairingContext = { registry, relayName: 'relay-a', logger: captureLogger().logger, metrics: createRelayMetrics(metricsRegistry) };
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
});
