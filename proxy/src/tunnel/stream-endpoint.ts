// What the session needs from anything it routes a stream's frames to: a TunnelStream (bytes as a Node Duplex)
// or a FrameStream (frames as they are, for the relay to forward without re-chunking).
import type { Frame } from './frame.js';
import type { Logger } from '../common/logger.js';

export type StreamDirection = 'outbound' | 'inbound';

/** What the session tells a new stream of either kind about itself. */
export interface StreamInit {
  id: number;
  direction: StreamDirection;
  /** What the opener asked to reach (host:port, or a cluster name at the relay). */
  target: string;
  metadata: Readonly<Record<string, string>>;
  /** Outbound only: how long to wait for ACCEPT before failing the open. 0 disables. */
  openTimeoutMs: number;
}

export interface StreamEndpoint {
  readonly id: number;
  readonly direction: StreamDirection;
  readonly bytesSent: number;
  readonly bytesRead: number;
  /** One decoded frame for this stream; `message` is the whole message it came in (DATA can be passed on as is). */
  handleFrame(frame: Frame, message: Buffer): void;
  /** The session ended under this stream. */
  sessionClosed(error: Error): void;
  /** Called on a transport drain after the endpoint asked the session to wait for one. */
  pump(): void;
}

/** What a stream endpoint needs from its session; the session keeps everything else private. */
export interface StreamHost {
  readonly logger: Logger;
  isClosed(): boolean;
  sendControl(frame: Frame): void;
  /**
   * Sends an encoded DATA frame carrying `dataBytes` of payload (encoded by a TunnelStream, or forwarded as is).
   * `onWritten`, if given, runs once the message's bytes have left the process, so its buffer may be reused.
   */
  sendMessage(message: Buffer, dataBytes: number, onWritten?: () => void): void;
  /** True while the transport holds more than its high-water mark; DATA then waits for a drain. */
  transportBlocked(): boolean;
  waitForDrain(stream: StreamEndpoint): void;
  /** The stream will send and expect no more frames: forget its id. */
  streamFinished(stream: StreamEndpoint): void;
}
