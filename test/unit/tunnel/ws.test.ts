import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { TunnelDeadPeerError, TunnelOpenError, TunnelProtocolError, TunnelSessionClosedError } from '../../../proxy/src/tunnel/errors.js';
import { MAX_FRAME_SIZE } from '../../../proxy/src/tunnel/frame.js';
import { TunnelSession } from '../../../proxy/src/tunnel/session.js';
import { bridgeStreamToSocket, dialTarget } from '../../../proxy/src/tunnel/tcp-bridge.js';
import { WebSocketTransport, tunnelWebSocketOptions } from '../../../proxy/src/tunnel/ws-transport.js';
import { captureLogger, echoStreams, quiet, readAll, streamError, wsSessionPair } from './helpers.js';
import type { WsPair } from './helpers.js';

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** An upstream that reads the whole request (to FIN), then answers "<bytes> <sha256>" and closes its side. */
function digestServer(): net.Server {
  return net.createServer({ allowHalfOpen: true }, (socket) => {
    const hash = createHash('sha256');
    let bytes = 0;
    socket.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    socket.on('end', () => socket.end(`${bytes} ${hash.digest('hex')}`));
  });
}

function acceptByDialing(session: TunnelSession): void {
  session.on('stream', (stream) => {
    quiet(stream);
    const [host = '', port = '0'] = stream.target.split(':');
    dialTarget(stream, { host, port: Number(port) });
  });
}

async function tcpRequest(port: number, request: Buffer): Promise<string> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  await once(socket, 'connect');
  socket.end(request);
  return (await readAll(socket)).toString();
}

