// Keeps the relay credential fresh for a long-running proxy: shortly before the token behind the current session
// expires, get a newer one and have the session re-dialed with it (new streams move to the new session, open
// ones finish on the old). The listener is never closed. Failures are logged and retried; the session in use
// keeps serving meanwhile.
import type { Logger } from '../common/logger.js';
import type { RelayCredential, RelayToken } from './relay-credential.js';

export interface RenewalTiming {
  /** When to start asking for a newer token, in ms from now. */
  firstCheckMs: number;
  /** How often to ask again until one arrives. */
  retryMs: number;
}

/**
 * A fifth of the token's remaining life (at most 5 min, as `az connectedk8s proxy` renews within 300 s) before
 * expiry, asking again every fiftieth (0.1–15 s) until the issuer hands out a newer token: login caches
 * refresh only near expiry, so an early ask may get the same token back.
 */
export function renewalTiming(expiresOn: Date, now: number): RenewalTiming {
  const remaining = Math.max(0, expiresOn.getTime() - now);
  const margin = Math.min(remaining / 5, 300_000);
  return { firstCheckMs: Math.max(0, remaining - margin), retryMs: Math.min(15_000, Math.max(100, remaining / 50)) };
}

export interface CredentialRenewalOptions {
  credential: RelayCredential;
  /** The token the current session was dialed with. */
  initial: RelayToken;
  /** Dial a new session (it reads credential.current() itself) and switch new streams to it. */
  renew: () => Promise<void>;
  logger: Logger;
  now?: () => number;
}

export interface CredentialRenewal {
  stop(): void;
  /** Renewals done so far (for tests and logs). */
  readonly count: number;
}

export function startCredentialRenewal(options: CredentialRenewalOptions): CredentialRenewal {
  const now = options.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let count = 0;
  let warnedExpired = false;
  let current = options.initial;

  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => void check(), delayMs);
    timer.unref();
  };

  const check = async () => {
    const expiresOn = current.expiresOn;
    if (stopped || !expiresOn) return;
    const { retryMs } = renewalTiming(expiresOn, now());
    try {
      const next = await options.credential.current();
      if (!next.expiresOn || next.expiresOn.getTime() <= expiresOn.getTime()) {
        if (now() >= expiresOn.getTime() && !warnedExpired) {
          warnedExpired = true;
          // Open sessions keep working; only a reconnect would need a valid token.
          options.logger.warn('the relay credential has expired and no newer one is available; open connections continue, a reconnect will fail until it is renewed', { credential: options.credential.describe });
        }
        return schedule(Math.max(retryMs, now() >= expiresOn.getTime() ? 5_000 : 0));
      }
      await options.renew();
      if (stopped) return;
      current = next;
      count++;
      warnedExpired = false;
      options.logger.info('relay credential renewed; new connections use a new relay session', { credential: options.credential.describe, expiresOn: next.expiresOn.toISOString() });
      schedule(renewalTiming(next.expiresOn, now()).firstCheckMs);
    } catch (error) {
      options.logger.warn('could not renew the relay credential; will retry', { credential: options.credential.describe, reason: (error as Error).message });
      schedule(Math.max(retryMs, 1_000));
    }
  };

  if (current.expiresOn) schedule(renewalTiming(current.expiresOn, now()).firstCheckMs);
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    get count() {
      return count;
    },
  };
}
