// What a session needs from the connection under it: whole binary messages in, whole messages out, and a
// measure of how much is queued so the session can stop sending before memory grows. A real ws WebSocket and the
// in-memory pair used by tests both fit behind it.
import { truncateUtf8 } from './codec.js';

export interface TransportHandlers {
  /** One whole message. `binary` is false for a text message, which the tunnel protocol never uses. */
  onMessage(data: Buffer, binary: boolean): void;
  /** The transport is closed (by either side, or failed); called once. */
  onClose(code: number, reason: string): void;
  /** Queued bytes dropped below the low-water mark after the session saw `bufferedAmount` high. */
  onDrain(): void;
}

export interface MessageTransport {
  /** Installs the handlers; called once, by the session, before anything else. */
  attach(handlers: TransportHandlers): void;
  /**
   * Queues one message; never blocks. The caller watches `bufferedAmount` for backpressure. `onWritten`, if given,
   * runs once the operating system has taken the message's bytes, after which the caller may reuse its buffer; a
   * transport that cannot tell (or drops the message) never calls it, and the buffer is left to the garbage collector.
   */
  send(message: Buffer, onWritten?: () => void): void;
  /** Bytes accepted by `send` but not yet handed to the operating system. */
  readonly bufferedAmount: number;
  /** Graceful close with a WebSocket close code and a short reason. */
  close(code: number, reason: string): void;
  /** Immediate close without a handshake: for a peer that is dead or not reading. */
  terminate(): void;
}

/** WebSocket close codes the session uses (RFC 6455 section 7.4.1). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  Abnormal: 1006,
  PolicyViolation: 1008,
  TooBig: 1009,
  InternalError: 1011,
} as const;

/** RFC 6455 caps a close reason at 123 bytes. */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text, 'utf8') <= 123) return text;
  return `${truncateUtf8(text, 120).toString('utf8')}...`;
}
