// The last step before a request leaves: Host for the apiserver, the proxy's own credentials on the OIDC path
// (after every check, so nothing can strip or duplicate them).
import type { AuthDecision } from './authenticate.js';
import type { HeaderPair, IncomingHeaderSet } from './incoming-headers.js';
import { headerValues } from './incoming-headers.js';
import type { ProxyCredentials } from './upstream.js';

export function finalHeaderLines(
  decision: Extract<AuthDecision, { kind: 'forward' }>,
  incoming: IncomingHeaderSet,
  upstreamHost: string,
  credentials: ProxyCredentials,
): HeaderPair[] {
  const lines: HeaderPair[] = [['Host', upstreamHost], ...decision.headers];
  // Transfer-Encoding is hop-by-hop and was removed; a chunked body must still be framed as one upstream.
  const chunked = headerValues(incoming, 'transfer-encoding').some((v) => /chunked/i.test(v));
  if (chunked && headerValues(incoming, 'content-length').length === 0) lines.push(['Transfer-Encoding', 'chunked']);
  if (decision.mode === 'oidc' && credentials.bearerToken) lines.push(['Authorization', `Bearer ${credentials.bearerToken}`]);
  return lines;
}

/** Flat [name, value, …] as Node's request options and rawHeaders use, which keeps repeated lines apart. */
export function flatten(lines: readonly HeaderPair[]): string[] {
  return lines.flatMap(([name, value]) => [name, value]);
}
