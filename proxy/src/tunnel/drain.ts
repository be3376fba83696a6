// The wait of a graceful shutdown, shared by the agent and the relay: after GOAWAY, let the streams already open
// finish, but no longer than the drain timeout, so a stuck stream cannot hold the process up for ever.
import type { Logger } from '../common/logger.js';

/** What the drain counts: a TunnelSession, or anything else that knows its open streams. */
export interface StreamCounting {
  readonly streamCount: number;
}

export interface DrainOptions {
  /** Read again on every check: sessions close, and leave the list, while the drain waits. */
  sessions: () => Iterable<StreamCounting>;
  timeoutMs: number;
  logger: Logger;
}

/** How often to look again; streams end on their own, so nothing finer is needed. */
const POLL_MS = 100;

function openStreams(sessions: Iterable<StreamCounting>): number {
  let count = 0;
  for (const session of sessions) count += session.streamCount;
  return count;
}

/**
 * Resolves once no session has an open stream, or at the deadline. The log lines give `tunnelStreams`: streams on
 * the tunnel sessions, so a stream the relay forwards counts twice there (once on the client's session, once on
 * the agent's).
 */
export async function waitForStreams({ sessions, timeoutMs, logger }: DrainOptions): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let left = openStreams(sessions());
  if (left === 0) return;
  logger.info('draining in-flight streams', { tunnelStreams: left, timeoutMs });
  while (left > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    left = openStreams(sessions());
  }
  if (left > 0) logger.warn('drain timeout reached; closing streams still open', { tunnelStreams: left });
}
