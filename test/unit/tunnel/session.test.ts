import { expect } from 'chai';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  TunnelDeadPeerError,
  TunnelOpenError,
  TunnelProtocolError,
  TunnelSessionClosedError,
  TunnelStreamResetError,
} from '../../../proxy/src/tunnel/errors.js';
import { encodeData } from '../../../proxy/src/tunnel/codec.js';
import { INITIAL_STREAM_WINDOW } from '../../../proxy/src/tunnel/flow-control.js';
import { FrameType, ResetCode } from '../../../proxy/src/tunnel/frame.js';
import { TunnelSession } from '../../../proxy/src/tunnel/session.js';
import type { TunnelStream } from '../../../proxy/src/tunnel/stream.js';
import { dialTarget } from '../../../proxy/src/tunnel/tcp-bridge.js';
import { ScriptedTransport, acceptAll, captureLogger, whenClosed, echoStreams, memorySessionPair, quiet, readAll, streamError } from './helpers.js';

function scriptedSession(side: 'dialer' | 'listener' = 'listener', onStream?: (stream: TunnelStream) => void) {
  const transport = new ScriptedTransport();
  const log = captureLogger('debug');
  const session = new TunnelSession(transport, { side, logger: log.logger });
  if (onStream) session.on('stream', onStream);
  const closed = new Promise<Error | undefined>((resolve) => session.once('close', resolve));
  return { transport, session, log, closed };
}

