// Flow-control constants and the receive-side credit rule, kept apart from the stream so the arithmetic is easy
// to read and to test. Design and rationale: docs/tunnel-protocol.md, "Flow control".
import { MAX_DATA_PAYLOAD, MAX_WINDOW } from './frame.js';

/**
 * Every stream starts with this much credit in each direction, without any WINDOW frame: a protocol constant, so
 * the opener can send its first bytes (a TLS ClientHello) together with the OPEN instead of waiting a round trip.
 */
export const INITIAL_STREAM_WINDOW = 256 * 1024;

/** Node's readable buffer of a stream; bytes in it still count against the window (see receiveGrant). */
export const STREAM_READABLE_HIGH_WATER_MARK = 64 * 1024;

/**
 * The smallest window a receiver may configure: the initial window cannot be taken back, and a window smaller than
 * Node's readable buffer plus one frame plus a grant batch could leave a sender waiting for a grant no read triggers.
 */
export const MIN_STREAM_WINDOW = INITIAL_STREAM_WINDOW;

export function validateStreamWindow(window: number): number {
  if (!Number.isInteger(window) || window < MIN_STREAM_WINDOW || window > MAX_WINDOW) {
    throw new RangeError(`stream window ${window} is outside ${MIN_STREAM_WINDOW}..${MAX_WINDOW}`);
  }
  return window;
}

/** Grants are batched: a WINDOW frame is sent once at least this much credit can be returned. */
export function grantThreshold(window: number): number {
  return Math.min(Math.floor(window / 4), window - STREAM_READABLE_HIGH_WATER_MARK - MAX_DATA_PAYLOAD);
}

/**
 * How much new credit to grant. `consumed` counts bytes the application has taken out of the stream (pushed to
 * Node and no longer in its readable buffer); `limit` is the total the peer may send so far. The peer may send up
 * to `consumed + window`, so bytes held for the application (ours or Node's buffer) never exceed the window.
 * Returns 0 while the increment is below the batching threshold.
 */
export function receiveGrant(consumed: number, limit: number, window: number): number {
  const increment = consumed + window - limit;
  return increment >= grantThreshold(window) ? increment : 0;
}
