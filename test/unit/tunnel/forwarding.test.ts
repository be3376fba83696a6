import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { spliceStreams } from '../../../proxy/src/relay/stream-splice.js';
import type { SpliceHooks } from '../../../proxy/src/relay/stream-splice.js';
import { TunnelOpenError, TunnelStreamResetError } from '../../../proxy/src/tunnel/errors.js';
import { FrameType, ResetCode } from '../../../proxy/src/tunnel/frame.js';
import { createMemoryTransportPair } from './memory-transport.js';
import { TunnelSession } from '../../../proxy/src/tunnel/session.js';
import type { TunnelStream } from '../../../proxy/src/tunnel/stream.js';
import { captureLogger, memorySessionPair, quiet, readAll, ScriptedTransport, streamError, wsSessionPair } from './helpers.js';
import type { WsPair } from './helpers.js';

const WINDOW = 1024 * 1024;

/** Splice hooks for tests that look only at the streams. */
const NO_HOOKS: SpliceHooks = { bytes: () => undefined, accepted: () => undefined, refused: () => undefined, abandoned: () => undefined, finished: () => undefined };

/** client ⇄ relay ⇄ agent over real WebSockets, the relay splicing each client stream onto a new agent stream. */
async function relayChain() {
  const client = await wsSessionPair({ streamWindow: WINDOW });
  const agent = await wsSessionPair({ streamWindow: WINDOW });
  // client.listener and agent.listener are the relay's two sessions; the agent side dials, as in production.
  const counts = { finished: 0, refused: [] as string[] };
  client.listener.on('frameStream', (clientStream) => {
    const agentStream = agent.listener.openFrameStream(clientStream.target);
    spliceStreams(clientStream, agentStream, {
      bytes: () => undefined,
      accepted: () => undefined,
      refused: (_code, reason) => counts.refused.push(reason),
      abandoned: () => undefined,
      finished: () => counts.finished++,
    });
  });
  return { client, agent, counts, close: () => Promise.all([client.close(), agent.close()]) };
}

