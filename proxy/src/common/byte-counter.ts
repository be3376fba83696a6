// A Prometheus byte counter for hot paths (every DATA frame, every socket chunk). prom-client hashes and validates
// the labels on each inc() — labels() only binds them, it does not cache anything — so counting each frame through
// it cost more than the rest of the bookkeeping. Here a frame adds to a plain number, and the totals move into the
// Counter when it is scraped.
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

export interface ByteCounter<Direction extends string> {
  add(direction: Direction, bytes: number): void;
}

export function createByteCounter<Direction extends string>(options: { name: string; help: string; directions: readonly Direction[]; registry: Registry }): ByteCounter<Direction> {
  const pending = new Map<Direction, number>(options.directions.map((direction) => [direction, 0]));
  new Counter({
    name: options.name,
    help: options.help,
    labelNames: ['direction'],
    registers: [options.registry],
    collect() {
      for (const [direction, bytes] of pending) {
        if (bytes === 0) continue;
        this.inc({ direction }, bytes);
        pending.set(direction, 0);
      }
    },
  });
  return { add: (direction, bytes) => void pending.set(direction, (pending.get(direction) ?? 0) + bytes) };
}
