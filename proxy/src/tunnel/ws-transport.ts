// Adapts a `ws` WebSocket to MessageTransport. The WebSocket must be created with
// `maxPayload: MAX_FRAME_SIZE` (see wsOptions) so ws itself refuses an oversized message before buffering it.
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

  constructor(
    private readonly ws: WebSocket,
    options: WebSocketTransportOptions = {},
  ) {
    // Frames sent on a CONNECTING socket would be dropped: wrap it on 'open' (client) or 'connection' (server),
    // in the same tick, so no message arrives before the session listens.
    if (ws.readyState === WebSocket.CONNECTING) throw new Error('WebSocketTransport needs an open WebSocket');
    this.lowWaterMark = options.lowWaterMark ?? 64 * 1024;
    ws.binaryType = 'nodebuffer';
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

  send(message: Buffer): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // The callback runs once ws has handed this message to the socket; it is the only "drained" signal ws gives.
    this.ws.send(message, { binary: true }, () => this.maybeDrained());
  }

  private maybeDrained(): void {
    if (!this.closed && this.ws.bufferedAmount <= this.lowWaterMark) this.handlers?.onDrain();
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  private closedWith(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers?.onClose(code, reason);
  }
}
