// A stream seen as frames rather than bytes: what the relay uses to forward a stream from one session to another
// without a Node Duplex in between (no re-chunking, no copy of the payload, no credit loop of its own). It still
// checks everything the peer sends against the protocol, exactly as a TunnelStream does: DATA only within the
// credit this side granted, nothing after CLOSE_WRITE or RESET. It grants no credit by itself; whoever forwards
// its frames passes on the far receiver's WINDOW grants, so it never holds more than that receiver's window.
import { TunnelOpenError } from './errors.js';
import { INITIAL_STREAM_WINDOW } from './flow-control.js';
import { FRAME_HEADER_SIZE, FrameType, MAX_WINDOW, ResetCode } from './frame.js';
import type { Frame } from './frame.js';
import type { StreamDirection, StreamEndpoint, StreamHost } from './stream-endpoint.js';

/** What arrives on a FrameStream; called synchronously, in the order the peer sent it. */
export interface FrameStreamHandler {
  /** A DATA frame: `message` is the whole encoded frame, which may be re-addressed and sent on. */
  data(message: Buffer, payloadLength: number): void;
  /** The peer grants `increment` more bytes on this stream. */
  window(increment: number): void;
  /** Outbound only: the peer accepted the open. */
  accept(): void;
  /** The peer sends no more DATA (half-close). */
  closeWrite(): void;
  /**
   * The stream ended abnormally and is gone on this session: the peer sent RESET, broke the protocol on it, did
   * not answer the open in time, or the session closed. `refused` is true when it ended before it was accepted.
   */
  reset(code: number, reason: string, refused: boolean): void;
  /** The stream is gone on this session, for whatever reason (both half-closes done, or reset either way). */
  finished(): void;
}

export interface FrameStreamInit {
  id: number;
  direction: StreamDirection;
  target: string;
  metadata: Readonly<Record<string, string>>;
  /** Outbound only: how long to wait for ACCEPT before giving up on the open. 0 disables. */
  openTimeoutMs: number;
}

const ignore: FrameStreamHandler = { data() {}, window() {}, accept() {}, closeWrite() {}, reset() {}, finished() {} };

export class FrameStream implements StreamEndpoint {
  readonly id: number;
  readonly direction: StreamDirection;
  readonly target: string;
  readonly metadata: Readonly<Record<string, string>>;

