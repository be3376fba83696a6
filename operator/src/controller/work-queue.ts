// A keyed work queue like client-go's: a key is processed by one worker at a time, keys added while being
// processed run again afterwards, failures back off exponentially per key, and delayed adds keep the earliest time.
export interface ReconcileResult {
  /** Look again after this long even if nothing changes (certificate renewal, a missing relay credentials Secret, resync). */
  requeueAfterMs?: number;
}

export interface WorkQueueOptions {
  concurrency?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  onError?: (key: string, error: unknown, retryInMs: number) => void;
}

export class WorkQueue {
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly idleWaiters: (() => void)[] = [];
  private running = 0;
  private stopped = false;

  constructor(
    private readonly handler: (key: string) => Promise<ReconcileResult>,
    private readonly options: WorkQueueOptions = {},
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.ready.push(key);
    this.pump();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Keys waiting or being processed (for metrics and tests). */
  get depth(): number {
    return this.queued.size + this.processing.size;
  }

  /** Stops taking work and resolves when in-flight reconciles have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.ready.length = 0;
    this.queued.clear();
    if (this.running === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private backoff(key: string): number {
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    const base = this.options.baseDelayMs ?? 500;
    return Math.min(base * 2 ** (failures - 1), this.options.maxDelayMs ?? 300_000);
  }

  private pump(): void {
    const concurrency = this.options.concurrency ?? 2;
    while (!this.stopped && this.running < concurrency && this.ready.length > 0) {
      const key = this.ready.shift() as string;
      this.queued.delete(key);
      this.processing.add(key);
      this.running++;
      void this.process(key);
    }
  }

  private async process(key: string): Promise<void> {
    try {
      const result = await this.handler(key);
      this.failures.delete(key);
      if (result.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (error) {
      const retryInMs = this.backoff(key);
      this.options.onError?.(key, error, retryInMs);
      this.addAfter(key, retryInMs);
    } finally {
      this.processing.delete(key);
      this.running--;
      if (this.dirty.delete(key)) this.add(key);
      if (this.running === 0 && this.stopped) for (const resolve of this.idleWaiters.splice(0)) resolve();
      this.pump();
    }
  }
}
