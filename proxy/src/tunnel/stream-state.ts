// The protocol state of one stream and the rules every frame from the peer must follow, shared by TunnelStream
// (bytes, as a Duplex) and FrameStream (frames, forwarded by the relay), so both reset a misbehaving peer for the
// same reasons in the same words. The checks run on every DATA frame: they allocate nothing unless the peer broke
// a rule. Resetting the stream, and everything else that needs the session, stays with the stream.
import { INITIAL_STREAM_WINDOW } from './flow-control.js';
import { MAX_WINDOW, ResetCode } from './frame.js';
import type { StreamDirection, StreamInit } from './stream-endpoint.js';
import type { Logger } from '../common/logger.js';

/** A frame from the peer that breaks the protocol on this stream: the RESET code and reason to answer with. */
export interface StreamViolation {
  readonly code: number;
  readonly reason: string;
}

// The fixed violations are constants, so reporting one allocates nothing either.
const UNEXPECTED_ACCEPT: StreamViolation = { code: ResetCode.ProtocolError, reason: 'unexpected ACCEPT' };
const DATA_AFTER_CLOSE_WRITE: StreamViolation = { code: ResetCode.ProtocolError, reason: 'DATA after CLOSE_WRITE' };
const DATA_BEFORE_ACCEPT: StreamViolation = { code: ResetCode.ProtocolError, reason: 'DATA before ACCEPT' };
const SECOND_CLOSE_WRITE: StreamViolation = { code: ResetCode.ProtocolError, reason: 'second CLOSE_WRITE' };
const CLOSE_WRITE_BEFORE_ACCEPT: StreamViolation = { code: ResetCode.ProtocolError, reason: 'CLOSE_WRITE before ACCEPT' };
const WINDOW_OVERFLOW: StreamViolation = { code: ResetCode.FlowControlError, reason: 'WINDOW overflows the credit' };

/** A frame type that has no business on a stream (the session handles OPEN, PING, PONG and GOAWAY itself). */
export function unexpectedFrame(type: number): StreamViolation {
  return { code: ResetCode.ProtocolError, reason: `unexpected frame type ${type} on a stream` };
}

/** Logs a violation by the peer and returns the reason the local side of the stream fails with. */
export function logViolation(logger: Logger, streamId: number, violation: StreamViolation): string {
  logger.warn('tunnel stream protocol violation; resetting the stream', { streamId, reason: violation.reason });
  return `protocol violation by the peer: ${violation.reason}`;
}

/** A stream reads these fields and changes them only through the methods; its `direction` is the one here. */
export class StreamState {
  readonly direction: StreamDirection;
  /** Outbound: the peer sent ACCEPT. Inbound: this side accepted. */
  accepted = false;
  sentCloseWrite = false;
  receivedCloseWrite = false;
  /** No frame for this stream will be sent or handled any more (RESET either way, both FINs, session gone). */
  done = false;
  /** Bytes this side may still send before the peer grants more. */
  sendCredit = INITIAL_STREAM_WINDOW;
  /** Total bytes the peer may send: the initial window plus every increment granted. */
  receiveLimit = INITIAL_STREAM_WINDOW;
  /** DATA payload bytes accepted from the peer. */
  received = 0;
  /** DATA payload bytes this side handed to the session. */
  sent = 0;
  private openTimer: NodeJS.Timeout | undefined;

  /** Starts the open timer of an outbound stream; `onOpenTimeout` runs if neither ACCEPT nor the end came in time. */
  constructor(init: StreamInit, onOpenTimeout: (reason: string) => void) {
    this.direction = init.direction;
    const { target, openTimeoutMs } = init;
    if (init.direction === 'outbound' && openTimeoutMs > 0) {
      this.openTimer = setTimeout(() => {
        if (!this.accepted && !this.done) onOpenTimeout(`no answer to the open of ${target} within ${openTimeoutMs} ms`);
      }, openTimeoutMs).unref();
    }
  }

  /** True once both directions are half-closed: the stream is complete. */
  get bothClosed(): boolean {
    return this.sentCloseWrite && this.receivedCloseWrite;
  }

  // ---- what this side does ----

  /** Takes `length` bytes of DATA out of the send credit (the stream checked there is that much). */
  spend(length: number): void {
    this.sendCredit -= length;
  }

  /** `length` bytes of DATA went to the session. */
  recordSent(length: number): void {
    this.sent += length;
  }

  /** This side grants the peer `increment` more bytes (the stream sends the WINDOW). */
  grant(increment: number): void {
    this.receiveLimit += increment;
  }

  markSentCloseWrite(): void {
    this.sentCloseWrite = true;
  }

  /** Inbound only: this side accepts. False when that does not apply (outbound, accepted already, or done). */
  acceptInbound(): boolean {
    if (this.direction !== 'inbound' || this.accepted || this.done) return false;
    this.accepted = true;
    return true;
  }

  /** Marks the stream done and stops the open timer; false if it was done already. */
  finish(): boolean {
    if (this.done) return false;
    this.done = true;
    this.clearOpenTimer();
    return true;
  }

  // ---- frames from the peer: each records the frame, or returns why it breaks the protocol ----

  /** Only an outbound stream is accepted, and only once. */
  receiveAccept(): StreamViolation | undefined {
    if (this.direction !== 'outbound' || this.accepted) return UNEXPECTED_ACCEPT;
    this.accepted = true;
    this.clearOpenTimer();
    return undefined;
  }

  /** DATA only before the peer's CLOSE_WRITE, after ACCEPT if we opened, and within the credit granted. */
  receiveData(length: number): StreamViolation | undefined {
    if (this.receivedCloseWrite) return DATA_AFTER_CLOSE_WRITE;
    if (this.direction === 'outbound' && !this.accepted) return DATA_BEFORE_ACCEPT;
    if (this.received + length > this.receiveLimit) {
      return { code: ResetCode.FlowControlError, reason: `peer sent ${this.received + length - this.receiveLimit} bytes beyond the window` };
    }
    this.received += length;
    return undefined;
  }

  /** Credit is a 31-bit count (as in HTTP/2): a grant that overflows it is a flow-control error. */
  receiveWindow(increment: number): StreamViolation | undefined {
    if (this.sendCredit + increment > MAX_WINDOW) return WINDOW_OVERFLOW;
    this.sendCredit += increment;
    return undefined;
  }

  /** One CLOSE_WRITE per direction, and after ACCEPT if we opened. */
  receiveCloseWrite(): StreamViolation | undefined {
    if (this.receivedCloseWrite) return SECOND_CLOSE_WRITE;
    if (this.direction === 'outbound' && !this.accepted) return CLOSE_WRITE_BEFORE_ACCEPT;
    this.receivedCloseWrite = true;
    return undefined;
  }

  private clearOpenTimer(): void {
    if (this.openTimer) clearTimeout(this.openTimer);
    this.openTimer = undefined;
  }
}
