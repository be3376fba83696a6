// One tunnelled TCP connection, as a Node Duplex so it can be piped to a net.Socket. The stream does its own flow
// control: it sends DATA only within the credit the peer granted, and grants credit back only as the local
// application consumes, so a reader that stalls holds at most one window of memory and slows no other stream.
import { Duplex } from 'node:stream';
import { TunnelOpenError, TunnelStreamResetError } from './errors.js';
import { INITIAL_STREAM_WINDOW, STREAM_READABLE_HIGH_WATER_MARK, receiveGrant } from './flow-control.js';
import { FrameType, MAX_DATA_PAYLOAD, MAX_WINDOW, ResetCode } from './frame.js';
import type { Frame } from './frame.js';
import type { StreamDirection, StreamEndpoint, StreamHost } from './stream-endpoint.js';

export interface TunnelStreamInit {
  id: number;
  direction: StreamDirection;
  target: string;
  metadata: Readonly<Record<string, string>>;
  /** This side's receive window (validated by the session). */
  window: number;
  /** Outbound only: how long to wait for ACCEPT before failing the open. 0 disables. */
  openTimeoutMs: number;
}

interface PendingWrite {
  chunk: Buffer;
  offset: number;
  callback: (error?: Error | null) => void;
}

export class TunnelStream extends Duplex implements StreamEndpoint {
  readonly id: number;
  readonly direction: StreamDirection;
  /** What the opener asked to reach (host:port, or a cluster name at the relay). */
  readonly target: string;
  readonly metadata: Readonly<Record<string, string>>;

