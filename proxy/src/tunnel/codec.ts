// Binary encoding of frames. The decoder is strict: it checks every length against the message it was given,
// so a hostile length field can never make it read past the message or allocate more than the message size.
import { FrameDecodeError, FrameEncodeError } from './errors.js';
import {
  FRAME_HEADER_SIZE,
  FrameType,
  MAX_DATA_PAYLOAD,
  MAX_FRAME_SIZE,
  MAX_METADATA_ENTRIES,
  MAX_METADATA_KEY_BYTES,
  MAX_METADATA_VALUE_BYTES,
  MAX_REASON_BYTES,
  MAX_STREAM_ID,
  MAX_TARGET_BYTES,
  MAX_WINDOW,
  PING_PAYLOAD_SIZE,
  STREAM_ID_OFFSET,
} from './frame.js';
import type { Frame } from './frame.js';

/**
 * Metadata keys are tokens starting with a letter: no surprises in logs, and no integer-like keys, which a JS
 * object would reorder (the encoding stays canonical: decode then encode gives back the same bytes).
 */
const METADATA_KEY = /^[A-Za-z][A-Za-z0-9._-]*$/;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Writes a frame header (type, no flags, stream id) at the start of `buf`. */
export function writeHeader(buf: Buffer, type: number, streamId: number): void {
  buf[0] = type;
  buf[1] = 0;
  buf.writeUInt32BE(streamId, STREAM_ID_OFFSET);
}

function header(type: number, streamId: number, payloadSize: number): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER_SIZE + payloadSize);
  writeHeader(buf, type, streamId);
  return buf;
}

function checkStreamId(streamId: number, session: boolean): void {
  const ok = session ? streamId === 0 : Number.isInteger(streamId) && streamId > 0 && streamId <= MAX_STREAM_ID;
  if (!ok) throw new FrameEncodeError(`stream id ${streamId} is not valid for this frame type`);
}

/** Cuts a string to at most `maxBytes` of UTF-8 without splitting a character (reasons are informational). */
export function truncateUtf8(text: string, maxBytes: number): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return bytes;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/** DATA is the hot path: one allocation, one copy of the payload. */
export function encodeData(streamId: number, payload: Uint8Array): Buffer {
  checkDataPayload(streamId, payload);
  const buf = header(FrameType.Data, streamId, payload.length);
  buf.set(payload, FRAME_HEADER_SIZE);
  return buf;
}

/** encodeData into `target` (at least header + payload long, e.g. a pooled buffer); returns the frame's bytes. */
export function encodeDataInto(target: Buffer, streamId: number, payload: Uint8Array): Buffer {
  checkDataPayload(streamId, payload);
  const size = FRAME_HEADER_SIZE + payload.length;
  if (target.length < size) throw new FrameEncodeError(`a ${target.length}-byte buffer cannot hold a ${size}-byte DATA frame`);
  writeHeader(target, FrameType.Data, streamId);
  target.set(payload, FRAME_HEADER_SIZE);
  return target.subarray(0, size);
}

function checkDataPayload(streamId: number, payload: Uint8Array): void {
  checkStreamId(streamId, false);
  if (payload.length === 0 || payload.length > MAX_DATA_PAYLOAD) {
    throw new FrameEncodeError(`DATA payload of ${payload.length} bytes is outside 1..${MAX_DATA_PAYLOAD}`);
  }
}

function encodeCodeAndReason(type: number, streamId: number, code: number, reason: string): Buffer {
  if (!Number.isInteger(code) || code < 0 || code > 0xffff) throw new FrameEncodeError(`code ${code} is not a u16`);
  const text = truncateUtf8(reason, MAX_REASON_BYTES);
  const buf = header(type, streamId, 2 + text.length);
  buf.writeUInt16BE(code, FRAME_HEADER_SIZE);
  text.copy(buf, FRAME_HEADER_SIZE + 2);
  return buf;
}

