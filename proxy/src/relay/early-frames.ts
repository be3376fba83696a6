// What a client sent on a stream before any agent accepted it, kept so that the open can move to another agent and
// be replayed there (stream-splice.ts, failover). DATA payloads are copied into one buffer per stream: a received
// message is a view into the whole socket read it arrived in, and keeping the message would keep that read alive.
import { writeHeader } from '../tunnel/codec.js';
import type { FrameStream } from '../tunnel/frame-stream.js';
import { FRAME_HEADER_SIZE, FrameType } from '../tunnel/frame.js';

/**
 * Early bytes kept for a replay, per stream. kubectl sends only its TLS ClientHello (one record, at most 16 KiB)
 * before the server answers; a client that sends more before ACCEPT gives up failover for that stream, so a
 * relay whose agents stall cannot be made to hold a whole initial window for each of thousands of opens.
 * Below MAX_DATA_PAYLOAD (64 KiB), so one DATA frame replays it all.
 */
export const MAX_REPLAY_BYTES = 16 * 1024;

/** The FrameStream calls a replay makes. */
export type ReplayTarget = Pick<FrameStream, 'id' | 'sendData' | 'sendWindow' | 'closeWrite'>;

export class EarlyFrames {
  /** Room for a DATA frame header, then the payload bytes so far; grown by doubling, up to the limit. */
  private frame: Buffer | undefined;
  private bytes = 0;
  private window = 0;
  private closeWrite = false;
  /** The frame went to a stream, which wrote its own id into the header and may still be sending it. */
  private replayed = false;

  /** Keeps a copy of a DATA payload; false once the stream sent more than MAX_REPLAY_BYTES (keeps nothing then). */
  addData(message: Buffer, length: number): boolean {
    const bytes = this.bytes + length;
    if (bytes > MAX_REPLAY_BYTES) {
      this.frame = undefined;
      return false;
    }
    const needed = FRAME_HEADER_SIZE + bytes;
    const frame =
      this.frame && this.frame.length >= needed ? this.frame : this.moveTo(Math.min(FRAME_HEADER_SIZE + MAX_REPLAY_BYTES, Math.max(needed, 2 * (this.frame?.length ?? 0))));
    message.copy(frame, FRAME_HEADER_SIZE + this.bytes, FRAME_HEADER_SIZE, FRAME_HEADER_SIZE + length);
    this.bytes = bytes;
    return true;
  }

  /** Credit the client granted (for the agent's answer). */
  addWindow(increment: number): void {
    this.window += increment;
  }

  markCloseWrite(): void {
    this.closeWrite = true;
  }

  /** Sends it all to `stream`, a new stream for the same open: the payload as one DATA frame, the credit, the half-close. */
  replayTo(stream: ReplayTarget): void {
    if (this.frame && this.bytes > 0) {
      // sendData writes the stream id into the header in place; a frame sent before belongs to another session's
      // stream and may not have left yet, so a second move sends a copy (rare: two agents failed one open).
      const frame = this.replayed ? this.moveTo(this.frame.length) : this.frame;
      writeHeader(frame, FrameType.Data, stream.id);
      this.replayed = true;
      stream.sendData(frame.subarray(0, FRAME_HEADER_SIZE + this.bytes), this.bytes);
    }
    if (this.window > 0) stream.sendWindow(this.window);
    if (this.closeWrite) stream.closeWrite();
  }

  /** Continues in a new buffer of `size` bytes; one already replayed stays as it is, for the socket that may hold it. */
  private moveTo(size: number): Buffer {
    // Its own memory, not a slice of Node's shared pool, which would keep the rest of that slab alive.
    const next = Buffer.allocUnsafeSlow(size);
    this.frame?.copy(next, 0, 0, FRAME_HEADER_SIZE + this.bytes);
    this.frame = next;
    this.replayed = false;
    return next;
  }
}