describe('tunnel/session (in-memory transport)', () => {
  it('opens streams from both sides with disjoint ids and moves bytes both ways', async () => {
    const { dialer, listener } = memorySessionPair();
    echoStreams(dialer);
    echoStreams(listener);
    const fromDialer = dialer.openStream('a:1', { user: 'alice' });
    const fromListener = listener.openStream('b:2');
    expect(fromDialer.id % 2).to.equal(1);
    expect(fromListener.id % 2).to.equal(0);
    await Promise.all([once(fromDialer, 'open'), once(fromListener, 'open')]);
    fromDialer.end('ping from dialer');
    fromListener.end(Buffer.alloc(300_000, 0x42));
    const [a, b] = await Promise.all([readAll(fromDialer), readAll(fromListener)]);
    expect(a.toString()).to.equal('ping from dialer');
    expect(b.equals(Buffer.alloc(300_000, 0x42))).to.be.true;
    dialer.close();
  });

  it('passes the target and metadata to the accepting side', async () => {
    const { dialer, listener } = memorySessionPair();
    const seen = once(listener, 'stream') as Promise<[TunnelStream]>;
    quiet(dialer.openStream('10.0.0.1:443', { cluster: 'c1' }));
    const [stream] = await seen;
    quiet(stream);
    expect(stream.direction).to.equal('inbound');
    expect(stream.target).to.equal('10.0.0.1:443');
    expect({ ...stream.metadata }).to.deep.equal({ cluster: 'c1' });
    dialer.close();
  });

  it('sends bytes written before ACCEPT once the stream is accepted', async () => {
    const { dialer, listener } = memorySessionPair();
    let inbound: TunnelStream | undefined;
    listener.on('stream', (stream) => {
      inbound = stream;
    });
    const stream = dialer.openStream('t');
    stream.write('early bytes ');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(inbound?.isAccepted).to.equal(false);
    inbound?.accept();
    inbound?.pipe(inbound);
    stream.end('and late bytes');
    expect((await readAll(stream)).toString()).to.equal('early bytes and late bytes');
    dialer.close();
  });

  it('completes an empty write at once without sending an (invalid) empty DATA frame', async () => {
    const { dialer, listener } = memorySessionPair();
    echoStreams(listener);
    const stream = dialer.openStream('t');
    await new Promise<void>((resolve, reject) => stream.write(Buffer.alloc(0), (error) => (error ? reject(error) : resolve())));
    stream.write('x');
    stream.end(Buffer.alloc(0));
    expect((await readAll(stream)).toString()).to.equal('x');
    dialer.close();
  });

  it('half-closes: the side that ended can still read, the other can still write', async () => {
    const { dialer, listener } = memorySessionPair();
    const inboundP = once(listener, 'stream') as Promise<[TunnelStream]>;
    const outbound = dialer.openStream('t');
    const [inbound] = await inboundP;
    inbound.accept();
    outbound.end('request');
    // The listener sees EOF of the request, then answers on its still-open write side.
    const request = await readAll(inbound);
    expect(request.toString()).to.equal('request');
    expect(outbound.writableFinished).to.be.true;
    inbound.write('response part 1, ');
    inbound.end('part 2');
    expect((await readAll(outbound)).toString()).to.equal('response part 1, part 2');
    await Promise.all([whenClosed(outbound), whenClosed(inbound)]);
    expect(dialer.streamCount).to.equal(0);
    expect(listener.streamCount).to.equal(0);
    dialer.close();
  });

  it('half-closes in the other direction (the acceptor ends first)', async () => {
    const { dialer, listener } = memorySessionPair();
    acceptAll(listener, (stream) => stream.end('banner'));
    const outbound = dialer.openStream('t');
    expect((await readAll(outbound)).toString()).to.equal('banner');
    expect(outbound.writable).to.be.true;
    outbound.end('late reply');
    await whenClosed(outbound);
    dialer.close();
  });

  it('propagates an open refusal to the opener as TunnelOpenError with the reason', async () => {
    const { dialer, listener } = memorySessionPair();
    listener.on('stream', (stream) => stream.reject('upstream 10.0.0.1:443 refused the connection'));
    const outbound = dialer.openStream('10.0.0.1:443');
    const error = await streamError(outbound);
    expect(error).to.be.instanceOf(TunnelOpenError);
    expect(error.message).to.equal('upstream 10.0.0.1:443 refused the connection');
    expect((error as TunnelOpenError).target).to.equal('10.0.0.1:443');
    dialer.close();
  });

  it('reports a refused TCP dial in words (dialTarget to a closed port)', async () => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    server.close();
    await once(server, 'close');
    const { dialer, listener } = memorySessionPair();
    listener.on('stream', (stream) => dialTarget(stream, { host: '127.0.0.1', port }));
    const error = await streamError(dialer.openStream(`127.0.0.1:${port}`));
    expect(error.message).to.equal(`upstream 127.0.0.1:${port} refused the connection`);
    dialer.close();
  });

  it('refuses streams when nobody listens for them', async () => {
    const { dialer } = memorySessionPair();
    const error = await streamError(dialer.openStream('t'));
    expect(error).to.be.instanceOf(TunnelOpenError);
    expect(error.message).to.contain('does not accept streams');
    dialer.close();
  });

  it('refuses inbound streams beyond maxInboundStreams, and accepts again once one closes', async () => {
    const { dialer, listener } = memorySessionPair({ maxInboundStreams: 2 });
    acceptAll(listener);
    const first = quiet(dialer.openStream('1'));
    const second = quiet(dialer.openStream('2'));
    await Promise.all([once(first, 'open'), once(second, 'open')]);
    const error = await streamError(dialer.openStream('3'));
    expect(error.message).to.match(/too many streams \(limit 2\)/);
    first.destroy();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await once(quiet(dialer.openStream('4')), 'open');
    dialer.close();
  });

  it('turns a local destroy into a reset the peer sees as TunnelStreamResetError', async () => {
    const { dialer, listener } = memorySessionPair();
    const inboundP = once(listener, 'stream') as Promise<[TunnelStream]>;
    const outbound = dialer.openStream('t');
    const [inbound] = await inboundP;
    inbound.accept();
    await once(outbound, 'open');
    quiet(outbound);
    const failed = streamError(inbound);
    outbound.destroy(new Error('kubectl went away'));
    const error = await failed;
    expect(error).to.be.instanceOf(TunnelStreamResetError);
    expect(error.message).to.equal('kubectl went away');
    dialer.close();
  });

  it('destroys every stream with TunnelSessionClosedError when the session closes, on both sides', async () => {
    const { dialer, listener } = memorySessionPair();
    const inbound: TunnelStream[] = [];
    acceptAll(listener, (stream) => inbound.push(stream));
    const outbound = [dialer.openStream('1'), dialer.openStream('2')];
    await Promise.all(outbound.map((stream) => once(stream, 'open')));
    const errors = [...outbound, ...inbound].map((stream) => streamError(stream));
    const listenerClosed = once(listener, 'close') as Promise<[Error | undefined]>;
    dialer.close('agent shutting down');
    for (const error of await Promise.all(errors)) expect(error).to.be.instanceOf(TunnelSessionClosedError);
    const [peerError] = await listenerClosed;
    expect(peerError).to.be.instanceOf(TunnelSessionClosedError);
    expect(() => dialer.openStream('x')).to.throw(TunnelSessionClosedError);
  });

  it('GOAWAY: the peer opens no new streams, open streams carry on', async () => {
    const { dialer, listener } = memorySessionPair();
    echoStreams(listener);
    const existing = quiet(dialer.openStream('t'));
    await once(existing, 'open');
    const goaway = once(dialer, 'goaway');
    listener.goAway('agent draining');
    const [code, reason] = (await goaway) as [number, string];
    expect(code).to.equal(0);
    expect(reason).to.equal('agent draining');
    expect(dialer.acceptingStreams).to.be.false;
    expect(() => dialer.openStream('new')).to.throw(TunnelOpenError, /draining/);
    existing.end('still works');
    expect((await readAll(existing)).toString()).to.equal('still works');
    dialer.close();
  });

  it('refuses an OPEN that crossed its own GOAWAY', async () => {
    const { dialer, listener } = memorySessionPair();
    echoStreams(listener);
    listener.goAway();
    const stream = dialer.openStream('t'); // sent before the GOAWAY arrives
    const error = await streamError(stream);
    expect(error.message).to.contain('draining');
    dialer.close();
  });

  it('a slow reader that reads a few bytes at a time still gets everything (credit keeps flowing)', async () => {
    const { dialer, listener } = memorySessionPair();
    const payload = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
    acceptAll(listener, (stream) => stream.end(payload));
    const stream = dialer.openStream('t');
    const parts: Buffer[] = [];
    let maxBuffered = 0;
    await new Promise<void>((resolve, reject) => {
      stream.on('readable', () => {
        let chunk: Buffer | null;
        while ((chunk = stream.read(1000) as Buffer | null) !== null) parts.push(chunk);
        maxBuffered = Math.max(maxBuffered, stream.bufferedBytes);
      });
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    expect(Buffer.concat(parts).equals(payload)).to.be.true;
    expect(maxBuffered).to.be.at.most(INITIAL_STREAM_WINDOW);
    dialer.close();
  });

  it('keeps an idle session alive with pings, and detects a dead peer', async () => {
    const { dialer, listener, listenerTransport } = memorySessionPair({ pingIntervalMs: 20, deadPeerTimeoutMs: 150 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(dialer.closed).to.be.false;
    expect(listener.closed).to.be.false;
    expect(dialer.stats().lastRttMs).to.be.a('number');
    // The listener stops delivering anything (a hung peer): the dialer must give up on it.
    listenerTransport.frozen = true;
    const [error] = (await once(dialer, 'close')) as [Error | undefined];
    expect(error).to.be.instanceOf(TunnelDeadPeerError);
    expect(error?.message).to.match(/dead-peer timeout 150 ms/);
    listener.close();
  });

  it('fails an open that gets no answer within openTimeoutMs', async () => {
    const { dialer, listener } = memorySessionPair({ openTimeoutMs: 50 });
    listener.on('stream', (stream) => quiet(stream)); // never accepts
    const error = await streamError(dialer.openStream('slow:443'));
    expect(error).to.be.instanceOf(TunnelOpenError);
    expect(error.message).to.equal('no answer to the open of slow:443 within 50 ms');
    dialer.close();
  });

  it('stops sending DATA while the transport is above its high-water mark and resumes streams in turn on drain', () => {
    const { transport, session } = scriptedSession('dialer');
    const streams = [quiet(session.openStream('a')), quiet(session.openStream('b'))];
    transport.bufferedAmount = 10 * 1024 * 1024; // a slow socket under the session
    for (const stream of streams) stream.write(Buffer.alloc(1000, 1));
    const dataFrames = () => transport.sentFrames().filter((frame) => frame.type === FrameType.Data);
    expect(dataFrames()).to.have.length(0);
    transport.bufferedAmount = 0;
    transport.handlers?.onDrain();
    expect(dataFrames().map((frame) => frame.streamId)).to.deep.equal([streams[0]?.id, streams[1]?.id]);
    expect(session.stats()).to.include({ openStreams: 2, streamsOpened: 2, bytesSent: 2000 });
    session.close();
  });

  describe('protocol violations by the peer', () => {
    it('closes the session on a malformed frame, with the reason logged', async () => {
      const { transport, log, closed } = scriptedSession();
      transport.deliver(Buffer.from([3, 0, 0, 0, 0, 1]));
      const error = await closed;
      expect(error).to.be.instanceOf(TunnelProtocolError);
      expect(transport.closedWith?.code).to.equal(1002);
      expect(log.lines.join('')).to.contain('malformed frame (BAD_LENGTH)');
      expect(transport.sentFrames().at(-1)?.type).to.equal(FrameType.GoAway);
    });

    it('closes the session on a text message', async () => {
      const { transport, closed } = scriptedSession();
      transport.deliver(Buffer.from('hello'), false);
      expect(await closed).to.be.instanceOf(TunnelProtocolError);
    });

    it('closes the session on a frame for a stream id that was never opened', async () => {
      const { transport, log, closed } = scriptedSession();
      transport.deliver(encodeData(41, Buffer.from('x')));
      expect(await closed).to.be.instanceOf(TunnelProtocolError);
      expect(log.lines.join('')).to.contain('Data for stream 41, which was never opened');
    });

    it('closes the session when the peer opens a stream with this side\'s parity or reuses an id', async () => {
      const parity = scriptedSession('listener', (stream) => quiet(stream).accept());
      parity.transport.deliver({ type: FrameType.Open, streamId: 2, target: 't', metadata: {} });
      expect(await parity.closed).to.be.instanceOf(TunnelProtocolError);
      const reuse = scriptedSession('listener', (stream) => quiet(stream).accept());
      reuse.transport.deliver({ type: FrameType.Open, streamId: 5, target: 't', metadata: {} });
      reuse.transport.deliver({ type: FrameType.Open, streamId: 3, target: 't', metadata: {} });
      expect(await reuse.closed).to.be.instanceOf(TunnelProtocolError);
    });

    it('ignores late frames for a stream that already finished', () => {
      const { transport, session } = scriptedSession('listener', (stream) => stream.reject('no'));
      transport.deliver({ type: FrameType.Open, streamId: 1, target: 't', metadata: {} });
      transport.deliver(encodeData(1, Buffer.from('crossed the reset')));
      transport.deliver({ type: FrameType.CloseWrite, streamId: 1 });
      expect(session.closed).to.be.false;
      session.close();
    });

    it('resets only the offending stream when the peer overruns its window', async () => {
      const inbound: TunnelStream[] = [];
      const { transport, session, log } = scriptedSession('listener', (stream) => {
        stream.accept();
        stream.on('error', () => undefined);
        inbound.push(stream);
      });
      transport.deliver({ type: FrameType.Open, streamId: 1, target: 'greedy', metadata: {} });
      transport.deliver({ type: FrameType.Open, streamId: 3, target: 'polite', metadata: {} });
      const chunk = Buffer.alloc(64 * 1024);
      for (let sent = 0; sent <= INITIAL_STREAM_WINDOW; sent += chunk.length) transport.deliver(encodeData(1, chunk));
      transport.deliver(encodeData(3, Buffer.from('fine')));
      await new Promise((resolve) => setImmediate(resolve));
      const resets = transport.sentFrames().filter((frame) => frame.type === FrameType.Reset);
      expect(resets).to.have.length(1);
      expect(resets[0]).to.include({ streamId: 1, code: ResetCode.FlowControlError });
      expect(inbound[0]?.destroyed).to.be.true;
      expect(inbound[1]?.destroyed).to.be.false;
      expect(session.closed).to.be.false;
      expect(log.lines.join('')).to.contain('beyond the window');
      session.close();
    });

    it('resets a stream whose peer sends DATA after CLOSE_WRITE', async () => {
      const { transport, session } = scriptedSession('listener', (stream) => {
        stream.accept();
        stream.on('error', () => undefined);
      });
      transport.deliver({ type: FrameType.Open, streamId: 1, target: 't', metadata: {} });
      transport.deliver({ type: FrameType.CloseWrite, streamId: 1 });
      transport.deliver(encodeData(1, Buffer.from('x')));
      await new Promise((resolve) => setImmediate(resolve));
      expect(transport.sentFrames().find((frame) => frame.type === FrameType.Reset)).to.include({ streamId: 1, code: ResetCode.ProtocolError });
      expect(session.closed).to.be.false;
      session.close();
    });

    it('answers PING with PONG carrying the same bytes', () => {
      const { transport, session } = scriptedSession();
      const payload = Buffer.from('12345678');
      transport.deliver({ type: FrameType.Ping, streamId: 0, payload });
      expect(transport.sentFrames()).to.deep.equal([{ type: FrameType.Pong, streamId: 0, payload }]);
      session.close();
    });

    it('drops a peer that lets the send queue pass the hard limit', async () => {
      const { transport, session, closed } = scriptedSession();
      transport.bufferedAmount = 17 * 1024 * 1024;
      transport.deliver({ type: FrameType.Ping, streamId: 0, payload: Buffer.alloc(8) });
      expect(await closed).to.be.instanceOf(TunnelDeadPeerError);
      expect(transport.closedWith?.reason).to.equal('terminated');
      expect(session.closed).to.be.true;
    });
  });
});
