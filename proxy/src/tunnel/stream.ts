// One tunnelled TCP connection, as a Node Duplex so it can be piped to a net.Socket. The stream does its own flow
// control: it sends DATA only within the credit the peer granted, and grants credit back only as the local
// application consumes, so a reader that stalls holds at most one window of memory and slows no other stream.
import { Duplex } from 'node:stream';
import { encodeData, encodeDataInto } from './codec.js';
import { TunnelOpenError, TunnelStreamResetError } from './errors.js';
import { POOLED_DATA_MIN, dataFrameBuffers } from './frame-buffer-pool.js';
import { STREAM_READABLE_HIGH_WATER_MARK, receiveGrant } from './flow-control.js';
import { FrameType, MAX_DATA_PAYLOAD, ResetCode } from './frame.js';
import type { Frame } from './frame.js';
import type { StreamDirection, StreamEndpoint, StreamHost, StreamInit } from './stream-endpoint.js';
import { StreamState, logViolation, unexpectedFrame } from './stream-state.js';
import type { StreamViolation } from './stream-state.js';

export interface TunnelStreamInit extends StreamInit {
  /** This side's receive window (validated by the session). */
  window: number;
}

interface PendingWrite {
  chunk: Buffer;
  offset: number;
  callback: (error?: Error | null) => void;
}

export class TunnelStream extends Duplex implements StreamEndpoint {
  readonly id: number;
  /** What the opener asked to reach (host:port, or a cluster name at the relay). */
  readonly target: string;
  readonly metadata: Readonly<Record<string, string>>;

  private readonly window: number;
  private readonly state: StreamState;
  private pendingWrite: PendingWrite | undefined;
  private finalCallback: ((error?: Error | null) => void) | undefined;
  private readonly receiveQueue: Buffer[] = [];
  private queuedBytes = 0;
  private wantsData = false;
  private flushing = false;
  private eofPushed = false;
  private bytesPushed = 0;

  constructor(
    private readonly host: StreamHost,
    init: TunnelStreamInit,
  ) {
    super({
      allowHalfOpen: true,
      readableHighWaterMark: STREAM_READABLE_HIGH_WATER_MARK,
      writableHighWaterMark: MAX_DATA_PAYLOAD,
    });
    this.id = init.id;
    this.target = init.target;
    this.metadata = init.metadata;
    this.window = init.window;
    this.state = new StreamState(init, (reason) => this.openTimedOut(reason));
  }

  get direction(): StreamDirection {
    return this.state.direction;
  }

  /** True once the peer accepted (outbound) or this side called accept() (inbound). */
  get isAccepted(): boolean {
    return this.state.accepted;
  }

  /** Received bytes the application has not consumed yet (our queue plus Node's readable buffer); <= the window. */
  get bufferedBytes(): number {
    return this.queuedBytes + this.readableLength;
  }

  /** Bytes this side may still send before the peer grants more. */
  get availableSendCredit(): number {
    return this.state.sendCredit;
  }

  get bytesSent(): number {
    return this.state.sent;
  }

  get bytesRead(): number {
    return this.state.received;
  }

  /** Inbound only: the target is reached; tell the opener and start sending. */
  accept(): void {
    if (this.direction !== 'inbound') throw new Error('only an inbound stream can be accepted');
    if (!this.state.acceptInbound()) return;
    this.host.sendControl({ type: FrameType.Accept, streamId: this.id });
    this.maybeGrant();
    this.pump();
    if (this.finalCallback) this.sendCloseWrite();
  }

  /** Inbound only: refuse the open; the opener's stream fails with TunnelOpenError(reason). */
  reject(reason: string, code: number = ResetCode.OpenFailed): void {
    if (this.direction !== 'inbound') throw new Error('only an inbound stream can be rejected');
    if (this.state.accepted) throw new Error('stream already accepted; destroy it instead');
    if (this.state.done) return;
    this.host.logger.debug('tunnel stream rejected', { streamId: this.id, target: this.target, reason });
    this.resetAndDestroy(code, reason);
  }

  // ---- frames from the session ----

  handleFrame(frame: Frame): void {
    if (this.state.done) return;
    switch (frame.type) {
      case FrameType.Accept:
        return this.onAccept();
      case FrameType.Data:
        return this.onData(frame.payload);
      case FrameType.Window:
        return this.onWindow(frame.increment);
      case FrameType.CloseWrite:
        return this.onCloseWrite();
      case FrameType.Reset:
        return this.onReset(frame.code, frame.reason);
      default:
        return this.violation(unexpectedFrame(frame.type));
    }
  }

  /** The session ended under this stream. */
  sessionClosed(error: Error): void {
    if (this.destroyed) return;
    this.finishProtocol();
    this.destroy(error);
  }

  private onAccept(): void {
    const violation = this.state.receiveAccept();
    if (violation) return this.violation(violation);
    this.emit('open');
  }

  private onData(payload: Buffer): void {
    const violation = this.state.receiveData(payload.length);
    if (violation) return this.violation(violation);
    this.receiveQueue.push(payload);
    this.queuedBytes += payload.length;
    this.flush();
    this.maybeGrant();
  }

  private onWindow(increment: number): void {
    const violation = this.state.receiveWindow(increment);
    if (violation) return this.violation(violation);
    this.pump();
  }

