// Shared fixtures for the tunnel tests: a capturing logger, session pairs over memory and over real ws, and a raw
// transport that lets a test play a misbehaving peer frame by frame.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Readable } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { createLogger } from '../../../proxy/src/common/logger.js';
import type { Logger } from '../../../proxy/src/common/logger.js';
import { decodeFrame, encodeFrame } from '../../../proxy/src/tunnel/codec.js';
import type { Frame } from '../../../proxy/src/tunnel/frame.js';
import { TUNNEL_SUBPROTOCOL } from '../../../proxy/src/tunnel/frame.js';
import { createMemoryTransportPair } from './memory-transport.js';
import { TunnelSession } from '../../../proxy/src/tunnel/session.js';
import type { TunnelSessionOptions } from '../../../proxy/src/tunnel/session.js';
import type { TunnelStream } from '../../../proxy/src/tunnel/stream.js';
import type { MessageTransport, TransportHandlers } from '../../../proxy/src/tunnel/transport.js';
import { WebSocketTransport, tunnelWebSocketOptions } from '../../../proxy/src/tunnel/ws-transport.js';

export interface CapturedLogger {
  logger: Logger;
  lines: string[];
}

export function captureLogger(level = 'info'): CapturedLogger {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('tunnel-test', { stream, level }), lines };
}

type SessionOverrides = Partial<Omit<TunnelSessionOptions, 'side'>>;

export function memorySessionPair(overrides: SessionOverrides = {}) {
  const [a, b] = createMemoryTransportPair();
  const dialerLog = captureLogger();
  const listenerLog = captureLogger();
  const dialer = new TunnelSession(a, { side: 'dialer', logger: dialerLog.logger, ...overrides });
  const listener = new TunnelSession(b, { side: 'listener', logger: listenerLog.logger, ...overrides });
  return { dialer, listener, dialerTransport: a, listenerTransport: b, dialerLog, listenerLog };
}

export interface WsPair {
  dialer: TunnelSession;
  listener: TunnelSession;
  dialerSocket: WebSocket;
  listenerSocket: WebSocket;
  close(): Promise<void>;
}

/** A real WebSocket connection on 127.0.0.1 with a session on each end. */
export async function wsSessionPair(overrides: SessionOverrides = {}): Promise<WsPair> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, ...tunnelWebSocketOptions });
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const accepted = once(server, 'connection') as Promise<[WebSocket]>;
  const dialerSocket = new WebSocket(`ws://127.0.0.1:${port}/`, TUNNEL_SUBPROTOCOL, tunnelWebSocketOptions);
  await once(dialerSocket, 'open');
  const [listenerSocket] = await accepted;
  const dialer = new TunnelSession(new WebSocketTransport(dialerSocket), { side: 'dialer', logger: captureLogger().logger, ...overrides });
  const listener = new TunnelSession(new WebSocketTransport(listenerSocket), { side: 'listener', logger: captureLogger().logger, ...overrides });
  return {
    dialer,
    listener,
    dialerSocket,
    listenerSocket,
    async close() {
      dialer.close('test done');
      listener.close('test done');
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A transport whose peer is the test: `deliver` feeds a message in, `sent` holds what the session sent. */
export class ScriptedTransport implements MessageTransport {
  handlers: TransportHandlers | undefined;
  readonly sent: Buffer[] = [];
  closedWith: { code: number; reason: string } | undefined;
  bufferedAmount = 0;

  attach(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  send(message: Buffer): void {
    this.sent.push(message);
  }

  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason };
  }

  terminate(): void {
    this.closedWith ??= { code: 1006, reason: 'terminated' };
  }

  deliver(message: Buffer | Frame, binary = true): void {
    this.handlers?.onMessage(Buffer.isBuffer(message) ? message : encodeFrame(message), binary);
  }

  sentFrames(): Frame[] {
    return this.sent.map((message) => decodeFrame(message));
  }
}

/** Reads to EOF without destroying the stream (a plain for-await would, killing a half-open write side). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Resolves with the error the stream fails with (rejects if it closes cleanly). */
export function streamError(stream: TunnelStream): Promise<Error> {
  return new Promise((resolve, reject) => {
    stream.once('error', resolve);
    stream.once('close', () => setImmediate(() => reject(new Error('stream closed without an error'))));
  });
}

/** Tests that check errors do so explicitly; this keeps an unobserved stream's error from crashing the run. */
export function quiet<T extends NodeJS.EventEmitter>(stream: T): T {
  stream.on('error', () => undefined);
  return stream;
}

export function acceptAll(session: TunnelSession, onStream: (stream: TunnelStream) => void = () => undefined): void {
  session.on('stream', (stream) => {
    quiet(stream);
    stream.accept();
    onStream(stream);
  });
}

export function echoStreams(session: TunnelSession): void {
  acceptAll(session, (stream) => stream.pipe(stream));
}

/** Resolves once the stream is destroyed (immediately if it already is). */
export async function whenClosed(stream: TunnelStream): Promise<void> {
  if (!stream.destroyed) await once(stream, 'close');
}
