import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { decodeFrame, encodeFrame } from '../../../proxy/src/tunnel/codec.js';
import { FrameDecodeError } from '../../../proxy/src/tunnel/errors.js';
import { INITIAL_STREAM_WINDOW } from '../../../proxy/src/tunnel/flow-control.js';
import { FrameType, MAX_FRAME_SIZE } from '../../../proxy/src/tunnel/frame.js';
import type { Frame } from '../../../proxy/src/tunnel/frame.js';
import { TunnelSession } from '../../../proxy/src/tunnel/session.js';
import type { TunnelStream } from '../../../proxy/src/tunnel/stream.js';
import type { MessageTransport, TransportHandlers } from '../../../proxy/src/tunnel/transport.js';
import { captureLogger } from './helpers.js';

const ITERATIONS = 100_000;

/** Seeded PRNG (mulberry32) so a failing run can be reproduced from its seed. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  const bytes = (length: number) => {
    const buf = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) buf[i] = int(256);
    return buf;
  };
  return { next, int, bytes };
}
type Random = ReturnType<typeof prng>;

/** A valid frame as a dialer peer would send it (odd stream ids, small so they hit live streams). */
function validFrame(random: Random): Frame {
  const streamId = 1 + 2 * random.int(8);
  switch (random.int(9)) {
    case 0:
      return { type: FrameType.Open, streamId, target: `10.0.0.${random.int(255)}:443`, metadata: random.int(2) ? { user: 'u', n: String(random.int(99)) } : {} };
    case 1:
      return { type: FrameType.Accept, streamId };
    case 2:
    case 3:
      return { type: FrameType.Data, streamId, payload: random.bytes(random.int(8) === 0 ? 16 * 1024 : 1 + random.int(200)) };
    case 4:
      return { type: FrameType.Window, streamId, increment: 1 + random.int(1 << 20) };
    case 5:
      return { type: FrameType.CloseWrite, streamId };
    case 6:
      return { type: FrameType.Reset, streamId, code: random.int(8), reason: 'fuzz' };
    case 7:
      return { type: FrameType.Ping, streamId: 0, payload: random.bytes(8) };
    default:
      return { type: FrameType.GoAway, streamId: 0, code: random.int(3), reason: 'bye' };
  }
}

/** A random message: noise, or a valid frame with a random mutation, or a valid frame untouched. */
function fuzzMessage(random: Random): Buffer {
  const roll = random.int(10);
  if (roll === 0) return random.bytes(random.int(64));
  if (roll === 1 && random.int(50) === 0) return random.bytes(MAX_FRAME_SIZE + 1 + random.int(1024));
  const message = encodeFrame(validFrame(random));
  if (roll <= 3) return message;
  switch (random.int(6)) {
    case 0: {
      const at = random.int(message.length);
      message[at] = (message[at] ?? 0) ^ (1 << random.int(8));
      return message;
    }
    case 1:
      return message.subarray(0, random.int(message.length));
    case 2:
      return Buffer.concat([message, random.bytes(1 + random.int(16))]);
    case 3:
      message[0] = random.int(12);
      return message;
    case 4:
      message.writeUInt32BE(random.int(4) === 0 ? random.int(0xffffffff) : random.int(20), 2);
      return message;
    default: {
      const at = 6 + random.int(Math.max(1, message.length - 6));
      if (at < message.length) message[at] = random.int(256);
      return message;
    }
  }
}

/** Stream ids a dialer peer has used so far, so most session fuzz frames are plausible and the session lives on. */
interface PeerState {
  highestOpened: number;
}

/** For the session: mostly frames that fit its state (next OPEN id, live ids), some mutated, some plain noise. */
function sessionFuzzMessage(random: Random, peer: PeerState): Buffer {
  if (random.int(10) === 0) return fuzzMessage(random);
  const frame = peer.highestOpened < 0 ? { type: FrameType.Open, streamId: 1, target: 'first', metadata: {} } : validFrame(random);
  if (frame.type === FrameType.Open) {
    peer.highestOpened += 2;
    frame.streamId = peer.highestOpened;
  } else if (frame.streamId !== 0) {
    frame.streamId = peer.highestOpened > 0 ? 1 + 2 * random.int((peer.highestOpened + 1) / 2) : 1;
  }
  return encodeFrame(frame);
}

