import { expect } from 'chai';
import { decodeFrame, encodeData, encodeDataInto, encodeFrame, truncateUtf8 } from '../../../proxy/src/tunnel/codec.js';
import { FrameDecodeError, FrameEncodeError, describeDialError } from '../../../proxy/src/tunnel/errors.js';
import type { FrameDecodeErrorCode } from '../../../proxy/src/tunnel/errors.js';
import {
  FRAME_HEADER_SIZE,
  FrameType,
  MAX_DATA_PAYLOAD,
  MAX_FRAME_SIZE,
  MAX_METADATA_ENTRIES,
  MAX_REASON_BYTES,
  MAX_WINDOW,
  frameTypeName,
} from '../../../proxy/src/tunnel/frame.js';
import type { Frame } from '../../../proxy/src/tunnel/frame.js';

function raw(type: number, streamId: number, payload: number[] | Buffer = [], flags = 0): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_SIZE);
  header[0] = type;
  header[1] = flags;
  header.writeUInt32BE(streamId, 2);
  return Buffer.concat([header, Buffer.from(payload)]);
}

function expectDecodeError(message: Buffer, code: FrameDecodeErrorCode): void {
  try {
    decodeFrame(message);
  } catch (error) {
    expect(error).to.be.instanceOf(FrameDecodeError);
    expect((error as FrameDecodeError).code).to.equal(code);
    return;
  }
  expect.fail(`decoded a frame that should fail with ${code}`);
}