describe('tunnel over a real ws WebSocket on 127.0.0.1', () => {
  let pair: WsPair;
  const servers: net.Server[] = [];

  beforeEach(async () => {
    pair = await wsSessionPair();
  });

  afterEach(async () => {
    await pair.close();
    for (const server of servers.splice(0)) server.close();
  });

  it('carries TCP connections kubectl → client proxy → tunnel → upstream, with half-close, 8 at once', async () => {
    const upstream = digestServer();
    servers.push(upstream);
    const upstreamPort = await listen(upstream);
    acceptByDialing(pair.listener);
    // The client proxy's core: each accepted TCP connection becomes one stream.
    const proxy = net.createServer({ allowHalfOpen: true }, (socket) => {
      bridgeStreamToSocket(quiet(pair.dialer.openStream(`127.0.0.1:${upstreamPort}`)), socket);
    });
    servers.push(proxy);
    const proxyPort = await listen(proxy);
    const requests = Array.from({ length: 8 }, (_, i) => randomBytes(256 * 1024 * (i + 1)));
    const answers = await Promise.all(requests.map((request) => tcpRequest(proxyPort, request)));
    answers.forEach((answer, i) => {
      const request = requests[i] as Buffer;
      expect(answer).to.equal(`${request.length} ${createHash('sha256').update(request).digest('hex')}`);
    });
  });

  it('carries streams the listener opens towards the dialer (relay → agent direction)', async () => {
    const upstream = digestServer();
    servers.push(upstream);
    const upstreamPort = await listen(upstream);
    acceptByDialing(pair.dialer);
    const stream = pair.listener.openStream(`127.0.0.1:${upstreamPort}`);
    await once(stream, 'open');
    const request = randomBytes(3 * 1024 * 1024 + 17);
    stream.end(request);
    const answer = (await readAll(stream)).toString();
    expect(answer).to.equal(`${request.length} ${createHash('sha256').update(request).digest('hex')}`);
  });

  it('echoes both ways at once on streams opened from each side', async () => {
    echoStreams(pair.dialer);
    echoStreams(pair.listener);
    const payloads = [randomBytes(1_000_000), randomBytes(1_500_000)];
    const streams = [pair.dialer.openStream('echo'), pair.listener.openStream('echo')];
    streams.forEach((stream, i) => stream.end(payloads[i]));
    const echoed = await Promise.all(streams.map((stream) => readAll(stream)));
    expect(echoed[0]?.equals(payloads[0] as Buffer)).to.be.true;
    expect(echoed[1]?.equals(payloads[1] as Buffer)).to.be.true;
  });

  it('propagates a refused upstream connection to the opener in words', async () => {
    const closedServer = net.createServer();
    const port = await listen(closedServer);
    await new Promise((resolve) => closedServer.close(resolve));
    acceptByDialing(pair.listener);
    const error = await streamError(pair.dialer.openStream(`127.0.0.1:${port}`));
    expect(error).to.be.instanceOf(TunnelOpenError);
    expect(error.message).to.equal(`upstream 127.0.0.1:${port} refused the connection`);
  });

  it('resets the TCP connection on the far side when the near side resets', async () => {
    const upstreamSockets: net.Socket[] = [];
    const upstream = net.createServer({ allowHalfOpen: true }, (socket) => upstreamSockets.push(quiet(socket)));
    servers.push(upstream);
    const port = await listen(upstream);
    acceptByDialing(pair.listener);
    const stream = quiet(pair.dialer.openStream(`127.0.0.1:${port}`));
    await once(stream, 'open');
    while (upstreamSockets.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const upstreamSocket = upstreamSockets[0] as net.Socket;
    const upstreamError = new Promise<NodeJS.ErrnoException>((resolve) => upstreamSocket.once('error', resolve));
    stream.destroy(new Error('client went away'));
    // The agent side answered the RESET with a TCP RST, which the upstream sees as ECONNRESET (not a clean FIN).
    expect((await upstreamError).code).to.equal('ECONNRESET');
  });

  it('closes the session, not the process, on a malformed frame; the peer learns why', async () => {
    const closed = once(pair.dialer, 'close') as Promise<[Error | undefined]>;
    const peerClosed = once(pair.listener, 'close') as Promise<[Error | undefined]>;
    pair.listenerSocket.send(Buffer.from([99, 0, 0, 0, 0, 1]));
    const [error] = await closed;
    expect(error).to.be.instanceOf(TunnelProtocolError);
    const [peerError] = await peerClosed;
    expect(peerError?.message).to.match(/code 1002: malformed frame/);
  });

  it('lets ws refuse an oversized message (maxPayload) and keeps other sessions working', async () => {
    const other = await wsSessionPair();
    try {
      echoStreams(other.listener);
      const closed = once(pair.dialer, 'close') as Promise<[Error | undefined]>;
      pair.listenerSocket.send(Buffer.alloc(MAX_FRAME_SIZE + 1));
      const [error] = await closed;
      expect(error).to.be.instanceOf(TunnelSessionClosedError);
      expect(error?.message).to.contain('Max payload size exceeded');
      const stream = other.dialer.openStream('still fine');
      stream.end('hello');
      expect((await readAll(stream)).toString()).to.equal('hello');
    } finally {
      await other.close();
    }
  });

  it('still delivers a GOAWAY sent right before the socket is destroyed in the same tick (writes are corked)', async () => {
    const goaway = once(pair.dialer, 'goaway') as Promise<[number, string]>;
    pair.listener.goAway('relay shutting down');
    // As a relay shutting down does: close the session, then terminate the socket without waiting.
    pair.listener.close('relay shutting down');
    pair.listenerSocket.terminate();
    const [, reason] = await goaway;
    expect(reason).to.equal('relay shutting down');
  });

  it('delivers many messages sent in one tick, in order', async () => {
    echoStreams(pair.listener);
    const streams = Array.from({ length: 64 }, (_, i) => quiet(pair.dialer.openStream(`s${i}`)));
    const payloads = streams.map(() => randomBytes(1024));
    streams.forEach((stream, i) => stream.end(payloads[i]));
    const answers = await Promise.all(streams.map((stream) => readAll(stream)));
    answers.forEach((answer, i) => expect(answer.equals(payloads[i] as Buffer)).to.equal(true));
  });

  it('says a message was written only once its bytes have left: reusing the buffer then changes nothing received', async () => {
    // What the DATA buffer pool relies on. Each buffer is scribbled over the moment onWritten fires; if that came
    // before the socket wrote it (e.g. while corked), the peer would receive the scribble. Sent by the server side,
    // which never masks, so ws writes the very buffer given (a client masking with a random key would write a copy).
    const transport = new WebSocketTransport(pair.listenerSocket);
    const received: Buffer[] = [];
    pair.dialerSocket.removeAllListeners('message');
    pair.dialerSocket.on('message', (data: Buffer) => received.push(data));
    const messages = Array.from({ length: 64 }, () => randomBytes(MAX_FRAME_SIZE));
    const expected = messages.map((message) => Buffer.from(message));
    let written = 0;
    for (const message of messages) {
      transport.send(message, () => {
        written++;
        message.fill(0xff);
      });
    }
    expect(written).to.equal(0);
    while (received.length < messages.length) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(written).to.equal(messages.length);
    received.forEach((message, i) => expect(message.equals(expected[i] as Buffer), `message ${i}`).to.equal(true));
  });

  it('never reports a message written that its dying socket failed to write', async () => {
    const transport = new WebSocketTransport(pair.dialerSocket);
    const underlying = (pair.dialerSocket as unknown as { _socket: net.Socket })._socket;
    underlying.destroy();
    let written = false;
    transport.send(randomBytes(1024), () => (written = true));
    await once(pair.dialerSocket, 'close');
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).to.equal(false);
  });

  it('detects a peer that stops answering (dead-peer timeout) and drops its streams', async () => {
    // A WebSocket peer that accepts the connection and then says nothing at all.
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, ...tunnelWebSocketOptions });
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const socket = new WebSocket(`ws://127.0.0.1:${port}/`, tunnelWebSocketOptions);
    await once(socket, 'open');
    const { logger, lines } = captureLogger();
    const session = new TunnelSession(new WebSocketTransport(socket), { side: 'dialer', logger, pingIntervalMs: 50, deadPeerTimeoutMs: 300 });
    const stream = session.openStream('never answered');
    const streamFailed = streamError(stream);
    const started = performance.now();
    const [error] = (await once(session, 'close')) as [Error | undefined];
    expect(error).to.be.instanceOf(TunnelDeadPeerError);
    expect(performance.now() - started).to.be.at.least(250);
    expect(await streamFailed).to.be.instanceOf(TunnelDeadPeerError);
    expect(lines.join('')).to.contain('dead-peer timeout 300 ms');
    await once(socket, 'close');
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  });
});