describe('relay forwarding at the frame level (FrameStream + spliceStreams)', function () {
  this.timeout(60_000);
  let chain: Awaited<ReturnType<typeof relayChain>>;
  let pairs: WsPair[];

  beforeEach(async () => {
    chain = await relayChain();
    pairs = [chain.client, chain.agent];
  });

  afterEach(async () => {
    await chain.close();
  });

  it('carries bytes both ways with half-close, unchanged, and forgets the stream on both relay sessions', async () => {
    chain.agent.dialer.on('stream', (stream) => {
      quiet(stream).accept();
      void readAll(stream).then((data) => stream.end(Buffer.from(data).reverse()));
    });
    const request = randomBytes(8 * 1024 * 1024 + 123);
    const stream = quiet(chain.client.dialer.openStream('echo'));
    stream.end(request);
    const answer = await readAll(stream);
    expect(answer.equals(Buffer.from(request).reverse())).to.equal(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(chain.counts.finished).to.equal(1);
    for (const pair of pairs) expect(pair.listener.streamCount).to.equal(0);
  });

  it('passes credit end to end: a stalled reader holds at most one window, and another stream keeps moving', async () => {
    const inbound = new Map<string, TunnelStream>();
    chain.agent.dialer.on('stream', (stream) => {
      quiet(stream).accept();
      inbound.set(stream.target, stream);
    });
    const stalled = quiet(chain.client.dialer.openStream('stalled'));
    stalled.write(randomBytes(8 * WINDOW));
    await once(stalled, 'open');

    const bulk = quiet(chain.client.dialer.openStream('bulk'));
    await once(bulk, 'open');
    const bulkInbound = inbound.get('bulk') as TunnelStream;
    let received = 0;
    bulkInbound.on('data', (chunk: Buffer) => (received += chunk.length));
    const total = 32 * 1024 * 1024;
    const chunk = randomBytes(64 * 1024);
    for (let sent = 0; sent < total; sent += chunk.length) if (!bulk.write(chunk)) await once(bulk, 'drain');
    while (received < total) await new Promise((resolve) => setTimeout(resolve, 5));

    const stalledInbound = inbound.get('stalled') as TunnelStream;
    expect(stalledInbound.bufferedBytes).to.be.at.most(WINDOW);
    // The client's credit is the agent's window: nothing beyond it left the client, so nothing piles up in the relay.
    expect(stalled.bytesSent).to.be.at.most(WINDOW);
    expect(stalled.bytesSent).to.equal(stalledInbound.bufferedBytes);
  });

  it('passes the agent\'s refusal to the client in its own words', async () => {
    chain.agent.dialer.on('stream', (stream) => stream.reject('upstream 10.0.0.1:443 refused the connection'));
    const error = await streamError(chain.client.dialer.openStream('x'));
    expect(error).to.be.instanceOf(TunnelOpenError);
    expect(error.message).to.contain('upstream 10.0.0.1:443 refused the connection');
    expect(chain.counts.refused).to.deep.equal(['upstream 10.0.0.1:443 refused the connection']);
  });

  it('passes a reset through both ways with its reason', async () => {
    chain.agent.dialer.on('stream', (stream) => {
      quiet(stream).accept();
      stream.once('data', () => stream.destroy(new Error('upstream went away')));
    });
    const stream = chain.client.dialer.openStream('x');
    stream.write('hello');
    const error = await streamError(stream);
    expect(error).to.be.instanceOf(TunnelStreamResetError);
    expect(error.message).to.contain('upstream went away');
  });

  it('resets the client stream when the agent session dies mid-stream', async () => {
    chain.agent.dialer.on('stream', (stream) => {
      quiet(stream).accept();
      stream.write('hello');
      setTimeout(() => chain.agent.dialer.close('agent crashed'), 20);
    });
    const error = await streamError(chain.client.dialer.openStream('x'));
    expect(error).to.be.instanceOf(TunnelStreamResetError);
    expect((error as TunnelStreamResetError).code).to.equal(ResetCode.SessionClosed);
  });
});

describe('FrameStream queueing while the far socket is backed up', () => {
  it('holds DATA until a drain, keeps the order, and sends CLOSE_WRITE only after the queued DATA', async () => {
    const client = memorySessionPair({ streamWindow: WINDOW });
    // A 1-byte high-water mark on the relay's agent session: nearly every forwarded DATA frame waits for a drain.
    const [toAgent, fromRelay] = createMemoryTransportPair();
    const relayAgentSide = new TunnelSession(toAgent, { side: 'listener', logger: captureLogger().logger, transportHighWaterMark: 1 });
    const agent = new TunnelSession(fromRelay, { side: 'dialer', logger: captureLogger().logger, streamWindow: WINDOW });
    client.listener.on('frameStream', (clientStream) => {
      spliceStreams(clientStream, relayAgentSide.openFrameStream(clientStream.target), NO_HOOKS);
    });
    agent.on('stream', (stream) => {
      quiet(stream).accept();
      void readAll(stream).then((data) => stream.end(data));
    });
    const request = randomBytes(3 * WINDOW + 17);
    const stream = quiet(client.dialer.openStream('x'));
    stream.end(request);
    expect((await readAll(stream)).equals(request)).to.equal(true);
    for (const session of [client.dialer, client.listener, relayAgentSide, agent]) session.close();
  });
});

describe('FrameStream against a misbehaving peer', () => {
  it('resets a stream whose peer sends beyond the credit passed on, and resets the far stream too', async () => {
    const client = new ScriptedTransport();
    const relayClientSide = new TunnelSession(client, { side: 'listener', logger: captureLogger().logger });
    const agent = memorySessionPair();
    const agentStreams: TunnelStream[] = [];
    agent.dialer.on('stream', (stream) => agentStreams.push(quiet(stream)));
    relayClientSide.on('frameStream', (clientStream) => {
      const agentStream = agent.listener.openFrameStream(clientStream.target);
      spliceStreams(clientStream, agentStream, NO_HOOKS);
    });
    client.deliver({ type: FrameType.Open, streamId: 1, target: 'x', metadata: {} });
    const chunk = Buffer.alloc(64 * 1024);
    // Five full frames: one more than the 256 KiB initial window.
    for (let i = 0; i < 5; i++) client.deliver({ type: FrameType.Data, streamId: 1, payload: chunk });
    const reset = client.sentFrames().find((frame) => frame.type === FrameType.Reset);
    expect(reset).to.deep.include({ streamId: 1, code: ResetCode.FlowControlError });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const far = agentStreams[0] as TunnelStream;
    expect(far.destroyed).to.equal(true);
    expect(relayClientSide.streamCount).to.equal(0);
    expect(agent.listener.streamCount).to.equal(0);
    relayClientSide.close();
    agent.dialer.close();
  });
});
