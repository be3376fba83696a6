// Outgoing headers for an OIDC-authenticated request: the client's identity headers are removed (all of them,
// by prefix, so Impersonate-Uid and every Impersonate-Extra-* go too), then the identity from the validated
// token is set — after hop-by-hop removal, so nothing the client lists in Connection can delete it.
import { hasControlCharacter } from './control-characters.js';
import { isForwardingHeader } from './forwarding-headers.js';
import { endToEndHeaderLines } from './hop-by-hop.js';
import type { KubernetesIdentity } from './identity.js';
import type { HeaderPair, HeaderSource } from './incoming-headers.js';
import { requestHeaders } from './incoming-headers.js';
import { BoundedMemo } from './bounded-memo.js';

export const IMPERSONATE_PREFIX = 'impersonate-';

/** Identity-bearing headers a client must never get through: Kubernetes impersonation, front-proxy, forwarding. */
const CLIENT_IDENTITY_PREFIXES = [IMPERSONATE_PREFIX, 'x-remote-'];

/** Lower-cased, with `_` read as `-`: some servers treat Impersonate_User like Impersonate-User. */
function normalizedName(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

export function isClientIdentityHeader(name: string): boolean {
  const normalized = normalizedName(name);
  return normalized === 'authorization' || CLIENT_IDENTITY_PREFIXES.some((prefix) => normalized.startsWith(prefix)) || isForwardingHeader(normalized);
}

function isImpersonationName(name: string): boolean {
  return normalizedName(name).startsWith(IMPERSONATE_PREFIX);
}

/**
 * The first Impersonate-* header the client sent, or named in Connection, if any: such an OIDC request is
 * refused with 403 (acting as someone else would need a SubjectAccessReview of the caller first).
 */
export function findImpersonationAttempt(source: HeaderSource): string | undefined {
  const headers = requestHeaders(source);
  for (const name of headers.names) if (isImpersonationName(name)) return name;
  for (const token of headers.connectionTokens) if (isImpersonationName(token)) return `connection: ${token}`;
  return undefined;
}

export function mustRefuseImpersonation(source: HeaderSource): boolean {
  return findImpersonationAttempt(source) !== undefined;
}

const HEADER_TOKEN_CHAR = /^[A-Za-z0-9!#$&'*+\-.^_`|~]$/;

/**
 * Kubernetes' escaping of Impersonate-Extra-<key> (client-go headerKeyEscape): bytes that are not legal in a
 * header name, and `%` itself, become %XX of their UTF-8 bytes; the apiserver lower-cases and unescapes. Keys
 * are lower-cased first so what the apiserver sees is exactly the key.
 */
export function encodeExtraKey(key: string): string {
  return encodedExtraKeys.get(key);
}

// Extra keys come from the proxy's configuration (a handful), yet are escaped byte by byte for every request.
const encodedExtraKeys = new BoundedMemo(escapeExtraKey, 64);

function escapeExtraKey(key: string): string {
  let encoded = '';
  for (const byte of Buffer.from(key.toLowerCase(), 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += byte < 0x80 && HEADER_TOKEN_CHAR.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Node writes header strings as latin1; sending the UTF-8 bytes that way lets non-ASCII names reach the apiserver intact. */
export function toHeaderValue(value: string): string {
  if (PRINTABLE_ASCII.test(value)) return value; // the common case: latin1 of its UTF-8 bytes is itself
  if (hasControlCharacter(value)) throw new Error('identity value contains a control character and cannot be sent as a header');
  return Buffer.from(value, 'utf8').toString('latin1');
}

/** The impersonation headers for an identity, in a stable order. */
export function identityHeaderLines(identity: KubernetesIdentity): HeaderPair[] {
  const lines: HeaderPair[] = [['Impersonate-User', toHeaderValue(identity.username)]];
  if (identity.uid !== undefined) lines.push(['Impersonate-Uid', toHeaderValue(identity.uid)]);
  for (const group of identity.groups) lines.push(['Impersonate-Group', toHeaderValue(group)]);
  for (const [key, values] of Object.entries(identity.extra)) {
    for (const value of values) lines.push([`Impersonate-Extra-${encodeExtraKey(key)}`, toHeaderValue(value)]);
  }
  return lines;
}

/**
 * Outgoing headers for an OIDC request: end-to-end client headers minus Authorization, Impersonate-*, X-Remote-*,
 * X-Forwarded-*, Forwarded and X-Real-IP, then the identity headers (`identityLines`, when the caller already has
 * them). The proxy adds its own credentials later.
 */
export function buildImpersonatedHeaders(source: HeaderSource, identity: KubernetesIdentity, identityLines = identityHeaderLines(identity)): HeaderPair[] {
  const kept = endToEndHeaderLines(source).filter(([name]) => !isClientIdentityHeader(name));
  kept.push(...identityLines);
  return kept;
}