  private onCloseWrite(): void {
    const violation = this.state.receiveCloseWrite();
    if (violation) return this.violation(violation);
    this.flush();
    this.checkBothClosed();
  }

  private onReset(code: number, reason: string): void {
    this.finishProtocol();
    const error = this.direction === 'outbound' && !this.state.accepted ? new TunnelOpenError(this.target, reason) : new TunnelStreamResetError(code, reason);
    this.host.logger.debug('tunnel stream reset by peer', { streamId: this.id, code, reason });
    this.destroy(error);
  }

  /** The peer broke the protocol on this stream only: reset it, keep the session. */
  private violation(violation: StreamViolation): void {
    const localReason = logViolation(this.host.logger, this.id, violation);
    this.resetAndDestroy(violation.code, violation.reason, new TunnelStreamResetError(violation.code, localReason));
  }

  private openTimedOut(reason: string): void {
    this.resetAndDestroy(ResetCode.Cancel, reason, new TunnelOpenError(this.target, reason));
  }

  /** Ends the stream from this side: RESET with `code` and `reason` to the peer, and locally `error` (if any). */
  private resetAndDestroy(code: number, reason: string, error?: Error): void {
    this.finishProtocol();
    this.host.sendControl({ type: FrameType.Reset, streamId: this.id, code, reason });
    this.destroy(error);
  }

  // ---- receive side ----

  override _read(): void {
    this.wantsData = true;
    this.flush();
    this.maybeGrant();
  }

  /** Moves queued bytes into Node's readable buffer while Node asks for more, then EOF once the peer half-closed. */
  private flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.wantsData && this.receiveQueue.length > 0) {
        const chunk = this.receiveQueue.shift() as Buffer;
        this.queuedBytes -= chunk.length;
        this.bytesPushed += chunk.length;
        this.wantsData = this.push(chunk);
      }
      if (this.receiveQueue.length === 0 && this.state.receivedCloseWrite && !this.eofPushed) {
        this.eofPushed = true;
        this.push(null);
      }
    } finally {
      this.flushing = false;
    }
  }

  private maybeGrant(): void {
    const state = this.state;
    if (state.done || state.receivedCloseWrite || this.host.isClosed()) return;
    // An unaccepted inbound stream grants nothing yet: the opener's optimistic bytes stay within the initial window.
    if (this.direction === 'inbound' && !state.accepted) return;
    const consumed = this.bytesPushed - this.readableLength;
    const increment = receiveGrant(consumed, state.receiveLimit, this.window);
    if (increment === 0) return;
    state.grant(increment);
    this.host.sendControl({ type: FrameType.Window, streamId: this.id, increment });
  }

  // ---- send side ----

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // An empty write has nothing to send, and DATA frames are never empty: done at once.
    if (chunk.length === 0) return callback();
    this.pendingWrite = { chunk, offset: 0, callback };
    this.pump();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.finalCallback = callback;
    if (this.direction === 'outbound' || this.state.accepted) this.sendCloseWrite();
  }

  /** Sends as much of the pending write as credit and the transport allow; re-entered on WINDOW and on drain. */
  pump(): void {
    const state = this.state;
    while (this.pendingWrite) {
      if (state.done || this.host.isClosed()) return;
      if (this.direction === 'inbound' && !state.accepted) return;
      if (state.sendCredit <= 0) return;
      if (this.host.transportBlocked()) {
        this.host.waitForDrain(this);
        return;
      }
      const write = this.pendingWrite;
      const size = Math.min(state.sendCredit, write.chunk.length - write.offset, MAX_DATA_PAYLOAD);
      this.sendData(write.chunk.subarray(write.offset, write.offset + size));
      state.spend(size);
      state.recordSent(size);
      write.offset += size;
      if (write.offset === write.chunk.length) {
        this.pendingWrite = undefined;
        write.callback();
      }
    }
  }

  private sendData(payload: Buffer): void {
    if (payload.length < POOLED_DATA_MIN) return this.host.sendMessage(encodeData(this.id, payload), payload.length);
    const buffer = dataFrameBuffers.take();
    this.host.sendMessage(encodeDataInto(buffer, this.id, payload), payload.length, () => dataFrameBuffers.give(buffer));
  }

  private sendCloseWrite(): void {
    const callback = this.finalCallback;
    this.finalCallback = undefined;
    if (!this.state.done && !this.state.sentCloseWrite) {
      this.state.markSentCloseWrite();
      this.host.sendControl({ type: FrameType.CloseWrite, streamId: this.id });
      this.checkBothClosed();
    }
    callback?.();
  }

  private checkBothClosed(): void {
    if (this.state.bothClosed) this.finishProtocol();
  }

  private finishProtocol(): void {
    if (this.state.finish()) this.host.streamFinished(this);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.state.done) {
      // Closed locally before both directions finished: tell the peer, as a TCP RST would.
      const reason = error ? error.message || error.name : 'stream closed by the application';
      this.finishProtocol();
      if (!this.host.isClosed()) this.host.sendControl({ type: FrameType.Reset, streamId: this.id, code: ResetCode.Cancel, reason });
    }
    this.pendingWrite = undefined;
    this.receiveQueue.length = 0;
    this.queuedBytes = 0;
    this.finalCallback = undefined;
    callback(error);
  }
}
