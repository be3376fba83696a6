// Retries a relay call while the relay is unreachable (or its load balancer says 502/503/504), with backoff,
// telling the user about each retry; any other answer (unknown cluster, 401, …) is final at once.
import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff } from '../common/backoff.js';
import { RelayApiError } from './relay-api.js';

export interface RetryOptions {
  /** Stop retrying once this much time has passed since the first attempt. */
  maxWaitMs: number;
  backoff?: Backoff;
  /** Called before each wait with the failure and the delay (the CLI prints it on stderr). */
  onRetry?: (error: RelayApiError, delayMs: number, attempt: number) => void;
  signal?: AbortSignal;
  now?: () => number;
}

export async function withRelayRetries<T>(call: () => Promise<T>, options: RetryOptions): Promise<T> {
  const now = options.now ?? Date.now;
  const backoff = options.backoff ?? new Backoff({ initialMs: 500, maxMs: 8_000 });
  const started = now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof RelayApiError) || !error.retryable) throw error;
      const delay = backoff.next();
      if (now() + delay - started > options.maxWaitMs) {
        throw new RelayApiError(`${error.message} (gave up after ${attempt} attempts in ${Math.round((now() - started) / 1000)} s)`, error.failure, error.status);
      }
      options.onRetry?.(error, delay, attempt);
      await sleep(delay, undefined, options.signal ? { signal: options.signal } : {});
    }
  }
}