function encodeOpen(streamId: number, target: string, metadata: Record<string, string>): Buffer {
  const targetBytes = Buffer.from(target, 'utf8');
  if (targetBytes.length === 0 || targetBytes.length > MAX_TARGET_BYTES) {
    throw new FrameEncodeError(`OPEN target must be 1..${MAX_TARGET_BYTES} bytes`);
  }
  const entries = Object.entries(metadata);
  if (entries.length > MAX_METADATA_ENTRIES) throw new FrameEncodeError(`OPEN metadata has more than ${MAX_METADATA_ENTRIES} entries`);
  const parts: Buffer[] = [];
  let size = 2 + targetBytes.length + 2;
  for (const [key, value] of entries) {
    const k = Buffer.from(key, 'utf8');
    const v = Buffer.from(value, 'utf8');
    if (k.length > MAX_METADATA_KEY_BYTES || !METADATA_KEY.test(key)) {
      throw new FrameEncodeError(`OPEN metadata key must be a token of 1..${MAX_METADATA_KEY_BYTES} bytes starting with a letter`);
    }
    if (v.length > MAX_METADATA_VALUE_BYTES) throw new FrameEncodeError(`OPEN metadata value for "${key}" exceeds ${MAX_METADATA_VALUE_BYTES} bytes`);
    parts.push(k, v);
    size += 4 + k.length + v.length;
  }
  if (FRAME_HEADER_SIZE + size > MAX_FRAME_SIZE) throw new FrameEncodeError('OPEN frame exceeds the frame size limit');
  const buf = header(FrameType.Open, streamId, size);
  let at = FRAME_HEADER_SIZE;
  at = buf.writeUInt16BE(targetBytes.length, at);
  at += targetBytes.copy(buf, at);
  at = buf.writeUInt16BE(entries.length, at);
  for (const part of parts) {
    at = buf.writeUInt16BE(part.length, at);
    at += part.copy(buf, at);
  }
  return buf;
}

export function encodeFrame(frame: Frame): Buffer {
  switch (frame.type) {
    case FrameType.Open:
      checkStreamId(frame.streamId, false);
      return encodeOpen(frame.streamId, frame.target, frame.metadata);
    case FrameType.Accept:
    case FrameType.CloseWrite:
      checkStreamId(frame.streamId, false);
      return header(frame.type, frame.streamId, 0);
    case FrameType.Data:
      return encodeData(frame.streamId, frame.payload);
    case FrameType.Window: {
      checkStreamId(frame.streamId, false);
      if (!Number.isInteger(frame.increment) || frame.increment < 1 || frame.increment > MAX_WINDOW) {
        throw new FrameEncodeError(`WINDOW increment ${frame.increment} is outside 1..${MAX_WINDOW}`);
      }
      const buf = header(frame.type, frame.streamId, 4);
      buf.writeUInt32BE(frame.increment, FRAME_HEADER_SIZE);
      return buf;
    }
    case FrameType.Reset:
      checkStreamId(frame.streamId, false);
      return encodeCodeAndReason(frame.type, frame.streamId, frame.code, frame.reason);
    case FrameType.Ping:
    case FrameType.Pong: {
      checkStreamId(frame.streamId, true);
      if (frame.payload.length !== PING_PAYLOAD_SIZE) throw new FrameEncodeError(`PING/PONG payload must be ${PING_PAYLOAD_SIZE} bytes`);
      const buf = header(frame.type, 0, PING_PAYLOAD_SIZE);
      frame.payload.copy(buf, FRAME_HEADER_SIZE);
      return buf;
    }
    case FrameType.GoAway:
      checkStreamId(frame.streamId, true);
      return encodeCodeAndReason(frame.type, 0, frame.code, frame.reason);
  }
}

/** Reads length-prefixed fields from a payload, failing with a FrameDecodeError instead of reading past the end. */
class PayloadReader {
  private at = 0;
  constructor(private readonly payload: Buffer) {}

  u16(field: string): number {
    if (this.at + 2 > this.payload.length) throw new FrameDecodeError('BAD_LENGTH', `${field} is truncated`);
    const value = this.payload.readUInt16BE(this.at);
    this.at += 2;
    return value;
  }

  text(field: string, maxBytes: number, allowEmpty: boolean): string {
    const length = this.u16(`${field} length`);
    if (length > maxBytes) throw new FrameDecodeError('BAD_FIELD', `${field} is ${length} bytes, limit ${maxBytes}`);
    if (length === 0 && !allowEmpty) throw new FrameDecodeError('BAD_FIELD', `${field} is empty`);
    if (this.at + length > this.payload.length) throw new FrameDecodeError('BAD_LENGTH', `${field} is truncated`);
    const bytes = this.payload.subarray(this.at, this.at + length);
    this.at += length;
    return decodeUtf8(bytes, field);
  }

  end(frameName: string): void {
    if (this.at !== this.payload.length) throw new FrameDecodeError('BAD_LENGTH', `${frameName} has ${this.payload.length - this.at} trailing bytes`);
  }
}

function decodeUtf8(bytes: Uint8Array, field: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new FrameDecodeError('BAD_FIELD', `${field} is not valid UTF-8`);
  }
}

function expectPayloadSize(payload: Buffer, size: number, frameName: string): void {
  if (payload.length !== size) throw new FrameDecodeError('BAD_LENGTH', `${frameName} payload is ${payload.length} bytes, expected ${size}`);
}

