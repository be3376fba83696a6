// A Prometheus byte counter for hot paths (every DATA frame, every socket chunk). prom-client hashes and validates
// the labels on each inc() — labels() only binds them, it does not cache anything — so counting each frame through
// it cost more than the rest of the bookkeeping. Here a frame adds to its direction's slot in a Float64Array (no
// hashing, no allocation: a plain number over 2^31 would be boxed on each add), and the totals move into the
// Counter when it is scraped.
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

export interface ByteCounter<Direction extends string> {
  /** A plain function, not a method: it may be passed on as it is. */
  readonly add: (direction: Direction, bytes: number) => void;
}

export function createByteCounter<Direction extends string>(options: { name: string; help: string; directions: readonly Direction[]; registry: Registry }): ByteCounter<Direction> {
  const directions = [...options.directions];
  /** Bytes not yet moved into the Counter, one slot per direction, in the order of `directions`. */
  const pending = new Float64Array(directions.length);
  new Counter({
    name: options.name,
    help: options.help,
    labelNames: ['direction'],
    registers: [options.registry],
    collect() {
      directions.forEach((direction, slot) => {
        const bytes = pending[slot] ?? 0;
        if (bytes === 0) return;
        this.inc({ direction }, bytes);
        pending[slot] = 0;
      });
    },
  });
  return {
    // A search of two or three interned strings is a few pointer comparisons.
    add: (direction, bytes) => {
      const slot = directions.indexOf(direction);
      pending[slot] = (pending[slot] ?? 0) + bytes;
    },
  };
}
