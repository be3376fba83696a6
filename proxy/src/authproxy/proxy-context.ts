// What the request and upgrade handlers share, and the small helpers both use to answer and to finish.
import type { Logger } from '../common/logger.js';
import type { AuthDecision, Authenticator, AuthMode } from './authenticate.js';
import { writeAudit } from './audit.js';
import type { KubernetesIdentity } from './identity.js';
import type { AuthProxyMetrics } from './metrics.js';
import type { UpstreamTarget } from './upstream.js';
import type { UpstreamConnections } from './upstream-connections.js';

export interface ProxyContext {
  authenticator: Authenticator;
  upstream: UpstreamTarget;
  connections: UpstreamConnections;
  metrics: AuthProxyMetrics;
  logger: Logger;
}

/** What one request's audit line and metrics need, filled in as it goes. */
export interface Exchange {
  method: string;
  url: string;
  startedAt: number;
  upgrade: boolean;
  remoteAddress: string | undefined;
  mode: AuthMode;
  identity?: KubernetesIdentity;
  reason?: string;
  status: number;
  finished: boolean;
}

export function newExchange(method: string | undefined, url: string | undefined, upgrade: boolean, remoteAddress: string | undefined): Exchange {
  return { method: method ?? 'GET', url: url ?? '/', startedAt: Date.now(), upgrade, remoteAddress, mode: 'none', status: 0, finished: false };
}

export function noteDecision(ctx: ProxyContext, exchange: Exchange, decision: AuthDecision): void {
  exchange.mode = decision.mode;
  if (decision.kind === 'forward' && decision.mode === 'oidc') exchange.identity = decision.identity;
  if (decision.kind === 'refuse') {
    exchange.identity = decision.identity;
    exchange.reason = decision.reason;
    ctx.metrics.refused(decision.reason);
  }
}

/** Writes the audit line and counts the request, once. */
export function finish(ctx: ProxyContext, exchange: Exchange, status: number): void {
  if (exchange.finished) return;
  exchange.finished = true;
  exchange.status = status;
  ctx.metrics.request(status, exchange.mode, exchange.upgrade);
  writeAudit(ctx.logger, exchange); // an Exchange is an AuditRecord with more fields; writeAudit picks its own
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
