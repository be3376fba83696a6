import { expect } from 'chai';
import { waitForStreams } from '../../../proxy/src/tunnel/drain.js';
import { captureLogger } from './helpers.js';

const messages = (lines: string[]) => lines.map((line) => JSON.parse(line) as { message: string; tunnelStreams?: number; timeoutMs?: number });

describe('waitForStreams (the shutdown drain of agent and relay)', () => {
  it('returns at once and logs nothing when no stream is open', async () => {
    const { logger, lines } = captureLogger();
    const started = Date.now();
    await waitForStreams({ sessions: () => [{ streamCount: 0 }, { streamCount: 0 }], timeoutMs: 5_000, logger });
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
    expect(messages(lines).map((line) => line.message)).to.deep.equal(['draining in-flight streams']);
  });

  it('gives up at the deadline, saying when the wait started and how many streams are left', async () => {
    const { logger, lines } = captureLogger();
    await waitForStreams({ sessions: () => [{ streamCount: 1 }, { streamCount: 2 }], timeoutMs: 150, logger });
    const logged = messages(lines);
    expect(logged.map((line) => line.message)).to.deep.equal(['draining in-flight streams', 'drain timeout reached; closing streams still open']);
    expect(logged[0]).to.include({ tunnelStreams: 3, timeoutMs: 150 });
    expect(logged[1]).to.include({ tunnelStreams: 3 });
  });
});
