// Exponential backoff with jitter for reconnect loops. Jitter keeps a fleet of agents from reconnecting in lock
// step after a relay restart; the cap bounds how long a recovered relay waits for its agents.

export interface BackoffOptions {
  /** First delay (default 250 ms: a relay that restarts quickly gets its agents back at once). */
  initialMs?: number;
  /** Upper bound of any delay (default 30 s). */
  maxMs?: number;
  factor?: number;
  /** Random source in [0, 1), injectable for tests. */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 250;
    this.maxMs = options.maxMs ?? 30_000;
    this.factor = options.factor ?? 2;
    this.random = options.random ?? Math.random;
    if (!(this.initialMs > 0 && this.maxMs >= this.initialMs && this.factor >= 1)) throw new RangeError('backoff needs 0 < initialMs <= maxMs and factor >= 1');
  }

  /**
   * The delay before the next attempt: "equal jitter", half fixed and half random, so delays still grow
   * (unlike full jitter, which may retry at once) but attempts spread out.
   */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * this.factor ** Math.min(this.attempt, 60));
    this.attempt++;
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  /** After a connection that worked, start again from the shortest delay. */
  reset(): void {
    this.attempt = 0;
  }

}
