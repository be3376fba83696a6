// A multiplexed session: many TunnelStreams over one message transport (one WebSocket). Either side may open
// streams; the side that dialed the WebSocket uses odd stream ids and the side that accepted it even ids, so ids
// never collide and an id the peer could not yet have opened is recognisably bogus.
import { EventEmitter } from 'node:events';
import { decodeFrame, encodeFrame } from './codec.js';
import { FrameDecodeError, TunnelDeadPeerError, TunnelOpenError, TunnelProtocolError, TunnelSessionClosedError } from './errors.js';
import { INITIAL_STREAM_WINDOW, validateStreamWindow } from './flow-control.js';
import { FrameType, GoAwayCode, MAX_STREAM_ID, PING_PAYLOAD_SIZE, ResetCode, frameTypeName } from './frame.js';
import type { Frame } from './frame.js';
import { FrameStream } from './frame-stream.js';
import { TunnelStream } from './stream.js';
import type { StreamEndpoint, StreamHost } from './stream-endpoint.js';
import { CloseCode, closeReason } from './transport.js';
import type { MessageTransport } from './transport.js';
import type { Logger } from '../common/logger.js';

export type SessionSide = 'dialer' | 'listener';

export interface TunnelSessionOptions {
  /** 'dialer' for the side that opened the WebSocket (agent, client proxy), 'listener' for the relay. */
  side: SessionSide;
  logger: Logger;
  /** Receive window per stream, bytes (default and minimum 256 KiB). */
  streamWindow?: number;
  /** How often to send PING (default 5 s, as remotedialer). */
  pingIntervalMs?: number;
  /** Close the session when nothing at all arrived for this long (default 30 s). */
  deadPeerTimeoutMs?: number;
  /** Fail an outbound open that got no ACCEPT/RESET in this time (default 30 s; 0 disables). */
  openTimeoutMs?: number;
  /** Refuse inbound OPENs beyond this many concurrent inbound streams (default 4096). */
  maxInboundStreams?: number;
  /** Streams stop sending DATA while the transport holds more than this (default 512 KiB). */
  transportHighWaterMark?: number;
  /** A peer that lets this much pile up (control frames only, DATA stops earlier) is not reading: drop it (default 16 MiB). */
  transportHardLimit?: number;
}

export interface TunnelSessionEvents {
  /** An inbound stream; call stream.accept() once its target is reached, or stream.reject(reason). */
  stream: [stream: TunnelStream];
  /**
   * An inbound stream as frames, for forwarding (the relay). While this event has a listener, inbound streams
   * arrive here instead of as 'stream'; attach a handler in the same tick, then accept() or reset().
   */
  frameStream: [stream: FrameStream];
  /** The peer accepts no new streams (it is draining). */
  goaway: [code: number, reason: string];
  /** The session ended; `error` is undefined only for a local close(). Emitted once. */
  close: [error: Error | undefined];
}

export interface TunnelSessionStats {
  openStreams: number;
  streamsOpened: number;
  bytesSent: number;
  bytesReceived: number;
  lastRttMs: number | undefined;
}

export class TunnelSession extends EventEmitter<TunnelSessionEvents> {
  private readonly transport: MessageTransport;
  private readonly logger: Logger;
  private readonly streamWindow: number;
  private readonly pingIntervalMs: number;
  private readonly deadPeerTimeoutMs: number;
  private readonly openTimeoutMs: number;
  private readonly maxInboundStreams: number;
  private readonly highWaterMark: number;
  private readonly hardLimit: number;
  private readonly side: SessionSide;

  private readonly streams = new Map<number, StreamEndpoint>();
  private inboundCount = 0;
  private nextStreamId: number;
  private highestPeerStreamId = 0;
  private readonly drainWaiters: StreamEndpoint[] = [];
  private readonly waiting = new Set<StreamEndpoint>();
  private isClosed = false;
  private goAwaySent = false;
  private goAwayReceived = false;
  private lastReceivedAt = performance.now();
  private readonly keepaliveTimer: NodeJS.Timeout;
  private readonly host: StreamHost;
  private counters = { streamsOpened: 0, bytesSent: 0, bytesReceived: 0, lastRttMs: undefined as number | undefined };

