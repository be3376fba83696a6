// The proxy's Prometheus metrics. Labels are small fixed sets (status code, auth mode, reason, cache hit or miss),
// never a user. The metrics every request touches do not go through prom-client per request: prom-client validates
// and hashes the labels on each inc()/observe() (labels() binds them, it caches nothing), which cost more than the
// rest of the per-request bookkeeping. Requests add to plain numbers and latencies to a plain array; both move
// into the prom-client metrics when they are scraped (and the array also when it gets long), so what a scrape
// reads is the same.
import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { AuthMode, RefusalReason } from './authenticate.js';
import type { TokenCacheLookup } from './verified-token-cache.js';

export interface AuthProxyMetrics {
  request(code: number, mode: AuthMode, upgrade: boolean): void;
  refused(reason: RefusalReason): void;
  /** Seconds from sending upstream to the apiserver's response head. */
  upstreamLatency(mode: AuthMode, seconds: number): void;
  groupResolution(result: 'ok' | 'error'): void;
  /** One lookup in the verified-token cache (OIDC requests only, while the cache is on). */
  tokenCacheLookup(result: TokenCacheLookup): void;
}

/** Latencies kept before they are handed to prom-client anyway, so memory stays bounded between scrapes. */
const MAX_PENDING_LATENCIES = 4096;

interface PendingRequests {
  labels: { code: string; auth_mode: AuthMode; upgrade: 'yes' | 'no' };
  count: number;
}

export function createAuthProxyMetrics(registry: Registry): AuthProxyMetrics {
  const pendingRequests = new Map<string, PendingRequests>();
  new Counter({
    name: 'clusterconnect_authproxy_requests_total',
    help: 'Requests handled, by HTTP status, authentication mode (oidc, passthrough, none) and whether they were upgrades',
    labelNames: ['code', 'auth_mode', 'upgrade'] as const,
    registers: [registry],
    collect() {
      for (const pending of pendingRequests.values()) {
        if (pending.count === 0) continue;
        this.inc(pending.labels, pending.count);
        pending.count = 0;
      }
    },
  });
  const failures = new Counter({
    name: 'clusterconnect_authproxy_token_validation_failures_total',
    help: 'Requests refused before reaching the apiserver, by reason (expired, wrong_audience, unknown_kid, impersonation_refused, …)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const pendingLatencies = new Map<AuthMode, number[]>();
  const flushLatencies = (histogram: Histogram<'auth_mode'>) => {
    for (const [mode, seconds] of pendingLatencies) {
      const labels = { auth_mode: mode };
      for (const value of seconds) histogram.observe(labels, value);
      seconds.length = 0;
    }
  };
  const latency: Histogram<'auth_mode'> = new Histogram({
    name: 'clusterconnect_authproxy_upstream_latency_seconds',
    help: 'Time from forwarding a request to the apiserver until its response head arrived',
    labelNames: ['auth_mode'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
    collect() {
      flushLatencies(this);
    },
  });
  const groups = new Counter({
    name: 'clusterconnect_authproxy_group_resolutions_total',
    help: 'Microsoft Graph group look-ups for tokens with group overage (cache misses only), by result',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  // Per request like the request count, so plain numbers too, moved into the counter when scraped.
  const pendingLookups: Record<TokenCacheLookup, number> = { hit: 0, miss: 0 };
  new Counter({
    name: 'clusterconnect_authproxy_token_cache_lookups_total',
    help: 'OIDC tokens answered from the verified-token cache (hit) or verified (miss); refused tokens are never cached',
    labelNames: ['result'] as const,
    registers: [registry],
    collect() {
      for (const result of ['hit', 'miss'] as const) {
        // Always touched, so both series exist from the first scrape (a rate of hits needs its zero).
        this.inc({ result }, pendingLookups[result]);
        pendingLookups[result] = 0;
      }
    },
  });
  return {
    request(code, mode, upgrade) {
      const key = `${code} ${mode} ${upgrade ? 'yes' : 'no'}`;
      const pending = pendingRequests.get(key);
      if (pending) pending.count++;
      else pendingRequests.set(key, { labels: { code: String(code), auth_mode: mode, upgrade: upgrade ? 'yes' : 'no' }, count: 1 });
    },
    refused: (reason) => failures.inc({ reason }),
    upstreamLatency(mode, seconds) {
      let pending = pendingLatencies.get(mode);
      if (!pending) pendingLatencies.set(mode, (pending = []));
      pending.push(seconds);
      if (pending.length >= MAX_PENDING_LATENCIES) flushLatencies(latency);
    },
    groupResolution: (result) => groups.inc({ result }),
    tokenCacheLookup(result) {
      pendingLookups[result]++;
    },
  };
}
