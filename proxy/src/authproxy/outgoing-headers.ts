// The last step before a request leaves: Host for the apiserver, the proxy's own credentials on the OIDC path
// (after every check, so nothing can strip or duplicate them).
import type { AuthDecision } from './authenticate.js';
import type { HeaderPair, HeaderSource } from './incoming-headers.js';
import { requestHeaders } from './incoming-headers.js';
import type { ProxyCredentials } from './upstream.js';

const CHUNKED = /chunked/i;

export function finalHeaderLines(
  decision: Extract<AuthDecision, { kind: 'forward' }>,
  source: HeaderSource,
  upstreamHost: string,
  credentials: ProxyCredentials,
): HeaderPair[] {
  const incoming = requestHeaders(source);
  const lines: HeaderPair[] = [['Host', upstreamHost], ...decision.headers];
  // Transfer-Encoding is hop-by-hop and was removed; a chunked body must still be framed as one upstream.
  const chunked = incoming.values('transfer-encoding').some((v) => CHUNKED.test(v));
  if (chunked && incoming.values('content-length').length === 0) lines.push(['Transfer-Encoding', 'chunked']);
  if (decision.mode === 'oidc' && credentials.bearerToken) lines.push(['Authorization', `Bearer ${credentials.bearerToken}`]);
  return lines;
}

/** Flat [name, value, …] as Node's request options and rawHeaders use, which keeps repeated lines apart. */
export function flatten(lines: readonly HeaderPair[]): string[] {
  const flat: string[] = [];
  for (const [name, value] of lines) flat.push(name, value);
  return flat;
}