  constructor(transport: MessageTransport, options: TunnelSessionOptions) {
    super();
    this.transport = transport;
    this.logger = options.logger;
    this.side = options.side;
    this.streamWindow = validateStreamWindow(options.streamWindow ?? INITIAL_STREAM_WINDOW);
    this.pingIntervalMs = options.pingIntervalMs ?? 5_000;
    this.deadPeerTimeoutMs = options.deadPeerTimeoutMs ?? 30_000;
    this.openTimeoutMs = options.openTimeoutMs ?? 30_000;
    this.maxInboundStreams = options.maxInboundStreams ?? 4096;
    this.highWaterMark = options.transportHighWaterMark ?? 512 * 1024;
    this.hardLimit = options.transportHardLimit ?? 16 * 1024 * 1024;
    if (!(this.pingIntervalMs > 0)) throw new RangeError('pingIntervalMs must be positive');
    if (this.deadPeerTimeoutMs <= this.pingIntervalMs) throw new RangeError('deadPeerTimeoutMs must exceed pingIntervalMs');
    this.nextStreamId = options.side === 'dialer' ? 1 : 2;

    this.host = {
      logger: this.logger,
      isClosed: () => this.isClosed,
      sendControl: (frame) => this.sendControl(frame),
      sendMessage: (message, dataBytes, onWritten) => this.sendMessage(message, dataBytes, onWritten),
      transportBlocked: () => this.transport.bufferedAmount >= this.highWaterMark,
      waitForDrain: (stream) => this.waitForDrain(stream),
      streamFinished: (stream) => this.forgetStream(stream),
    };

    transport.attach({
      onMessage: (data, binary) => this.onMessage(data, binary),
      onClose: (code, reason) => this.onTransportClose(code, reason),
      onDrain: () => this.onDrain(),
    });
    this.keepaliveTimer = setInterval(() => this.keepalive(), this.pingIntervalMs).unref();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** False once closed or once the peer sent GOAWAY: openStream would fail. */
  get acceptingStreams(): boolean {
    return !this.isClosed && !this.goAwayReceived;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** When the peer last sent anything (performance.now() clock); both sides PING every interval, so a live peer is never silent for long. */
  get lastFrameAt(): number {
    return this.lastReceivedAt;
  }

  stats(): TunnelSessionStats {
    return { openStreams: this.streams.size, ...this.counters };
  }

  /**
   * Opens a stream to `target`. Returns at once; the stream emits 'open' when the peer accepts and fails with
   * TunnelOpenError(reason) when it refuses. Bytes written before 'open' are sent within the initial window.
   * Throws TunnelSessionClosedError on a closed session and TunnelOpenError when the peer is draining.
   */
  openStream(target: string, metadata: Record<string, string> = {}): TunnelStream {
    return this.open(target, metadata, (id) => new TunnelStream(this.host, { id, direction: 'outbound', target, metadata: { ...metadata }, window: this.streamWindow, openTimeoutMs: this.openTimeoutMs }));
  }

  /**
   * Opens a stream whose frames are handled as frames (see FrameStream): for forwarding a stream from another
   * session. Attach a handler before returning to the event loop. Throws as openStream does.
   */
  openFrameStream(target: string, metadata: Record<string, string> = {}): FrameStream {
    return this.open(target, metadata, (id) => new FrameStream(this.host, { id, direction: 'outbound', target, metadata: { ...metadata }, openTimeoutMs: this.openTimeoutMs }));
  }

  private open<T extends StreamEndpoint>(target: string, metadata: Record<string, string>, create: (id: number) => T): T {
    if (this.isClosed) throw new TunnelSessionClosedError('tunnel session is closed');
    if (this.goAwayReceived) throw new TunnelOpenError(target, 'the tunnel peer is draining and accepts no new streams');
    if (this.nextStreamId > MAX_STREAM_ID) throw new TunnelOpenError(target, 'tunnel session ran out of stream ids; reconnect');
    const id = this.nextStreamId;
    // Encode first: a target or metadata over the limits throws here, before any state changes.
    const open = encodeFrame({ type: FrameType.Open, streamId: id, target, metadata });
    this.nextStreamId += 2;
    const stream = create(id);
    this.streams.set(id, stream);
    this.counters.streamsOpened++;
    this.transport.send(open);
    this.logger.debug('tunnel stream opened', { streamId: id, target });
    return stream;
  }

  /** Tells the peer to open no new streams here; streams already open carry on. Use before a graceful shutdown. */
  goAway(reason = 'draining'): void {
    if (this.isClosed || this.goAwaySent) return;
    this.goAwaySent = true;
    this.sendControl({ type: FrameType.GoAway, streamId: 0, code: GoAwayCode.Normal, reason });
  }

  /** Closes the session now; every open stream is destroyed with TunnelSessionClosedError. */
  close(reason = 'closed'): void {
    this.shutdown(undefined, new TunnelSessionClosedError(`tunnel session closed: ${reason}`), CloseCode.Normal, reason, false);
  }

  // ---- inbound ----

  private onMessage(data: Buffer, binary: boolean): void {
    if (this.isClosed) return;
    this.lastReceivedAt = performance.now();
    if (!binary) return this.protocolFailure('received a text message; the tunnel protocol is binary');
    let frame: Frame;
    try {
      frame = decodeFrame(data);
    } catch (error) {
      if (error instanceof FrameDecodeError) return this.protocolFailure(`malformed frame (${error.code}): ${error.message}`);
      throw error;
    }
    this.dispatch(frame, data);
  }

  private dispatch(frame: Frame, message: Buffer): void {
    switch (frame.type) {
      case FrameType.Ping:
        return this.sendControl({ type: FrameType.Pong, streamId: 0, payload: Buffer.from(frame.payload) });
      case FrameType.Pong:
        return this.onPong(frame.payload);
      case FrameType.GoAway:
        return this.onGoAway(frame.code, frame.reason);
      case FrameType.Open:
        return this.onOpen(frame.streamId, frame.target, frame.metadata);
      default: {
        if (frame.type === FrameType.Data) this.counters.bytesReceived += frame.payload.length;
        const stream = this.streams.get(frame.streamId);
        if (stream) return stream.handleFrame(frame, message);
        if (this.neverOpened(frame.streamId)) {
          return this.protocolFailure(`${frameTypeName(frame.type)} for stream ${frame.streamId}, which was never opened`);
        }
        // A frame that crossed our RESET or arrived after the stream finished: harmless, drop it.
        this.logger.debug('tunnel frame for a closed stream dropped', { streamId: frame.streamId, type: frameTypeName(frame.type) });
      }
    }
  }

  private isOwnId(streamId: number): boolean {
    return (streamId % 2 === 1) === (this.side === 'dialer');
  }

  private neverOpened(streamId: number): boolean {
    return this.isOwnId(streamId) ? streamId >= this.nextStreamId : streamId > this.highestPeerStreamId;
  }

  private onOpen(streamId: number, target: string, metadata: Record<string, string>): void {
    if (this.isOwnId(streamId)) return this.protocolFailure(`peer opened stream ${streamId}, an id of this side's parity`);
    if (streamId <= this.highestPeerStreamId) return this.protocolFailure(`peer reused or reordered stream id ${streamId}`);
    this.highestPeerStreamId = streamId;
    const refuse = (code: number, reason: string) => {
      this.logger.info('tunnel stream refused', { streamId, target, reason });
      this.sendControl({ type: FrameType.Reset, streamId, code, reason });
    };
    if (this.goAwaySent) return refuse(ResetCode.Refused, 'this side is draining and accepts no new streams');
    if (this.inboundCount >= this.maxInboundStreams) return refuse(ResetCode.Refused, `too many streams (limit ${this.maxInboundStreams})`);
    const asFrames = this.listenerCount('frameStream') > 0;
    if (!asFrames && this.listenerCount('stream') === 0) return refuse(ResetCode.OpenFailed, 'this side does not accept streams');
    const init = { id: streamId, direction: 'inbound', target, metadata, openTimeoutMs: 0 } as const;
    const stream = asFrames ? new FrameStream(this.host, init) : new TunnelStream(this.host, { ...init, window: this.streamWindow });
    this.streams.set(streamId, stream);
    this.inboundCount++;
    this.counters.streamsOpened++;
    this.logger.debug('tunnel stream opened by peer', { streamId, target });
    if (stream instanceof FrameStream) this.emit('frameStream', stream);
    else this.emit('stream', stream);
  }

  private onGoAway(code: number, reason: string): void {
    if (this.goAwayReceived) return;
    this.goAwayReceived = true;
    if (code === GoAwayCode.Normal) this.logger.info('tunnel peer is draining', { reason });
    else this.logger.warn('tunnel peer is going away after an error', { code, reason });
    this.emit('goaway', code, reason);
  }

  private onPong(payload: Buffer): void {
    const sentAt = payload.readDoubleBE(0);
    const rtt = performance.now() - sentAt;
    // The payload is ours echoed back; ignore anything that cannot be a timestamp we sent.
    if (Number.isFinite(rtt) && rtt >= 0 && rtt < 3_600_000) this.counters.lastRttMs = rtt;
  }

  private onTransportClose(code: number, reason: string): void {
    if (this.isClosed) return;
    const error = new TunnelSessionClosedError(`tunnel connection closed (code ${code}${reason ? `: ${reason}` : ''})`);
    this.shutdown(error, error, code, reason, false);
  }

  // ---- outbound ----

  private sendControl(frame: Frame): void {
    if (this.isClosed) return;
    this.transport.send(encodeFrame(frame));
    this.checkHardLimit();
  }

  /** The one way DATA leaves: TunnelStreams encode it, FrameStreams forward the message they received. */
  private sendMessage(message: Buffer, dataBytes: number, onWritten?: () => void): void {
    if (this.isClosed) return;
    this.transport.send(message, onWritten);
    this.counters.bytesSent += dataBytes;
    this.checkHardLimit();
  }

  private checkHardLimit(): void {
    const queued = this.transport.bufferedAmount;
    if (queued <= this.hardLimit) return;
    const error = new TunnelDeadPeerError(`tunnel peer is not reading: ${queued} bytes queued (limit ${this.hardLimit})`);
    this.logger.warn('closing tunnel session', { reason: error.message });
    this.shutdown(error, error, CloseCode.PolicyViolation, 'peer not reading', true);
  }

  private waitForDrain(stream: StreamEndpoint): void {
    if (this.waiting.has(stream)) return;
    this.waiting.add(stream);
    this.drainWaiters.push(stream);
  }

  /** Round robin: each waiting stream sends until the transport is full again, then goes to the back. */
  private onDrain(): void {
    while (this.drainWaiters.length > 0 && !this.isClosed && this.transport.bufferedAmount < this.highWaterMark) {
      const stream = this.drainWaiters.shift() as StreamEndpoint;
      this.waiting.delete(stream);
      stream.pump();
    }
  }

  private forgetStream(stream: StreamEndpoint): void {
    if (this.streams.get(stream.id) !== stream) return;
    this.streams.delete(stream.id);
    if (stream.direction === 'inbound') this.inboundCount--;
    this.logger.debug('tunnel stream finished', { streamId: stream.id, bytesSent: stream.bytesSent, bytesReceived: stream.bytesRead });
  }

  // ---- liveness and teardown ----

  private keepalive(): void {
    if (this.isClosed) return;
    const silentMs = performance.now() - this.lastReceivedAt;
    if (silentMs >= this.deadPeerTimeoutMs) {
      const error = new TunnelDeadPeerError(`tunnel peer sent nothing for ${Math.round(silentMs)} ms (dead-peer timeout ${this.deadPeerTimeoutMs} ms)`);
      this.logger.warn('closing tunnel session', { reason: error.message });
      return this.shutdown(error, error, CloseCode.GoingAway, 'dead peer', true);
    }
    const payload = Buffer.alloc(PING_PAYLOAD_SIZE);
    payload.writeDoubleBE(performance.now(), 0);
    this.sendControl({ type: FrameType.Ping, streamId: 0, payload });
  }

  private protocolFailure(reason: string): void {
    this.logger.warn('tunnel protocol violation; closing the session', { reason });
    this.sendControl({ type: FrameType.GoAway, streamId: 0, code: GoAwayCode.ProtocolError, reason });
    const error = new TunnelProtocolError(`tunnel protocol violation: ${reason}`);
    this.shutdown(error, error, CloseCode.ProtocolError, reason, false);
  }

  private shutdown(eventError: Error | undefined, streamError: Error, code: number, reason: string, terminate: boolean): void {
    if (this.isClosed) return;
    this.isClosed = true;
    clearInterval(this.keepaliveTimer);
    if (terminate) this.transport.terminate();
    else this.transport.close(code, closeReason(reason));
    const streams = [...this.streams.values()];
    this.streams.clear();
    this.drainWaiters.length = 0;
    this.waiting.clear();
    for (const stream of streams) stream.sessionClosed(streamError);
    if (eventError === undefined) this.logger.info('tunnel session closed', { reason });
    this.emit('close', eventError);
  }
}