function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Counts what the session sends and throws it away: the fuzzing peer never reads. */
class DiscardingTransport implements MessageTransport {
  handlers: TransportHandlers | undefined;
  messagesSent = 0;
  bufferedAmount = 0;
  attach(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }
  send(): void {
    this.messagesSent++;
  }
  close(): void {}
  terminate(): void {}
}

describe('tunnel fuzzing', function () {
  this.timeout(60_000);

  it(`decoder: ${ITERATIONS} random and mutated messages give a frame or a FrameDecodeError, nothing else`, () => {
    const random = prng(0xc0ffee);
    let decoded = 0;
    let rejected = 0;
    const codes = new Set<string>();
    for (let i = 0; i < ITERATIONS; i++) {
      const message = fuzzMessage(random);
      let frame: Frame;
      try {
        frame = decodeFrame(message);
      } catch (error) {
        if (!(error instanceof FrameDecodeError)) throw new Error(`iteration ${i}: decoder threw ${String(error)}`, { cause: error });
        codes.add(error.code);
        rejected++;
        continue;
      }
      decoded++;
      // Whatever the decoder accepts, it understood exactly: re-encoding gives back the same bytes.
      expect(encodeFrame(frame).equals(message), `iteration ${i}: ${message.toString('hex')}`).to.be.true;
    }
    expect(decoded + rejected).to.equal(ITERATIONS);
    expect(decoded).to.be.greaterThan(ITERATIONS / 4);
    expect(rejected).to.be.greaterThan(ITERATIONS / 4);
    expect([...codes].sort()).to.include.members(['BAD_LENGTH', 'FRAME_TOO_LARGE', 'FRAME_TOO_SHORT', 'UNKNOWN_FRAME_TYPE', 'RESERVED_FLAGS_SET']);
  });

  it(`session: ${ITERATIONS} random and mutated frames never crash it and memory stays bounded`, async () => {
    const gc = collectGarbage();
    const random = prng(0xbadf00d);
    const { logger } = captureLogger('error');
    let sessions = 0;
    let streamsSeen = 0;
    let liveStreams: TunnelStream[] = [];
    let transport = new DiscardingTransport();
    let peer: PeerState = { highestOpened: -1 };
    const newSession = () => {
      transport = new DiscardingTransport();
      peer = { highestOpened: -1 };
      liveStreams = [];
      const session = new TunnelSession(transport, { side: 'listener', logger });
      session.on('stream', (stream) => {
        streamsSeen++;
        stream.on('error', () => undefined);
        liveStreams.push(stream);
        // Some streams are read, some never are (stalled), some are refused or dropped at once.
        const fate = random.int(4);
        if (fate === 0) stream.reject('fuzz says no');
        else if (fate === 3) stream.destroy();
        else {
          stream.accept();
          if (fate === 1) stream.resume();
        }
      });
      sessions++;
      return session;
    };
    let session = newSession();
    let heapAfterWarmup = 0;
    let maxBuffered = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      if (session.closed) session = newSession();
      const message = sessionFuzzMessage(random, peer);
      try {
        transport.handlers?.onMessage(message, random.int(200) !== 0);
      } catch (error) {
        throw new Error(`iteration ${i}: session threw ${String(error)}`, { cause: error });
      }
      if (i % 1000 === 0) {
        for (const stream of liveStreams) maxBuffered = Math.max(maxBuffered, stream.bufferedBytes);
        // Frames arrive from the event loop in real life; let deferred stream teardown (nextTick) run too.
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (i === 10_000) {
        gc();
        heapAfterWarmup = process.memoryUsage().heapUsed;
      }
    }
    session.close();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const growth = process.memoryUsage().heapUsed - heapAfterWarmup;
    console.log(`      session fuzz: ${sessions} sessions, ${streamsSeen} streams, heap growth ${(growth / 1e6).toFixed(1)} MB`);
    expect(sessions).to.be.greaterThan(100);
    expect(ITERATIONS / sessions, 'frames per session').to.be.greaterThan(5);
    expect(streamsSeen).to.be.greaterThan(1000);
    expect(maxBuffered).to.be.at.most(INITIAL_STREAM_WINDOW);
    expect(growth).to.be.lessThan(16 * 1024 * 1024);
  });
});
