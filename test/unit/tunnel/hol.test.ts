import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { INITIAL_STREAM_WINDOW } from '../../../proxy/src/tunnel/flow-control.js';
import type { TunnelStream } from '../../../proxy/src/tunnel/stream.js';
import { quiet, readAll, wsSessionPair } from './helpers.js';
import type { WsPair } from './helpers.js';

const CHUNK = 64 * 1024;
const BULK_BYTES = 100 * 1024 * 1024;

/** 100 MiB of varying content: a random block with the chunk index stamped in, hashed as it is produced. */
function bulkSource(hash: ReturnType<typeof createHash>): Readable {
  const block = randomBytes(CHUNK);
  return Readable.from(
    (function* () {
      for (let i = 0; i < BULK_BYTES / CHUNK; i++) {
        const chunk = Buffer.from(block);
        chunk.writeUInt32BE(i, 0);
        hash.update(chunk);
        yield chunk;
      }
    })(),
  );
}

describe('tunnel head-of-line blocking (real ws)', function () {
  this.timeout(60_000);
  let pair: WsPair;

  beforeEach(async () => {
    pair = await wsSessionPair();
  });

  afterEach(async () => {
    await pair.close();
  });

  it('moves 100 MiB on one stream while another stream is never read, holding at most one window for it', async () => {
    const inbound = new Map<string, TunnelStream>();
    pair.listener.on('stream', (stream) => {
      quiet(stream).accept();
      inbound.set(stream.target, stream);
    });

    // The stalled stream: its writer offers 4 MiB, its reader on the far side never reads.
    const stalled = quiet(pair.dialer.openStream('stalled'));
    const stalledPayload = randomBytes(4 * 1024 * 1024);
    stalled.write(stalledPayload);
    await once(stalled, 'open');

    const bulk = quiet(pair.dialer.openStream('bulk'));
    await once(bulk, 'open');
    const bulkInbound = inbound.get('bulk') as TunnelStream;
    const stalledInbound = inbound.get('stalled') as TunnelStream;

    const sentHash = createHash('sha256');
    const receivedHash = createHash('sha256');
    let received = 0;
    let maxStalledBuffered = 0;
    let samples = 0;
    const sink = new Writable({
      highWaterMark: CHUNK,
      write(chunk: Buffer, _encoding, done) {
        receivedHash.update(chunk);
        received += chunk.length;
        maxStalledBuffered = Math.max(maxStalledBuffered, stalledInbound.bufferedBytes);
        samples++;
        done();
      },
    });

    const started = performance.now();
    await Promise.all([pipeline(bulkSource(sentHash), bulk), pipeline(bulkInbound, sink)]);
    const seconds = (performance.now() - started) / 1000;
    console.log(`      HOL: 100 MiB through one stream in ${seconds.toFixed(2)} s = ${(BULK_BYTES / 1e6 / seconds).toFixed(0)} MB/s (informational)`);

    expect(received).to.equal(BULK_BYTES);
    expect(receivedHash.digest('hex')).to.equal(sentHash.digest('hex'));
    // The stalled stream never held more than its window, and its writer was held back, not buffered in the tunnel.
    expect(samples).to.be.greaterThan(100);
    expect(maxStalledBuffered).to.be.at.most(INITIAL_STREAM_WINDOW);
    expect(stalledInbound.bufferedBytes).to.equal(INITIAL_STREAM_WINDOW);
    expect(stalled.bytesSent).to.equal(INITIAL_STREAM_WINDOW);
    expect(stalled.availableSendCredit).to.equal(0);
    expect(stalled.writableLength).to.be.greaterThan(0);

    // Once its reader starts reading, the stalled stream delivers everything, intact.
    stalled.end();
    const stalledReceived = await readAll(stalledInbound);
    expect(stalledReceived.equals(stalledPayload)).to.be.true;
  });
});
