// Copies the apiserver's response body to the client as it arrives, pausing the source while the client is
// behind. What pipe() does for this one case, without its per-response bookkeeping (listeners added on both
// streams, a 'pipe' event, an unpipe and their removal at the end), which cost more than the rest of the
// response path. Errors and an early close are the caller's: it destroys one side when the other goes.
import type { Readable, Writable } from 'node:stream';

export function relayBody(from: Readable, to: Writable): void {
  from.on('data', (chunk: Buffer) => {
    if (!to.write(chunk)) from.pause();
  });
  to.on('drain', () => from.resume());
  from.on('end', () => to.end());
}