  private readonly window: number;
  private accepted = false;
  private sendCredit = INITIAL_STREAM_WINDOW;
  private pendingWrite: PendingWrite | undefined;
  private finalCallback: ((error?: Error | null) => void) | undefined;
  private sentCloseWrite = false;
  private receivedCloseWrite = false;
  /** No frame for this stream will be sent or handled any more (RESET either way, both FINs, session gone). */
  private protocolDone = false;
  private readonly receiveQueue: Buffer[] = [];
  private queuedBytes = 0;
  private wantsData = false;
  private flushing = false;
  private eofPushed = false;
  private bytesReceived = 0;
  private bytesPushed = 0;
  private bytesSentTotal = 0;
  /** Total bytes the peer may send: the initial window plus every increment granted. */
  private receiveLimit = INITIAL_STREAM_WINDOW;
  private openTimer: NodeJS.Timeout | undefined;

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
    this.direction = init.direction;
    this.target = init.target;
    this.metadata = init.metadata;
    this.window = init.window;
    if (init.direction === 'outbound' && init.openTimeoutMs > 0) {
      this.openTimer = setTimeout(() => this.openTimedOut(init.openTimeoutMs), init.openTimeoutMs).unref();
    }
  }

  /** True once the peer accepted (outbound) or this side called accept() (inbound). */
  get isAccepted(): boolean {
    return this.accepted;
  }

  /** Received bytes the application has not consumed yet (our queue plus Node's readable buffer); <= the window. */
  get bufferedBytes(): number {
    return this.queuedBytes + this.readableLength;
  }

  /** Bytes this side may still send before the peer grants more. */
  get availableSendCredit(): number {
    return this.sendCredit;
  }

  get bytesSent(): number {
    return this.bytesSentTotal;
  }

  get bytesRead(): number {
    return this.bytesReceived;
  }

  /** Inbound only: the target is reached; tell the opener and start sending. */
  accept(): void {
    if (this.direction !== 'inbound') throw new Error('only an inbound stream can be accepted');
    if (this.accepted || this.protocolDone) return;
    this.accepted = true;
    this.host.sendControl({ type: FrameType.Accept, streamId: this.id });
    this.maybeGrant();
    this.pump();
    if (this.finalCallback) this.sendCloseWrite();
  }

  /** Inbound only: refuse the open; the opener's stream fails with TunnelOpenError(reason). */
  reject(reason: string, code: number = ResetCode.OpenFailed): void {
    if (this.direction !== 'inbound') throw new Error('only an inbound stream can be rejected');
    if (this.accepted) throw new Error('stream already accepted; destroy it instead');
    if (this.protocolDone) return;
    this.finishProtocol();
    this.host.sendControl({ type: FrameType.Reset, streamId: this.id, code, reason });
    this.host.logger.debug('tunnel stream rejected', { streamId: this.id, target: this.target, reason });
    this.destroy();
  }

  // ---- frames from the session ----

  handleFrame(frame: Frame): void {
    if (this.protocolDone) return;
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
        return this.violation(ResetCode.ProtocolError, `unexpected frame type ${frame.type} on a stream`);
    }
  }

  /** The session ended under this stream. */
  sessionClosed(error: Error): void {
    if (this.destroyed) return;
    this.finishProtocol();
    this.destroy(error);
  }

  private onAccept(): void {
    if (this.direction !== 'outbound' || this.accepted) return this.violation(ResetCode.ProtocolError, 'unexpected ACCEPT');
    this.accepted = true;
    this.clearOpenTimer();
    this.emit('open');
  }

  private onData(payload: Buffer): void {
    if (this.receivedCloseWrite) return this.violation(ResetCode.ProtocolError, 'DATA after CLOSE_WRITE');
    if (this.direction === 'outbound' && !this.accepted) return this.violation(ResetCode.ProtocolError, 'DATA before ACCEPT');
    if (this.bytesReceived + payload.length > this.receiveLimit) {
      return this.violation(ResetCode.FlowControlError, `peer sent ${this.bytesReceived + payload.length - this.receiveLimit} bytes beyond the window`);
    }
    this.bytesReceived += payload.length;
    this.receiveQueue.push(payload);
    this.queuedBytes += payload.length;
    this.flush();
    this.maybeGrant();
  }

  private onWindow(increment: number): void {
    if (this.sendCredit + increment > MAX_WINDOW) return this.violation(ResetCode.FlowControlError, 'WINDOW overflows the credit');
    this.sendCredit += increment;
    this.pump();
  }

  private onCloseWrite(): void {
    if (this.receivedCloseWrite) return this.violation(ResetCode.ProtocolError, 'second CLOSE_WRITE');
    if (this.direction === 'outbound' && !this.accepted) return this.violation(ResetCode.ProtocolError, 'CLOSE_WRITE before ACCEPT');
    this.receivedCloseWrite = true;
    this.flush();
    this.checkBothClosed();
  }

  private onReset(code: number, reason: string): void {
    this.finishProtocol();
    const error = this.direction === 'outbound' && !this.accepted ? new TunnelOpenError(this.target, reason) : new TunnelStreamResetError(code, reason);
    this.host.logger.debug('tunnel stream reset by peer', { streamId: this.id, code, reason });
    this.destroy(error);
  }

  /** The peer broke the protocol on this stream only: reset it, keep the session. */
  private violation(code: number, reason: string): void {
    this.host.logger.warn('tunnel stream protocol violation; resetting the stream', { streamId: this.id, reason });
    this.finishProtocol();
    this.host.sendControl({ type: FrameType.Reset, streamId: this.id, code, reason });
    this.destroy(new TunnelStreamResetError(code, `protocol violation by the peer: ${reason}`));
  }

  private openTimedOut(ms: number): void {
    if (this.accepted || this.protocolDone) return;
    const reason = `no answer to the open of ${this.target} within ${ms} ms`;
    this.finishProtocol();
    this.host.sendControl({ type: FrameType.Reset, streamId: this.id, code: ResetCode.Cancel, reason });
    this.destroy(new TunnelOpenError(this.target, reason));
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
      if (this.receiveQueue.length === 0 && this.receivedCloseWrite && !this.eofPushed) {
        this.eofPushed = true;
        this.push(null);
      }
    } finally {
      this.flushing = false;
    }
  }

  private maybeGrant(): void {
    if (this.protocolDone || this.receivedCloseWrite || this.host.isClosed()) return;
    // An unaccepted inbound stream grants nothing yet: the opener's optimistic bytes stay within the initial window.
    if (this.direction === 'inbound' && !this.accepted) return;
    const consumed = this.bytesPushed - this.readableLength;
    const increment = receiveGrant(consumed, this.receiveLimit, this.window);
    if (increment === 0) return;
    this.receiveLimit += increment;
    this.host.sendControl({ type: FrameType.Window, streamId: this.id, increment });
  }

  // ---- send side ----

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pendingWrite = { chunk, offset: 0, callback };
    this.pump();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.finalCallback = callback;
    if (this.direction === 'outbound' || this.accepted) this.sendCloseWrite();
  }

  /** Sends as much of the pending write as credit and the transport allow; re-entered on WINDOW and on drain. */
  pump(): void {
    while (this.pendingWrite) {
      if (this.protocolDone || this.host.isClosed()) return;
      if (this.direction === 'inbound' && !this.accepted) return;
      if (this.sendCredit <= 0) return;
      if (this.host.transportBlocked()) {
        this.host.waitForDrain(this);
        return;
      }
      const write = this.pendingWrite;
      const size = Math.min(this.sendCredit, write.chunk.length - write.offset, MAX_DATA_PAYLOAD);
      this.host.sendData(this.id, write.chunk.subarray(write.offset, write.offset + size));
      this.sendCredit -= size;
      this.bytesSentTotal += size;
      write.offset += size;
      if (write.offset === write.chunk.length) {
        this.pendingWrite = undefined;
        write.callback();
      }
    }
  }

  private sendCloseWrite(): void {
    const callback = this.finalCallback;
    this.finalCallback = undefined;
    if (!this.protocolDone && !this.sentCloseWrite) {
      this.sentCloseWrite = true;
      this.host.sendControl({ type: FrameType.CloseWrite, streamId: this.id });
      this.checkBothClosed();
    }
    callback?.();
  }

  private checkBothClosed(): void {
    if (this.sentCloseWrite && this.receivedCloseWrite && !this.protocolDone) this.finishProtocol();
  }

  private finishProtocol(): void {
    if (this.protocolDone) return;
    this.protocolDone = true;
    this.clearOpenTimer();
    this.host.streamFinished(this);
  }

  private clearOpenTimer(): void {
    if (this.openTimer) clearTimeout(this.openTimer);
    this.openTimer = undefined;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.protocolDone) {
      // Closed locally before both directions finished: tell the peer, as a TCP RST would.
      const reason = error ? error.message || error.name : 'stream closed by the application';
      this.finishProtocol();
      if (!this.host.isClosed()) this.host.sendControl({ type: FrameType.Reset, streamId: this.id, code: ResetCode.Cancel, reason });
    }
    this.clearOpenTimer();
    this.pendingWrite = undefined;
    this.receiveQueue.length = 0;
    this.queuedBytes = 0;
    this.finalCallback = undefined;
    callback(error);
  }
}
