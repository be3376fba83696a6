import { expect } from 'chai';
import { waitForStreams } from '../../../proxy/src/tunnel/drain.js';
import { captureLogger } from './helpers.js';

const messages = (lines: string[]) => lines.map((line) => JSON.parse(line) as { message: string; streams?: number; timeoutMs?: number });

describe('waitForStreams (the shutdown drain of agent and relay)', () => {
  it('returns at once and logs nothing when no stream is open', async () => {
    const { logger, lines } = captureLogger();
    const started = Date.now();
    await waitForStreams({ sessions: () => [{ streamCount: 0 }, { streamCount: 0 }], timeoutMs: 5_000, logger, announce: true });
    expect(Date.now() - started).to.be.below(50);
    expect(lines).to.deep.equal([]);
  });

  it('waits until the streams finish, reading the sessions again on every check', async () => {
    const { logger, lines } = captureLogger();
    const session = { streamCount: 2 };
    setTimeout(() => (session.streamCount = 0), 150);
    let reads = 0;
    await waitForStreams({ sessions: () => (reads++, [session]), timeoutMs: 5_000, logger });
    expect(session.streamCount).to.equal(0);
    expect(reads).to.be.above(2);
    expect(lines).to.deep.equal([]);
  });

  it('gives up at the deadline and says how many streams are left; announces the wait only when asked', async () => {
    const quiet = captureLogger();
    await waitForStreams({ sessions: () => [{ streamCount: 1 }, { streamCount: 2 }], timeoutMs: 150, logger: quiet.logger });
    const warned = messages(quiet.lines);
    expect(warned.map((line) => line.message)).to.deep.equal(['drain timeout reached; closing streams still open']);
    expect(warned[0]).to.include({ streams: 3 });

    const announced = captureLogger();
    await waitForStreams({ sessions: () => [{ streamCount: 1 }], timeoutMs: 150, logger: announced.logger, announce: true });
    const logged = messages(announced.lines);
    expect(logged.map((line) => line.message)).to.deep.equal(['draining in-flight streams', 'drain timeout reached; closing streams still open']);
    expect(logged[0]).to.include({ streams: 1, timeoutMs: 150 });
    expect(logged[1]).to.include({ streams: 1 });
  });
});