describe('tunnel/codec', () => {
  const frames: Frame[] = [
    { type: FrameType.Open, streamId: 1, target: '10.0.0.1:443', metadata: {} },
    { type: FrameType.Open, streamId: 0xffff_ffff, target: 'clüster-ä', metadata: { user: 'alice', empty: '', 'x-forwarded.for_1': 'y' } },
    { type: FrameType.Accept, streamId: 2 },
    { type: FrameType.Data, streamId: 3, payload: Buffer.from('hello') },
    { type: FrameType.Data, streamId: 3, payload: Buffer.alloc(MAX_DATA_PAYLOAD, 7) },
    { type: FrameType.Window, streamId: 4, increment: 1 },
    { type: FrameType.Window, streamId: 4, increment: MAX_WINDOW },
    { type: FrameType.CloseWrite, streamId: 5 },
    { type: FrameType.Reset, streamId: 6, code: 1, reason: 'upstream 10.0.0.1:443 refused the connection' },
    { type: FrameType.Reset, streamId: 6, code: 0xffff, reason: '' },
    { type: FrameType.Ping, streamId: 0, payload: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]) },
    { type: FrameType.Pong, streamId: 0, payload: Buffer.alloc(8, 0xff) },
    { type: FrameType.GoAway, streamId: 0, code: 0, reason: 'draining' },
  ];

  frames.forEach((frame, index) => {
    it(`round-trips ${frameTypeName(frame.type)} frame #${index}`, () => {
      const decoded = decodeFrame(encodeFrame(frame));
      expect(decoded).to.deep.equal(frame);
    });
  });

  it('accepts only token metadata keys, so no key can be __proto__ or be reordered', () => {
    const decoded = decodeFrame(encodeFrame({ type: FrameType.Open, streamId: 1, target: 't', metadata: { b: '1', a: '2' } }));
    if (decoded.type !== FrameType.Open) expect.fail('not an OPEN');
    expect(Object.keys(decoded.metadata)).to.deep.equal(['b', 'a']);
    expect(Object.getPrototypeOf(decoded.metadata)).to.equal(null);
    for (const key of ['__proto__', '6', 'a b', '']) {
      expect(() => encodeFrame({ type: FrameType.Open, streamId: 1, target: 't', metadata: { [key]: 'x' } }), key).to.throw(FrameEncodeError);
    }
    // "__proto__" and "6" on the wire: [len 9]__proto__[len 0], [len 1]6[len 0]
    expectDecodeError(raw(FrameType.Open, 1, [0, 1, 0x74, 0, 1, 0, 9, ...Buffer.from('__proto__'), 0, 0]), 'BAD_FIELD');
    expectDecodeError(raw(FrameType.Open, 1, [0, 1, 0x74, 0, 1, 0, 1, 0x36, 0, 0]), 'BAD_FIELD');
  });

  it('lays DATA out as type, flags, big-endian stream id, payload, and decodes it as a view', () => {
    const message = encodeData(0x01020304, Buffer.from([9, 8]));
    expect([...message]).to.deep.equal([FrameType.Data, 0, 1, 2, 3, 4, 9, 8]);
    const frame = decodeFrame(message);
    if (frame.type !== FrameType.Data) expect.fail('not DATA');
    expect(frame.payload.buffer).to.equal(message.buffer);
  });

  describe('rejects malformed frames with a typed error', () => {
    it('shorter than the header', () => expectDecodeError(Buffer.from([3, 0, 0, 0]), 'FRAME_TOO_SHORT'));
    it('empty message', () => expectDecodeError(Buffer.alloc(0), 'FRAME_TOO_SHORT'));
    it('larger than the frame size limit', () => expectDecodeError(raw(FrameType.Data, 1, Buffer.alloc(MAX_DATA_PAYLOAD + 1)), 'FRAME_TOO_LARGE'));
    it('reserved flags set', () => expectDecodeError(raw(FrameType.Accept, 1, [], 0x80), 'RESERVED_FLAGS_SET'));
    it('unknown type', () => expectDecodeError(raw(0, 1), 'UNKNOWN_FRAME_TYPE'));
    it('unknown type 200', () => expectDecodeError(raw(200, 1, [1, 2, 3]), 'UNKNOWN_FRAME_TYPE'));
    it('stream frame on stream 0', () => expectDecodeError(raw(FrameType.Data, 0, [1]), 'BAD_STREAM_ID'));
    it('session frame on a stream', () => expectDecodeError(raw(FrameType.Ping, 7, Buffer.alloc(8)), 'BAD_STREAM_ID'));
    it('empty DATA', () => expectDecodeError(raw(FrameType.Data, 1), 'BAD_LENGTH'));
    it('ACCEPT with a payload', () => expectDecodeError(raw(FrameType.Accept, 1, [0]), 'BAD_LENGTH'));
    it('CLOSE_WRITE with a payload', () => expectDecodeError(raw(FrameType.CloseWrite, 1, [0]), 'BAD_LENGTH'));
    it('WINDOW of 3 bytes', () => expectDecodeError(raw(FrameType.Window, 1, [0, 0, 1]), 'BAD_LENGTH'));
    it('WINDOW increment 0', () => expectDecodeError(raw(FrameType.Window, 1, [0, 0, 0, 0]), 'BAD_FIELD'));
    it('WINDOW increment above 2^31-1', () => expectDecodeError(raw(FrameType.Window, 1, [0x80, 0, 0, 0]), 'BAD_FIELD'));
    it('PING of 7 bytes', () => expectDecodeError(raw(FrameType.Ping, 0, Buffer.alloc(7)), 'BAD_LENGTH'));
    it('RESET without a code', () => expectDecodeError(raw(FrameType.Reset, 1, [0]), 'BAD_LENGTH'));
    it('RESET reason over the limit', () => expectDecodeError(raw(FrameType.Reset, 1, Buffer.alloc(2 + MAX_REASON_BYTES + 1, 0x61)), 'BAD_FIELD'));
    it('GOAWAY reason that is not UTF-8', () => expectDecodeError(raw(FrameType.GoAway, 0, [0, 0, 0xff, 0xfe]), 'BAD_FIELD'));
    it('OPEN with an empty target', () => expectDecodeError(raw(FrameType.Open, 1, [0, 0, 0, 0]), 'BAD_FIELD'));
    it('OPEN whose target length runs past the message', () => expectDecodeError(raw(FrameType.Open, 1, [0, 50, 0x61, 0x62]), 'BAD_LENGTH'));
    it('OPEN with a huge target length', () => expectDecodeError(raw(FrameType.Open, 1, [0xff, 0xff, 0x61]), 'BAD_FIELD'));
    it('OPEN without a metadata count', () => expectDecodeError(raw(FrameType.Open, 1, [0, 1, 0x61]), 'BAD_LENGTH'));
    it('OPEN with trailing bytes', () => expectDecodeError(raw(FrameType.Open, 1, [0, 1, 0x61, 0, 0, 9]), 'BAD_LENGTH'));
    it('OPEN claiming more metadata than it carries', () => expectDecodeError(raw(FrameType.Open, 1, [0, 1, 0x61, 0, 2, 0, 1, 0x6b, 0, 0]), 'BAD_LENGTH'));
    it('OPEN with too many metadata entries', () => expectDecodeError(raw(FrameType.Open, 1, [0, 1, 0x61, 0, MAX_METADATA_ENTRIES + 1]), 'BAD_FIELD'));
    it('OPEN repeating a metadata key', () => expectDecodeError(raw(FrameType.Open, 1, [0, 1, 0x61, 0, 2, 0, 1, 0x6b, 0, 0, 0, 1, 0x6b, 0, 0]), 'BAD_FIELD'));
    it('OPEN target that is not UTF-8', () => expectDecodeError(raw(FrameType.Open, 1, [0, 1, 0xc3, 0, 0]), 'BAD_FIELD'));
  });

  it('accepts a frame of exactly the size limit', () => {
    expect(MAX_FRAME_SIZE).to.equal(FRAME_HEADER_SIZE + MAX_DATA_PAYLOAD);
    expect(decodeFrame(raw(FrameType.Data, 1, Buffer.alloc(MAX_DATA_PAYLOAD))).type).to.equal(FrameType.Data);
  });

  it('refuses to encode frames that break a limit', () => {
    expect(() => encodeData(1, Buffer.alloc(MAX_DATA_PAYLOAD + 1))).to.throw(FrameEncodeError);
    expect(() => encodeData(0, Buffer.from('x'))).to.throw(FrameEncodeError);
    expect(() => encodeFrame({ type: FrameType.Open, streamId: 1, target: '', metadata: {} })).to.throw(FrameEncodeError);
    expect(() => encodeFrame({ type: FrameType.Window, streamId: 1, increment: 0 })).to.throw(FrameEncodeError);
    expect(() => encodeFrame({ type: FrameType.Ping, streamId: 0, payload: Buffer.alloc(3) })).to.throw(FrameEncodeError);
  });

  it('encodes DATA into a given buffer exactly as into a fresh one, overwriting what the buffer held', () => {
    const payload = Buffer.from('ciphertext bytes');
    const target = Buffer.alloc(MAX_FRAME_SIZE, 0xee);
    const message = encodeDataInto(target, 0x01020304, payload);
    expect(message.equals(encodeData(0x01020304, payload))).to.equal(true);
    expect(message.buffer).to.equal(target.buffer);
    expect(() => encodeDataInto(Buffer.alloc(FRAME_HEADER_SIZE + 1), 1, Buffer.from('xy'))).to.throw(FrameEncodeError, /cannot hold/);
    expect(() => encodeDataInto(target, 0, payload)).to.throw(FrameEncodeError);
  });

  it('truncates an over-long reason on a character boundary instead of failing', () => {
    const reason = 'é'.repeat(MAX_REASON_BYTES);
    const decoded = decodeFrame(encodeFrame({ type: FrameType.Reset, streamId: 1, code: 1, reason }));
    if (decoded.type !== FrameType.Reset) expect.fail('not RESET');
    expect(Buffer.byteLength(decoded.reason)).to.equal(MAX_REASON_BYTES);
    expect(decoded.reason).to.equal('é'.repeat(MAX_REASON_BYTES / 2));
    expect(truncateUtf8('aé', 2).toString()).to.equal('a');
  });

  it('describes dial failures the way an operator reads them', () => {
    expect(describeDialError(Object.assign(new Error(), { code: 'ECONNREFUSED' }), '10.0.0.1', 443)).to.equal('upstream 10.0.0.1:443 refused the connection');
    expect(describeDialError(Object.assign(new Error(), { code: 'ENOTFOUND' }), 'kube', 443)).to.equal('upstream kube:443: host name could not be resolved');
    expect(describeDialError(Object.assign(new Error(), { code: 'ETIMEDOUT' }), '::1', 8443)).to.equal('upstream [::1]:8443 did not answer (connection timed out)');
    expect(describeDialError(new Error('x'), 'h', 1)).to.equal('upstream h:1 could not be reached');
  });
});
