// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded, nor is any header a
// client names in Connection. The names in Connection are the lever of Rancher CVE-2021-31999: listing the
// proxy's own identity headers there made the forwarding step delete them.
import { isForwardingHeader } from './forwarding-headers.js';
import type { HeaderPair, HeaderSource } from './incoming-headers.js';
import { requestHeaders } from './incoming-headers.js';

export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** The Upgrade value (`websocket`, `SPDY/3.1`) when the client asks to switch protocols, as exec and port-forward do. */
export function requestedUpgrade(source: HeaderSource): string | undefined {
  const headers = requestHeaders(source);
  if (!headers.connectionTokens.has('upgrade')) return undefined;
  const protocols = headers.values('upgrade').map((v) => v.trim()).filter((v) => v.length > 0);
  return protocols.length > 0 ? protocols.join(', ') : undefined;
}

/**
 * The client header lines the proxy forwards, on both paths: hop-by-hop headers, headers named in Connection, Host
 * (the upstream request sets its own) and the client's forwarding headers (forwarding-headers.ts) removed, and those
 * whose normalised name (RequestHeaders.normalizedNames) `alsoDrop` picks. For an upgrade request `Connection:
 * Upgrade` and `Upgrade` are put back, as the upstream hop needs them to switch protocols; nothing else a client
 * listed in Connection is.
 */
export function endToEndHeaderLines(source: HeaderSource, alsoDrop?: (normalized: string) => boolean): HeaderPair[] {
  const headers = requestHeaders(source);
  const named = headers.connectionTokens;
  const { lines, lowerNames, normalizedNames } = headers;
  const kept: HeaderPair[] = [];
  lines.forEach((line, i) => {
    const lower = lowerNames[i] ?? '';
    const normalized = normalizedNames[i] ?? '';
    if (HOP_BY_HOP_HEADERS.has(lower) || named.has(lower) || lower === 'host' || isForwardingHeader(normalized)) return;
    if (!alsoDrop?.(normalized)) kept.push(line);
  });
  const upgrade = requestedUpgrade(headers);
  if (upgrade !== undefined) kept.push(['Connection', 'Upgrade'], ['Upgrade', upgrade]);
  return kept;
}
