// Successful OIDC verifications, remembered for a short time: kubectl sends the same bearer token on every request
// for the token's lifetime, and verifying it (signature and claims) was about a third of the proxy's CPU per OIDC
// request. kube-apiserver does the same in front of its own token authenticators (success TTL 10 s, failures not
// cached). An entry ends at the earlier of TTL after its verification and the token's own `exp` (never the clock
// skew past it), so the cache never accepts a token verification would refuse as expired. What it does delay: a
// key removed from the issuer's JWKS, or a config change at the issuer, is noticed up to one TTL later than
// without it (docs/decisions.md 7). Only successes are stored; a refused token is verified again next time. Keys
// are HMACs of issuer and token (token-cache-key.ts): no token is a key here or kept in an entry.
import type { VerifiedToken } from './identity.js';
import { createTokenCacheKey } from './token-cache-key.js';
import type { TokenCacheKey } from './token-cache-key.js';

export const DEFAULT_TOKEN_CACHE_TTL_MS = 10_000;
/** Longer buys almost nothing (a kubectl session sends requests seconds apart) and delays noticing key removal. */
const MAX_TOKEN_CACHE_TTL_MS = 60_000;
/** Past this many tokens verified within one TTL the oldest entry goes; each holds a key and the caller's identity. */
const DEFAULT_TOKEN_CACHE_ENTRIES = 4096;

export type TokenCacheLookup = 'hit' | 'miss';

export interface VerifiedTokenCacheOptions {
  /** 0 turns the cache off (VerifiedTokenCache.create gives none); at most MAX_TOKEN_CACHE_TTL_MS. */
  ttlMs: number;
  maxEntries?: number;
  /** Told of every lookup, for metrics. */
  onLookup?: (result: TokenCacheLookup) => void;
}

interface Entry {
  verified: VerifiedToken;
  /** When it was verified, and when it stops counting: min(verifiedAt + TTL, exp). Epoch ms. */
  verifiedAt: number;
  expiresAt: number;
}

/** Shared answers must not be changed by one request for the next: frozen, so a stray write throws instead. */
function frozen(verified: VerifiedToken): VerifiedToken {
  const { identity } = verified;
  Object.freeze(identity.groups);
  for (const values of Object.values(identity.extra)) Object.freeze(values);
  Object.freeze(identity.extra);
  Object.freeze(identity);
  if (verified.groupsOverage) Object.freeze(verified.groupsOverage);
  return Object.freeze(verified);
}

export class VerifiedTokenCache {
  readonly ttlMs: number;
  readonly keyFor: TokenCacheKey = createTokenCacheKey();
  private readonly maxEntries: number;
  private readonly onLookup: ((result: TokenCacheLookup) => void) | undefined;
  /** Insertion order is verification order, so the first entry is the oldest. */
  private readonly entries = new Map<string, Entry>();

  /**
   * The cache for `options.ttlMs`, or undefined for 0: the cache is off and every request is verified (the only
   * place that decides it). Throws on a TTL it cannot honour.
   */
  static create(options: VerifiedTokenCacheOptions): VerifiedTokenCache | undefined {
    if (!(Number.isFinite(options.ttlMs) && options.ttlMs >= 0 && options.ttlMs <= MAX_TOKEN_CACHE_TTL_MS)) {
      throw new Error(`the verified-token cache TTL must be between 0 and ${MAX_TOKEN_CACHE_TTL_MS / 1000} seconds, got ${options.ttlMs} ms`);
    }
    return options.ttlMs === 0 ? undefined : new VerifiedTokenCache(options);
  }

  private constructor(options: VerifiedTokenCacheOptions) {
    this.ttlMs = options.ttlMs;
    this.maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_TOKEN_CACHE_ENTRIES);
    this.onLookup = options.onLookup;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The verification of `key` if it still holds at `now`; counts a hit or a miss. */
  get(key: string, now: number): VerifiedToken | undefined {
    const entry = this.entries.get(key);
    // A clock set back before the verification is a miss too: the entry's age cannot be trusted then.
    if (entry && now >= entry.verifiedAt && now < entry.expiresAt) {
      this.onLookup?.('hit');
      return entry.verified;
    }
    if (entry) this.entries.delete(key);
    this.onLookup?.('miss');
    return undefined;
  }

  /** Remembers a successful verification made at `verifiedAt` (read before verifying, so a slow key fetch does not
   *  stretch the TTL). Nothing is stored when the token has no time left. */
  set(key: string, verified: VerifiedToken, verifiedAt: number, now = verifiedAt): void {
    const expiresAt = Math.min(verifiedAt + this.ttlMs, verified.expiresAt.getTime());
    if (!(expiresAt > now)) return; // also NaN: an exp that is not a number is never trusted from memory
    this.entries.delete(key);
    this.dropExpired(now);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { verified: frozen(verified), verifiedAt, expiresAt });
  }

  /**
   * Expired entries at the front (the oldest verified) go, up to the first one still valid: the map holds about
   * what was verified within one TTL, not its bound. An entry that ends early at its token's `exp` may sit behind a
   * valid one until it reaches the front, is looked up (a miss that removes it), or is the oldest when the map is full.
   */
  private dropExpired(now: number): void {
    for (const [key, entry] of this.entries) {
      if (now < entry.expiresAt) return;
      this.entries.delete(key);
    }
  }
}
