// Two MessageTransports joined back to back in one process, for tests. Delivery is asynchronous (setImmediate)
// and `bufferedAmount` counts what is sent but not yet delivered, so backpressure behaves as it does over ws.
import type { MessageTransport, TransportHandlers } from '../../../proxy/src/tunnel/transport.js';

class MemoryTransport implements MessageTransport {
  peer: MemoryTransport | undefined;
  private handlers: TransportHandlers | undefined;
  private readonly outbox: Buffer[] = [];
  private queued = 0;
  private flushScheduled = false;
  private closed = false;
  private wasHigh = false;
  /** When true, nothing is delivered to the peer (a peer that stopped reading); for dead-peer tests. */
  frozen = false;

  /** Unfreezes: what was sent while frozen is delivered now, in order (a stuck connection that moves again). */
  thaw(): void {
    this.frozen = false;
    if (this.outbox.length > 0) this.scheduleFlush();
  }

  constructor(private readonly lowWaterMark: number) {}

  attach(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  get bufferedAmount(): number {
    return this.queued;
  }

  send(message: Buffer): void {
    if (this.closed) return;
    this.outbox.push(message);
    this.queued += message.length;
    this.wasHigh = true;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.frozen) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.frozen) return;
      const batch = this.outbox.splice(0);
      for (const message of batch) {
        this.queued -= message.length;
        if (this.closed) return;
        this.peer?.deliver(message);
      }
      if (this.wasHigh && this.queued <= this.lowWaterMark) {
        this.wasHigh = false;
        this.handlers?.onDrain();
      }
    });
  }

  private deliver(message: Buffer): void {
    if (!this.closed) this.handlers?.onMessage(message, true);
  }

  close(code: number, reason: string): void {
    this.shutdown(code, reason);
  }

  terminate(): void {
    this.shutdown(1006, 'terminated');
  }

  private shutdown(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.outbox.length = 0;
    this.queued = 0;
    const peer = this.peer;
    setImmediate(() => {
      this.handlers?.onClose(code, reason);
      peer?.shutdown(code, reason);
    });
  }
}


export function createMemoryTransportPair(lowWaterMark = 64 * 1024): [MemoryTransport, MemoryTransport] {
  const a = new MemoryTransport(lowWaterMark);
  const b = new MemoryTransport(lowWaterMark);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