  private handler: FrameStreamHandler = ignore;
  private accepted = false;
  private sentCloseWrite = false;
  private receivedCloseWrite = false;
  private done = false;
  private sendCredit = INITIAL_STREAM_WINDOW;
  /** Total bytes the peer may send: the initial window plus every increment passed on to it. */
  private receiveLimit = INITIAL_STREAM_WINDOW;
  private received = 0;
  private sent = 0;
  /** DATA waiting for the transport to drain; bounded by the credit the far receiver granted. */
  private readonly queue: Buffer[] = [];
  private closeWriteQueued = false;
  private openTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: StreamHost,
    init: FrameStreamInit,
  ) {
    this.id = init.id;
    this.direction = init.direction;
    this.target = init.target;
    this.metadata = init.metadata;
    if (init.direction === 'outbound' && init.openTimeoutMs > 0) {
      this.openTimer = setTimeout(() => this.openTimedOut(init.openTimeoutMs), init.openTimeoutMs).unref();
    }
  }

  /** Installs the receiver of this stream's frames; call it in the tick the stream was created. */
  attach(handler: FrameStreamHandler): void {
    this.handler = handler;
  }


  /** False once the stream is gone on this session (both directions closed, or reset). */
  get isOpen(): boolean {
    return !this.done;
  }

  get bytesSent(): number {
    return this.sent;
  }

  get bytesRead(): number {
    return this.received;
  }

  // ---- sending (what the forwarder passes on) ----

  /** Inbound only: the far side accepted, so this one does too. */
  accept(): void {
    if (this.direction !== 'inbound' || this.accepted || this.done) return;
    this.accepted = true;
    this.host.sendControl({ type: FrameType.Accept, streamId: this.id });
  }

  /** Sends a DATA frame received on another stream, re-addressed in place (the buffer is ours: no copy). */
  sendData(message: Buffer, payloadLength: number): void {
    if (this.done || this.sentCloseWrite || this.closeWriteQueued) return;
    if (payloadLength > this.sendCredit) {
      // Cannot happen while grants are passed on one for one; refuse rather than break the peer's window.
      return this.fail(ResetCode.FlowControlError, 'forwarded DATA exceeds the credit the receiver granted');
    }
    this.sendCredit -= payloadLength;
    message.writeUInt32BE(this.id, 2);
    if (this.queue.length > 0 || this.host.transportBlocked()) {
      this.queue.push(message);
      this.host.waitForDrain(this);
      return;
    }
    this.transmit(message);
  }

  /** Passes a grant from the far receiver on to this stream's peer. */
  sendWindow(increment: number): void {
    if (this.done || this.receivedCloseWrite) return;
    this.receiveLimit += increment;
    this.host.sendControl({ type: FrameType.Window, streamId: this.id, increment });
  }

  /** Half-close, after any DATA still queued. */
  closeWrite(): void {
    if (this.done || this.sentCloseWrite || this.closeWriteQueued) return;
    if (this.queue.length > 0) {
      this.closeWriteQueued = true;
      return;
    }
    this.sendCloseWrite();
  }

  /** Aborts the stream (or refuses the open, if not yet accepted) with the code and reason given. */
  reset(code: number, reason: string): void {
    if (this.done) return;
    this.finish();
    if (!this.host.isClosed()) this.host.sendControl({ type: FrameType.Reset, streamId: this.id, code, reason });
  }

  pump(): void {
    while (this.queue.length > 0 && !this.done && !this.host.isClosed()) {
      if (this.host.transportBlocked()) return this.host.waitForDrain(this);
      this.transmit(this.queue.shift() as Buffer);
    }
    if (this.queue.length === 0 && this.closeWriteQueued) {
      this.closeWriteQueued = false;
      this.sendCloseWrite();
    }
  }

  private transmit(message: Buffer): void {
    const payloadLength = message.length - FRAME_HEADER_SIZE;
    this.sent += payloadLength;
    this.host.sendMessage(message, payloadLength);
  }

  private sendCloseWrite(): void {
    this.sentCloseWrite = true;
    this.host.sendControl({ type: FrameType.CloseWrite, streamId: this.id });
    if (this.receivedCloseWrite) this.finish();
  }

  // ---- receiving (frames from the session) ----

  handleFrame(frame: Frame, message: Buffer): void {
    if (this.done) return;
    switch (frame.type) {
      case FrameType.Data:
        return this.onData(message, frame.payload.length);
      case FrameType.Window:
        if (this.sendCredit + frame.increment > MAX_WINDOW) return this.violation(ResetCode.FlowControlError, 'WINDOW overflows the credit');
        this.sendCredit += frame.increment;
        return this.handler.window(frame.increment);
      case FrameType.Accept:
        if (this.direction !== 'outbound' || this.accepted) return this.violation(ResetCode.ProtocolError, 'unexpected ACCEPT');
        this.accepted = true;
        this.clearOpenTimer();
        return this.handler.accept();
      case FrameType.CloseWrite:
        if (this.receivedCloseWrite) return this.violation(ResetCode.ProtocolError, 'second CLOSE_WRITE');
        if (this.direction === 'outbound' && !this.accepted) return this.violation(ResetCode.ProtocolError, 'CLOSE_WRITE before ACCEPT');
        this.receivedCloseWrite = true;
        this.handler.closeWrite();
        if (this.sentCloseWrite) this.finish();
        return;
      case FrameType.Reset:
        this.host.logger.debug('tunnel stream reset by peer', { streamId: this.id, code: frame.code, reason: frame.reason });
        return this.ended(frame.code, frame.reason);
      default:
        return this.violation(ResetCode.ProtocolError, `unexpected frame type ${frame.type} on a stream`);
    }
  }

  private onData(message: Buffer, length: number): void {
    if (this.receivedCloseWrite) return this.violation(ResetCode.ProtocolError, 'DATA after CLOSE_WRITE');
    if (this.direction === 'outbound' && !this.accepted) return this.violation(ResetCode.ProtocolError, 'DATA before ACCEPT');
    if (this.received + length > this.receiveLimit) {
      return this.violation(ResetCode.FlowControlError, `peer sent ${this.received + length - this.receiveLimit} bytes beyond the window`);
    }
    this.received += length;
    this.handler.data(message, length);
  }

  sessionClosed(error: Error): void {
    this.ended(ResetCode.SessionClosed, error.message);
  }

  /** The peer broke the protocol on this stream only: reset it here, and report it to the forwarder. */
  private violation(code: number, reason: string): void {
    this.host.logger.warn('tunnel stream protocol violation; resetting the stream', { streamId: this.id, reason });
    this.reset(code, reason);
    this.handler.reset(code, `protocol violation by the peer: ${reason}`, !this.accepted);
  }

  private fail(code: number, reason: string): void {
    this.reset(code, reason);
    this.handler.reset(code, reason, !this.accepted);
  }

  private openTimedOut(ms: number): void {
    if (this.accepted || this.done) return;
    const error = new TunnelOpenError(this.target, `no answer to the open of ${this.target} within ${ms} ms`);
    this.fail(ResetCode.Cancel, error.reason);
  }

  /** Gone on this session without a RESET from this side: tell the forwarder. */
  private ended(code: number, reason: string): void {
    if (this.done) return;
    this.finish();
    this.handler.reset(code, reason, !this.accepted);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.queue.length = 0;
    this.clearOpenTimer();
    this.host.streamFinished(this);
    this.handler.finished();
  }

  private clearOpenTimer(): void {
    if (this.openTimer) clearTimeout(this.openTimer);
    this.openTimer = undefined;
  }
}
