// Outgoing headers for a service-account token: forwarded as the client sent them (Authorization included, no
// impersonation, none of the proxy's credentials) so the apiserver authenticates the token and applies its
// RBAC, including the token's own right to impersonate. Dropped (by endToEndHeaderLines): hop-by-hop headers,
// Host, and the client's forwarding headers (X-Forwarded-For would become the audit event's source IP).
import { endToEndHeaderLines } from './hop-by-hop.js';
import type { HeaderPair, HeaderSource } from './incoming-headers.js';

export function buildPassthroughHeaders(source: HeaderSource): HeaderPair[] {
  return endToEndHeaderLines(source);
}
