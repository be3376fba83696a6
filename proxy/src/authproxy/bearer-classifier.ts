// Decides which path a request takes from its Authorization header alone. The JWT is only peeked at here, not
// verified: a token whose `iss` is a configured issuer goes to the OIDC verifier (and must pass it); any other
// bearer token is the apiserver's to judge (service-account tokens), forwarded unchanged.
import { decodeJwt } from 'jose';
import type { IncomingHeaderSet } from './incoming-headers.js';
import { headerValues } from './incoming-headers.js';

export type BearerClassification =
  | { kind: 'missing' }
  | { kind: 'oidc'; issuer: string; token: string }
  | { kind: 'passthrough'; token: string }
  /** Not something to forward or verify: duplicated, not Bearer, or an empty token. Answer 401. */
  | { kind: 'invalid'; message: string };

/** The `iss` of a compact JWS without verifying it, or undefined when the token is not one. */
export function unverifiedIssuer(token: string): string | undefined {
  if (token.split('.').length !== 3) return undefined;
  try {
    const { iss } = decodeJwt(token);
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

export function classifyBearer(incoming: IncomingHeaderSet, issuers: Iterable<string>): BearerClassification {
  const values = headerValues(incoming, 'authorization');
  if (values.length === 0) return { kind: 'missing' };
  // Node keeps only the first of duplicated Authorization lines; another hop might pick the second.
  if (values.length > 1) return { kind: 'invalid', message: 'more than one Authorization header was sent' };
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(values[0] ?? '');
  if (!match?.[1]) {
    return { kind: 'invalid', message: 'the Authorization header must be "Bearer <token>" (no other scheme is accepted)' };
  }
  const token = match[1];
  const issuer = unverifiedIssuer(token);
  if (issuer !== undefined && new Set(issuers).has(issuer)) return { kind: 'oidc', issuer, token };
  return { kind: 'passthrough', token };
}
