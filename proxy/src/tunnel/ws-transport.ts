// Adapts a `ws` WebSocket to MessageTransport. The WebSocket must be created with
// `maxPayload: MAX_FRAME_SIZE` (see tunnelWebSocketOptions) so ws itself refuses an oversized message before buffering it.
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { MAX_FRAME_SIZE } from './frame.js';
import type { MessageTransport, TransportHandlers } from './transport.js';

/** Options every tunnel WebSocket (client or server side) should be created with. */
export const tunnelWebSocketOptions = {
  maxPayload: MAX_FRAME_SIZE,
  // Frames are mostly TLS ciphertext: compression would cost CPU and gain nothing.
  perMessageDeflate: false,
} as const;

/**
 * Client-side masking key: all zeros, which `ws` recognises and then skips the per-byte XOR on both ends.
 * Masking exists so a browser page cannot make a client send bytes an intercepting proxy would mistake for HTTP
 * (cache poisoning). Our dialers are not browsers, the payload is mostly kubectl's TLS ciphertext, and the relay
 * is reached over wss (or through CONNECT), where no intermediary reads frames. The XOR was a large share of the
 * CPU each byte costs in the agent, the client proxy and the relay.
 */
export function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

export interface WebSocketTransportOptions {
  /** `onDrain` fires once bufferedAmount falls to this after the session found it high. */
  lowWaterMark?: number;
}

export class WebSocketTransport implements MessageTransport {
  private handlers: TransportHandlers | undefined;
  private closed = false;
  private localError: string | undefined;
  private readonly lowWaterMark: number;
  /** The TCP (or TLS) socket under ws, if ws exposes it; see send(). */
  private readonly socket: Socket | undefined;
  private corked = false;

  constructor(
    private readonly ws: WebSocket,
    options: WebSocketTransportOptions = {},
  ) {
    // Frames sent on a CONNECTING socket would be dropped: wrap it on 'open' (client) or 'connection' (server),
    // in the same tick, so no message arrives before the session listens.
    if (ws.readyState === WebSocket.CONNECTING) throw new Error('WebSocketTransport needs an open WebSocket');
    this.lowWaterMark = options.lowWaterMark ?? 64 * 1024;
    ws.binaryType = 'nodebuffer';
    // ws keeps its socket in `_socket` (there for every ws 8 release); without it we only lose the batching below.
    const socket = (ws as unknown as { _socket?: Socket })._socket;
    this.socket = typeof socket?.cork === 'function' ? socket : undefined;
  }

  attach(handlers: TransportHandlers): void {
    this.handlers = handlers;
    this.ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      handlers.onMessage(buf, isBinary);
    });
    this.ws.on('close', (code: number, reason: Buffer) => this.closedWith(code, this.localError ?? reason.toString('utf8')));
    // ws follows 'error' with 'close'; keep the reason (e.g. "Max payload size exceeded") for the close report.
    this.ws.on('error', (error: Error) => {
      this.localError ??= `local websocket error: ${error.message}`;
    });
    if (this.ws.readyState === WebSocket.CLOSED) queueMicrotask(() => this.closedWith(1006, 'closed before attach'));
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(message: Buffer, onWritten?: () => void): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // Messages sent in one event-loop turn (every socket read handled in this poll phase, e.g. 64 streams' small
    // frames) leave in one writev instead of one system call each. setImmediate uncorks right after the poll phase:
    // measured against process.nextTick (which only batches within one read) it cut the tunnel's CPU per 1 KB round
    // trip by a quarter, for about 10 µs more per hop on a lone request. See docs/tunnel-protocol.md, Measurements.
    if (this.socket && !this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(this.uncorkSoon);
    }
    // The callback runs once the socket has written this message; it is the only "drained" signal ws gives.
    // Only a sender that found the buffer above the low-water mark can be waiting for a drain, and the last such
    // message flushes after everything queued before it, so messages sent into a near-empty buffer need none.
    const mayWaitForDrain = this.ws.bufferedAmount > this.lowWaterMark;
    if (onWritten) {
      this.ws.send(message, { binary: true }, (error) => {
        // A failed write may still be referenced by the dying socket: leave that buffer to the garbage collector.
        if (!error) onWritten();
        if (mayWaitForDrain) this.maybeDrained();
      });
    } else if (mayWaitForDrain) this.ws.send(message, { binary: true }, this.onSent);
    else this.ws.send(message, { binary: true });
  }

  private readonly onSent = (): void => this.maybeDrained();
  private readonly uncorkSoon = (): void => this.uncork();

  private uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket?.uncork();
  }

  private maybeDrained(): void {
    if (!this.closed && this.ws.bufferedAmount <= this.lowWaterMark) this.handlers?.onDrain();
  }

  close(code: number, reason: string): void {
    // Flush now: the caller may destroy the socket in this same tick (a relay shutting down terminates every
    // client right after closing its sessions), and corked bytes, such as a GOAWAY just sent, would be lost.
    this.uncork();
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
  }

  terminate(): void {
    this.uncork();
    this.ws.terminate();
  }

  private closedWith(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers?.onClose(code, reason);
  }
}
