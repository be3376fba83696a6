// The proxy's Prometheus metrics. Labels are small fixed sets (status code, auth mode, reason), never a user.
import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { AuthMode, RefusalReason } from './authenticate.js';

export interface AuthProxyMetrics {
  request(code: number, mode: AuthMode, upgrade: boolean): void;
  refused(reason: RefusalReason): void;
  /** Seconds from sending upstream to the apiserver's response head. */
  upstreamLatency(mode: AuthMode, seconds: number): void;
  groupResolution(result: 'ok' | 'error'): void;
}

export function createAuthProxyMetrics(registry: Registry): AuthProxyMetrics {
  const requests = new Counter({
    name: 'clusterconnect_authproxy_requests_total',
    help: 'Requests handled, by HTTP status, authentication mode (oidc, passthrough, none) and whether they were upgrades',
    labelNames: ['code', 'auth_mode', 'upgrade'] as const,
    registers: [registry],
  });
  const failures = new Counter({
    name: 'clusterconnect_authproxy_token_validation_failures_total',
    help: 'Requests refused before reaching the apiserver, by reason (expired, wrong_audience, unknown_kid, impersonation_refused, …)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'clusterconnect_authproxy_upstream_latency_seconds',
    help: 'Time from forwarding a request to the apiserver until its response head arrived',
    labelNames: ['auth_mode'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const groups = new Counter({
    name: 'clusterconnect_authproxy_group_resolutions_total',
    help: 'Microsoft Graph group look-ups for tokens with group overage (cache misses only), by result',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  return {
    request: (code, mode, upgrade) => requests.inc({ code: String(code), auth_mode: mode, upgrade: upgrade ? 'yes' : 'no' }),
    refused: (reason) => failures.inc({ reason }),
    upstreamLatency: (mode, seconds) => latency.observe({ auth_mode: mode }, seconds),
    groupResolution: (result) => groups.inc({ result }),
  };
}
