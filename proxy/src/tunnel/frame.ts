// The frames of the tunnel protocol and its limits. Layout and rationale: docs/tunnel-protocol.md.
//
// Every frame is one WebSocket binary message (ws already delimits messages, so there is no length prefix):
//   u8 type | u8 flags (reserved, must be 0) | u32 stream id (big-endian) | payload (type-specific)

/** WebSocket subprotocol name; bump the version for any incompatible frame change. */
export const TUNNEL_SUBPROTOCOL = 'clusterconnect.tunnel.v1';

export const FrameType = {
  /** Open a stream: target + metadata. The opener may send DATA before ACCEPT (within the initial window). */
  Open: 1,
  /** The stream's target was reached; the acceptor may now send DATA. */
  Accept: 2,
  Data: 3,
  /** Credit: the receiver grants `increment` more bytes of DATA on this stream. */
  Window: 4,
  /** Half-close: the sender will send no more DATA on this stream (TCP FIN). */
  CloseWrite: 5,
  /** Abort the stream (or refuse an OPEN) with a code and a human-readable reason. */
  Reset: 6,
  Ping: 7,
  Pong: 8,
  /** The sender accepts no new streams; streams already open carry on (drain before shutdown). */
  GoAway: 9,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const ResetCode = {
  /** The application closed the stream before both directions finished. */
  Cancel: 0,
  /** OPEN refused: the target could not be reached or is not allowed. */
  OpenFailed: 1,
  /** OPEN refused because the receiver is draining or at its stream limit; safe to retry elsewhere. */
  Refused: 2,
  ProtocolError: 3,
  FlowControlError: 4,
  /** The carrying session is going away. */
  SessionClosed: 5,
  Internal: 6,
} as const;
export type ResetCode = (typeof ResetCode)[keyof typeof ResetCode];

export const GoAwayCode = {
  Normal: 0,
  ProtocolError: 1,
  Internal: 2,
} as const;

export const FRAME_HEADER_SIZE = 6;
/** Where the u32 stream id sits in the header; the relay rewrites it there to forward a DATA frame without a copy. */
export const STREAM_ID_OFFSET = 2;
/** Largest DATA payload. 64 KiB matches a net.Socket read, so a socket chunk is usually one frame. */
export const MAX_DATA_PAYLOAD = 64 * 1024;
/** Largest message the decoder accepts; also the `maxPayload` to give ws so it never buffers more than this. */
export const MAX_FRAME_SIZE = FRAME_HEADER_SIZE + MAX_DATA_PAYLOAD;
export const MAX_TARGET_BYTES = 1024;
export const MAX_METADATA_ENTRIES = 32;
export const MAX_METADATA_KEY_BYTES = 128;
export const MAX_METADATA_VALUE_BYTES = 4096;
export const MAX_REASON_BYTES = 1024;
export const PING_PAYLOAD_SIZE = 8;
/** Stream ids are u32; 0 means "the session itself" (PING, PONG, GOAWAY). */
export const MAX_STREAM_ID = 0xffff_ffff;
/** Credit is tracked as a 31-bit count, as in HTTP/2. */
export const MAX_WINDOW = 0x7fff_ffff;

export type Frame =
  | { type: typeof FrameType.Open; streamId: number; target: string; metadata: Record<string, string> }
  | { type: typeof FrameType.Accept; streamId: number }
  | { type: typeof FrameType.Data; streamId: number; payload: Buffer }
  | { type: typeof FrameType.Window; streamId: number; increment: number }
  | { type: typeof FrameType.CloseWrite; streamId: number }
  | { type: typeof FrameType.Reset; streamId: number; code: number; reason: string }
  | { type: typeof FrameType.Ping; streamId: 0; payload: Buffer }
  | { type: typeof FrameType.Pong; streamId: 0; payload: Buffer }
  | { type: typeof FrameType.GoAway; streamId: 0; code: number; reason: string };

export function frameTypeName(type: number): string {
  for (const [name, value] of Object.entries(FrameType)) if (value === type) return name;
  return `unknown(${type})`;
}
