import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { EarlyFrames, MAX_REPLAY_BYTES } from '../../../proxy/src/relay/early-frames.js';
import type { ReplayTarget } from '../../../proxy/src/relay/early-frames.js';
import { decodeFrame, encodeData, encodeDataInto } from '../../../proxy/src/tunnel/codec.js';
import { FRAME_HEADER_SIZE, FrameType, MAX_FRAME_SIZE, STREAM_ID_OFFSET } from '../../../proxy/src/tunnel/frame.js';

type Call = { kind: 'data'; message: Buffer; length: number } | { kind: 'window'; increment: number } | { kind: 'closeWrite' };

/** A stream that records what a replay sends it; like a FrameStream, it writes its own id into each DATA frame. */
function target(id: number): ReplayTarget & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    id,
    calls,
    sendData(message, length) {
      message.writeUInt32BE(id, STREAM_ID_OFFSET);
      calls.push({ kind: 'data', message, length });
    },
    sendWindow: (increment) => void calls.push({ kind: 'window', increment }),
    closeWrite: () => void calls.push({ kind: 'closeWrite' }),
  };
}

/** DATA frames as a session hands them over: views into one socket read, laid end to end. */
function framesInOneRead(payloads: Buffer[]): Buffer[] {
  const read = Buffer.alloc(payloads.reduce((sum, payload) => sum + FRAME_HEADER_SIZE + payload.length, 0));
  let at = 0;
  return payloads.map((payload) => {
    const frame = encodeDataInto(read.subarray(at), 7, payload);
    at += frame.length;
    return frame;
  });
}

const dataCall = (call: Call | undefined) => {
  if (call?.kind !== 'data') return expect.fail(`expected DATA, got ${JSON.stringify(call?.kind)}`);
  return call;
};

describe('relay early frames (failover replay)', () => {
  it('replays many DATA frames as one, byte for byte, then the credit and the half-close', () => {
    const early = new EarlyFrames();
    const payloads = [Buffer.from('a'), Buffer.from('b'), randomBytes(1000), Buffer.from('c'), randomBytes(5000)];
    for (const frame of framesInOneRead(payloads)) expect(early.addData(frame, frame.length - FRAME_HEADER_SIZE)).to.equal(true);
    early.addWindow(100);
    early.addWindow(20);
    early.markCloseWrite();
    const stream = target(9);
    early.replayTo(stream);
    expect(stream.calls.map((call) => call.kind)).to.deep.equal(['data', 'window', 'closeWrite']);
    const data = dataCall(stream.calls[0]);
    expect(decodeFrame(data.message)).to.deep.equal({ type: FrameType.Data, streamId: 9, payload: Buffer.concat(payloads) });
    expect(data.length).to.equal(6003);
    expect(stream.calls[1]).to.deep.equal({ kind: 'window', increment: 120 });
  });

  it('keeps copies in memory of its own, not the socket reads the frames are views into', () => {
    const early = new EarlyFrames();
    const frames = framesInOneRead(Array.from({ length: 200 }, (_, i) => Buffer.from([i])));
    for (const frame of frames) early.addData(frame, 1);
    const read = frames[0]!.buffer;
    new Uint8Array(read).fill(0xff); // the read buffer reused or scribbled over: the replay must not change
    const stream = target(3);
    early.replayTo(stream);
    const { message } = dataCall(stream.calls[0]);
    expect(message.buffer).not.to.equal(read);
    // Grown by doubling: at most twice what it holds, so no shared slab (Node's pool) and no socket read behind it.
    expect(message.buffer.byteLength, 'memory held').to.be.at.most(2 * message.length);
    expect([...message.subarray(FRAME_HEADER_SIZE)]).to.deep.equal(Array.from({ length: 200 }, (_, i) => i));
  });

  it('gives up past MAX_REPLAY_BYTES', () => {
    const early = new EarlyFrames();
    const payload = randomBytes(MAX_REPLAY_BYTES);
    expect(early.addData(encodeData(1, payload), MAX_REPLAY_BYTES), 'exactly the limit').to.equal(true);
    expect(early.addData(encodeData(1, Buffer.from('x')), 1), 'one byte more').to.equal(false);
    expect(MAX_FRAME_SIZE - FRAME_HEADER_SIZE, 'one DATA frame holds it all').to.be.at.least(MAX_REPLAY_BYTES);
  });

  it('leaves a frame it replayed as it was: later bytes and later replays use their own header', () => {
    const early = new EarlyFrames();
    // 'he' then 'l' leave room in the buffer, so 'lo' is added in place after the first replay.
    for (const text of ['he', 'l']) early.addData(encodeData(1, Buffer.from(text)), text.length);
    const replays = [target(4), target(2), target(6)];
    const sent = (i: number) => dataCall(replays[i]!.calls[0]).message;
    early.replayTo(replays[0]!);
    const first = Buffer.from(sent(0));
    early.addData(encodeData(1, Buffer.from('lo')), 2);
    early.replayTo(replays[1]!);
    const second = Buffer.from(sent(1));
    early.replayTo(replays[2]!);
    // An agent's frame may still wait in its socket: its stream id and bytes must not change under it.
    expect(sent(0).equals(first) && sent(1).equals(second), 'earlier replays unchanged').to.equal(true);
    expect(replays.map((_, i) => decodeFrame(sent(i)))).to.deep.equal([
      { type: FrameType.Data, streamId: 4, payload: Buffer.from('hel') },
      { type: FrameType.Data, streamId: 2, payload: Buffer.from('hello') },
      { type: FrameType.Data, streamId: 6, payload: Buffer.from('hello') },
    ]);
  });

  it('replays nothing but what came: no DATA frame when the client sent no bytes', () => {
    const early = new EarlyFrames();
    early.markCloseWrite();
    const stream = target(5);
    early.replayTo(stream);
    expect(stream.calls).to.deep.equal([{ kind: 'closeWrite' }]);
  });
});
