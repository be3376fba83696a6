// Joins a tunnel stream to a TCP socket byte for byte, keeping TCP's semantics across the tunnel: a FIN becomes
// CLOSE_WRITE and back (half-close), a reset or error becomes RESET and back.
import net from 'node:net';
import { describeDialError } from './errors.js';
import type { TunnelStream } from './stream.js';

/** Pipes both ways. The socket must have been created with allowHalfOpen: true for half-close to pass through. */
export function bridgeStreamToSocket(stream: TunnelStream, socket: net.Socket): void {
  socket.pipe(stream);
  stream.pipe(socket);
  socket.on('error', (error: NodeJS.ErrnoException) => {
    stream.destroy(new Error(`tcp connection failed${error.code ? ` (${error.code})` : ''}`));
  });
  socket.on('close', () => {
    // Closed before both directions finished (reset, destroyed): the peer must not wait for more.
    if (!stream.destroyed && !(stream.writableFinished && stream.readableEnded)) stream.destroy();
  });
  stream.on('error', () => {
    // The peer reset the stream: reset the TCP connection too rather than pretend a clean close.
    if (!socket.destroyed) socket.resetAndDestroy();
  });
  stream.on('close', () => {
    // A clean close leaves the socket to flush and close itself; anything else tears it down.
    if (!socket.destroyed && !(stream.writableFinished && stream.readableEnded)) socket.destroy();
  });
}

export interface DialTargetOptions {
  host: string;
  port: number;
  /** Fail the open if the TCP connect takes longer (default 10 s). */
  connectTimeoutMs?: number;
}

/**
 * Acceptor side of a stream: dials host:port, accepts the stream once connected and bridges the two, or rejects it
 * with a sentence saying what failed (e.g. "upstream 10.0.0.1:443 refused the connection").
 */
export function dialTarget(stream: TunnelStream, options: DialTargetOptions): net.Socket {
  const { host, port } = options;
  const socket = net.connect({ host, port, allowHalfOpen: true });
  socket.setNoDelay(true);
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const timer = setTimeout(() => socket.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })), timeoutMs).unref();
  const onEarlyClose = () => socket.destroy();
  stream.once('close', onEarlyClose);
  const onDialError = (error: Error) => {
    clearTimeout(timer);
    stream.off('close', onEarlyClose);
    if (!stream.destroyed) stream.reject(describeDialError(error, host, port));
  };
  socket.once('error', onDialError);
  socket.once('connect', () => {
    clearTimeout(timer);
    socket.off('error', onDialError);
    stream.off('close', onEarlyClose);
    if (stream.destroyed) return void socket.destroy();
    stream.accept();
    bridgeStreamToSocket(stream, socket);
  });
  return socket;
}