function decodeCodeAndReason(payload: Buffer, frameName: string): { code: number; reason: string } {
  if (payload.length < 2) throw new FrameDecodeError('BAD_LENGTH', `${frameName} has no code`);
  if (payload.length - 2 > MAX_REASON_BYTES) throw new FrameDecodeError('BAD_FIELD', `${frameName} reason exceeds ${MAX_REASON_BYTES} bytes`);
  return { code: payload.readUInt16BE(0), reason: decodeUtf8(payload.subarray(2), `${frameName} reason`) };
}

/**
 * Decodes one message into a frame, or throws FrameDecodeError. DATA and PING payloads are views into `message`
 * (no copy). Never throws anything else for any input.
 */
export function decodeFrame(message: Buffer): Frame {
  if (message.length < FRAME_HEADER_SIZE) throw new FrameDecodeError('FRAME_TOO_SHORT', `frame of ${message.length} bytes is shorter than the header`);
  if (message.length > MAX_FRAME_SIZE) throw new FrameDecodeError('FRAME_TOO_LARGE', `frame of ${message.length} bytes exceeds the limit of ${MAX_FRAME_SIZE}`);
  const type = message[0] ?? 0;
  if (message[1] !== 0) throw new FrameDecodeError('RESERVED_FLAGS_SET', `reserved flags 0x${(message[1] ?? 0).toString(16)} are set`);
  const streamId = message.readUInt32BE(STREAM_ID_OFFSET);
  const payload = message.subarray(FRAME_HEADER_SIZE);
  const sessionLevel = type === FrameType.Ping || type === FrameType.Pong || type === FrameType.GoAway;
  if (type >= FrameType.Open && type <= FrameType.GoAway) {
    if (sessionLevel && streamId !== 0) throw new FrameDecodeError('BAD_STREAM_ID', `session frame type ${type} carries stream id ${streamId}`);
    if (!sessionLevel && streamId === 0) throw new FrameDecodeError('BAD_STREAM_ID', `stream frame type ${type} carries stream id 0`);
  }
  switch (type) {
    case FrameType.Open: {
      const reader = new PayloadReader(payload);
      const target = reader.text('OPEN target', MAX_TARGET_BYTES, false);
      const count = reader.u16('OPEN metadata count');
      if (count > MAX_METADATA_ENTRIES) throw new FrameDecodeError('BAD_FIELD', `OPEN has ${count} metadata entries, limit ${MAX_METADATA_ENTRIES}`);
      // Null prototype as a second guard: no key can reach Object.prototype.
      const metadata = Object.create(null) as Record<string, string>;
      for (let i = 0; i < count; i++) {
        const key = reader.text('OPEN metadata key', MAX_METADATA_KEY_BYTES, false);
        const value = reader.text('OPEN metadata value', MAX_METADATA_VALUE_BYTES, true);
        if (!METADATA_KEY.test(key)) throw new FrameDecodeError('BAD_FIELD', 'OPEN metadata key is not a token starting with a letter');
        if (Object.hasOwn(metadata, key)) throw new FrameDecodeError('BAD_FIELD', 'OPEN metadata repeats a key');
        metadata[key] = value;
      }
      reader.end('OPEN');
      return { type, streamId, target, metadata };
    }
    case FrameType.Accept:
      expectPayloadSize(payload, 0, 'ACCEPT');
      return { type, streamId };
    case FrameType.Data:
      if (payload.length === 0) throw new FrameDecodeError('BAD_LENGTH', 'DATA frame is empty');
      return { type, streamId, payload };
    case FrameType.Window: {
      expectPayloadSize(payload, 4, 'WINDOW');
      const increment = payload.readUInt32BE(0);
      if (increment < 1 || increment > MAX_WINDOW) throw new FrameDecodeError('BAD_FIELD', `WINDOW increment ${increment} is outside 1..${MAX_WINDOW}`);
      return { type, streamId, increment };
    }
    case FrameType.CloseWrite:
      expectPayloadSize(payload, 0, 'CLOSE_WRITE');
      return { type, streamId };
    case FrameType.Reset:
      return { type, streamId, ...decodeCodeAndReason(payload, 'RESET') };
    case FrameType.Ping:
    case FrameType.Pong:
      expectPayloadSize(payload, PING_PAYLOAD_SIZE, type === FrameType.Ping ? 'PING' : 'PONG');
      return { type, streamId: 0, payload };
    case FrameType.GoAway:
      return { type, streamId: 0, ...decodeCodeAndReason(payload, 'GOAWAY') };
    default:
      throw new FrameDecodeError('UNKNOWN_FRAME_TYPE', `unknown frame type ${type}`);
  }
}
