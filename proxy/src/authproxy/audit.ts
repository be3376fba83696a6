// One JSON line per request: who, what, outcome, how long. Built from the validated identity and the request
// line only — never a header value, so no token can reach the log (and no client X-Forwarded-For either).
import type { Logger } from '../common/logger.js';
import type { AuthMode } from './authenticate.js';
import type { KubernetesIdentity } from './identity.js';
import { requestVerb } from './request-verb.js';

export interface AuditRecord {
  method: string;
  url: string;
  status: number;
  /** Date.now() when the request arrived. */
  startedAt: number;
  mode: AuthMode;
  upgrade: boolean;
  identity?: KubernetesIdentity;
  /** The socket's peer address (never a client-supplied forwarding header). */
  remoteAddress?: string;
  /** Why it was refused, when it was. */
  reason?: string;
}

export function writeAudit(logger: Logger, record: AuditRecord): void {
  const path = record.url.split('?')[0] ?? '';
  logger.info('request', {
    audit: true,
    time: new Date(record.startedAt).toISOString(),
    // Passthrough callers are authenticated by the apiserver: their name is in its audit log, not known here.
    user: record.identity?.username ?? (record.mode === 'passthrough' ? '(service-account token, authenticated by the apiserver)' : '(unauthenticated)'),
    groups: record.identity?.groups ?? [],
    verb: requestVerb(record.method, record.url),
    method: record.method,
    path: path.length > 2048 ? `${path.slice(0, 2048)}…` : path,
    status: record.status,
    durationMs: Date.now() - record.startedAt,
    upgrade: record.upgrade ? 'yes' : 'no',
    authMode: record.mode,
    remote: record.remoteAddress,
    ...(record.reason ? { reason: record.reason } : {}),
  });
}
