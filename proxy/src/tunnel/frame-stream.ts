// A stream seen as frames rather than bytes: what the relay uses to forward a stream from one session to another
// without a Node Duplex in between (no re-chunking, no copy of the payload, no credit loop of its own). It still
// checks everything the peer sends against the protocol with the same rules as a TunnelStream (stream-state.ts): DATA
// only within the credit this side granted, nothing after CLOSE_WRITE or RESET. It grants no credit by itself; whoever forwards
// its frames passes on the far receiver's WINDOW grants, so it never holds more than that receiver's window.
import { FRAME_HEADER_SIZE, FrameType, ResetCode, STREAM_ID_OFFSET } from './frame.js';
import type { Frame } from './frame.js';
import type { StreamDirection, StreamEndpoint, StreamHost, StreamInit } from './stream-endpoint.js';
import { StreamState, logViolation, unexpectedFrame } from './stream-state.js';
import type { StreamViolation } from './stream-state.js';

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

const ignore: FrameStreamHandler = { data() {}, window() {}, accept() {}, closeWrite() {}, reset() {}, finished() {} };

export class FrameStream implements StreamEndpoint {
  readonly id: number;
  readonly target: string;
  readonly metadata: Readonly<Record<string, string>>;

  private handler: FrameStreamHandler = ignore;
  /** Its receive limit grows only by the far receiver's grants, passed on in sendWindow. */
  private readonly state: StreamState;
  /** DATA waiting for the transport to drain; bounded by the credit the far receiver granted. */
  private readonly queue: Buffer[] = [];
  private closeWriteQueued = false;

  constructor(
    private readonly host: StreamHost,
    init: StreamInit,
  ) {
    this.id = init.id;
    this.target = init.target;
    this.metadata = init.metadata;
    this.state = new StreamState(init, (reason) => this.fail(ResetCode.Cancel, reason));
  }

  /** Installs the receiver of this stream's frames; call it in the tick the stream was created. */
  attach(handler: FrameStreamHandler): void {
    this.handler = handler;
  }

  get direction(): StreamDirection {
    return this.state.direction;
  }

  /** False once the stream is gone on this session (both directions closed, or reset). */
  get isOpen(): boolean {
    return !this.state.done;
  }

  get bytesSent(): number {
    return this.state.sent;
  }

  get bytesRead(): number {
    return this.state.received;
  }

  // ---- sending (what the forwarder passes on) ----

  /** Inbound only: the far side accepted, so this one does too. */
  accept(): void {
    if (!this.state.acceptInbound()) return;
    this.host.sendControl({ type: FrameType.Accept, streamId: this.id });
  }

  /** Sends a DATA frame received on another stream, re-addressed in place (the buffer is ours: no copy). */
  sendData(message: Buffer, payloadLength: number): void {
    if (this.state.done || this.state.sentCloseWrite || this.closeWriteQueued) return;
    if (payloadLength > this.state.sendCredit) {
      // Cannot happen while grants are passed on one for one; refuse rather than break the peer's window.
      return this.fail(ResetCode.FlowControlError, 'forwarded DATA exceeds the credit the receiver granted');
    }
    this.state.spend(payloadLength);
    message.writeUInt32BE(this.id, STREAM_ID_OFFSET);
    if (this.queue.length > 0 || this.host.transportBlocked()) {
      this.queue.push(message);
      this.host.waitForDrain(this);
      return;
    }
    this.transmit(message);
  }

  /** Passes a grant from the far receiver on to this stream's peer. */
  sendWindow(increment: number): void {
    if (this.state.done || this.state.receivedCloseWrite) return;
    this.state.grant(increment);
    this.host.sendControl({ type: FrameType.Window, streamId: this.id, increment });
  }

  /** Half-close, after any DATA still queued. */
  closeWrite(): void {
    if (this.state.done || this.state.sentCloseWrite || this.closeWriteQueued) return;
    if (this.queue.length > 0) {
      this.closeWriteQueued = true;
      return;
    }
    this.sendCloseWrite();
  }

  /** Aborts the stream (or refuses the open, if not yet accepted) with the code and reason given. */
  reset(code: number, reason: string): void {
    if (this.state.done) return;
    this.finish();
    if (!this.host.isClosed()) this.host.sendControl({ type: FrameType.Reset, streamId: this.id, code, reason });
  }

  pump(): void {
    while (this.queue.length > 0 && !this.state.done && !this.host.isClosed()) {
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
    this.state.recordSent(payloadLength);
    this.host.sendMessage(message, payloadLength);
  }

  private sendCloseWrite(): void {
    this.state.markSentCloseWrite();
    this.host.sendControl({ type: FrameType.CloseWrite, streamId: this.id });
    if (this.state.bothClosed) this.finish();
  }

  // ---- receiving (frames from the session) ----

  handleFrame(frame: Frame, message: Buffer): void {
    if (this.state.done) return;
    switch (frame.type) {
      case FrameType.Data: {
        const length = frame.payload.length;
        const violation = this.state.receiveData(length);
        if (violation) return this.violation(violation);
        return this.handler.data(message, length);
      }
      case FrameType.Window: {
        const violation = this.state.receiveWindow(frame.increment);
        if (violation) return this.violation(violation);
        return this.handler.window(frame.increment);
      }
      case FrameType.Accept: {
        const violation = this.state.receiveAccept();
        if (violation) return this.violation(violation);
        return this.handler.accept();
      }
      case FrameType.CloseWrite: {
        const violation = this.state.receiveCloseWrite();
        if (violation) return this.violation(violation);
        this.handler.closeWrite();
        if (this.state.bothClosed) this.finish();
        return;
      }
      case FrameType.Reset:
        this.host.logger.debug('tunnel stream reset by peer', { streamId: this.id, code: frame.code, reason: frame.reason });
        return this.ended(frame.code, frame.reason);
      default:
        return this.violation(unexpectedFrame(frame.type));
    }
  }

  sessionClosed(error: Error): void {
    this.ended(ResetCode.SessionClosed, error.message);
  }

  /** The peer broke the protocol on this stream only: reset it here, and report it to the forwarder. */
  private violation(violation: StreamViolation): void {
    this.fail(violation.code, violation.reason, logViolation(this.host.logger, this.id, violation));
  }

  /** Resets the stream with `reason` and reports it to the forwarder, in the local words if they differ. */
  private fail(code: number, reason: string, localReason = reason): void {
    this.reset(code, reason);
    this.handler.reset(code, localReason, !this.state.accepted);
  }

  /** Gone on this session without a RESET from this side: tell the forwarder. */
  private ended(code: number, reason: string): void {
    if (this.state.done) return;
    this.finish();
    this.handler.reset(code, reason, !this.state.accepted);
  }

  private finish(): void {
    if (!this.state.finish()) return;
    this.queue.length = 0;
    this.host.streamFinished(this);
    this.handler.finished();
  }
}
