// Outgoing headers for an OIDC-authenticated request: the client's identity headers are removed (all of them,
// by prefix, so Impersonate-Uid and every Impersonate-Extra-* go too), then the identity from the validated
// token is set — after hop-by-hop removal, so nothing the client lists in Connection can delete it.
import { isForwardingHeader } from './forwarding-headers.js';
import { endToEndHeaderLines } from './hop-by-hop.js';
import type { KubernetesIdentity } from './identity.js';
import { extraKeyFlaw, identityValueFlaw, quoteIdentityValue } from './identity-value.js';
import type { HeaderPair, HeaderSource } from './incoming-headers.js';
import { normalizedHeaderName, requestHeaders } from './incoming-headers.js';

export const IMPERSONATE_PREFIX = 'impersonate-';

/** Credential headers a client must never get through on the OIDC path: Kubernetes impersonation, front-proxy. */
const CLIENT_IDENTITY_PREFIXES = [IMPERSONATE_PREFIX, 'x-remote-'];

/** Authorization, Impersonate-*, X-Remote-*; `normalized` as normalizedHeaderName gives it. */
function isClientCredential(normalized: string): boolean {
  return normalized === 'authorization' || CLIENT_IDENTITY_PREFIXES.some((prefix) => normalized.startsWith(prefix));
}

/**
 * Any identity-bearing header of the client: its credentials, and the forwarding headers too. For the last check
 * before an OIDC request leaves (identity-header-assertion.ts); the rewrite never meets a forwarding header, as
 * endToEndHeaderLines has dropped them.
 */
export function isClientIdentityHeader(name: string): boolean {
  const normalized = normalizedHeaderName(name);
  return isClientCredential(normalized) || isForwardingHeader(normalized);
}

/**
 * The first Impersonate-* header the client sent, or named in Connection, if any: such an OIDC request is
 * refused with 403 (acting as someone else would need a SubjectAccessReview of the caller first).
 */
export function findImpersonationAttempt(source: HeaderSource): string | undefined {
  const headers = requestHeaders(source);
  for (const name of headers.names) if (normalizedHeaderName(name).startsWith(IMPERSONATE_PREFIX)) return name;
  for (const token of headers.connectionTokens) if (normalizedHeaderName(token).startsWith(IMPERSONATE_PREFIX)) return `connection: ${token}`;
  return undefined;
}

const HEADER_TOKEN_CHAR = /^[A-Za-z0-9!#$&'*+\-.^_`|~]$/;

/**
 * Impersonate-Extra-<key> with Kubernetes' escaping of the key (client-go headerKeyEscape): bytes that are not
 * legal in a header name, and `%` itself, become %XX of their UTF-8 bytes; the apiserver lower-cases and
 * unescapes. Keys are lower-cased first so what the apiserver sees is exactly the key.
 */
function extraHeaderName(key: string): string {
  const flaw = extraKeyFlaw(key);
  if (flaw !== undefined) throw new Error(`extra key ${quoteIdentityValue(key)} ${flaw}`);
  let encoded = '';
  for (const byte of Buffer.from(key.toLowerCase(), 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += byte < 0x80 && HEADER_TOKEN_CHAR.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return `Impersonate-Extra-${encoded}`;
}

/** Lower-case extra key → its header name: the keys are fixed configuration, so escaped once (oidc-config.ts). */
export type ExtraHeaderNames = ReadonlyMap<string, string>;

export function extraHeaderNames(keys: Iterable<string>): ExtraHeaderNames {
  const names = new Map<string, string>();
  for (const key of keys) names.set(key.toLowerCase(), extraHeaderName(key));
  return names;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * The header value for an identity value. Node writes header strings as latin1, so non-ASCII names go as the
 * latin1 of their UTF-8 bytes and reach the apiserver intact. Throws for a value the apiserver would read
 * differently: identity mapping refuses those first, with the claim named; this is the backstop every path meets.
 */
export function toHeaderValue(value: string): string {
  const flaw = identityValueFlaw(value);
  if (flaw !== undefined) throw new Error(`identity value ${quoteIdentityValue(value)} ${flaw}: not sent`);
  if (PRINTABLE_ASCII.test(value)) return value; // the common case: latin1 of its UTF-8 bytes is itself
  return Buffer.from(value, 'utf8').toString('latin1');
}

/** The impersonation headers for an identity, in a stable order; `extraNames` are its verifier's (a key that is
 *  not among them is escaped here). */
export function identityHeaderLines(identity: KubernetesIdentity, extraNames?: ExtraHeaderNames): HeaderPair[] {
  const lines: HeaderPair[] = [['Impersonate-User', toHeaderValue(identity.username)]];
  if (identity.uid !== undefined) lines.push(['Impersonate-Uid', toHeaderValue(identity.uid)]);
  for (const group of identity.groups) lines.push(['Impersonate-Group', toHeaderValue(group)]);
  for (const [key, values] of Object.entries(identity.extra)) {
    const name = extraNames?.get(key) ?? extraHeaderName(key);
    for (const value of values) lines.push([name, toHeaderValue(value)]);
  }
  return lines;
}

/**
 * Outgoing headers for an OIDC request: end-to-end client headers (forwarding headers already gone) minus
 * Authorization, Impersonate-* and X-Remote-*, then the identity headers (`identityLines`, when the caller already
 * has them). The proxy adds its own credentials later.
 */
export function buildImpersonatedHeaders(source: HeaderSource, identity: KubernetesIdentity, identityLines = identityHeaderLines(identity)): HeaderPair[] {
  const kept = endToEndHeaderLines(source, isClientCredential);
  kept.push(...identityLines);
  return kept;
}
