// Decides which path a request takes from its Authorization header alone. The JWT is only peeked at here, not
// verified: a token whose `iss` is an accepted issuer (a configured one, or the Entra v1.0 twin of a configured
// tenant v2.0 issuer) goes to the OIDC verifier (and must pass it); any other bearer token is the apiserver's to
// judge (service-account tokens), forwarded unchanged.
import { unverifiedClaims } from '../common/unverified-jwt.js';
import { BoundedMemo } from './bounded-memo.js';
import type { HeaderSource } from './incoming-headers.js';
import { requestHeaders } from './incoming-headers.js';

export type BearerClassification =
  | { kind: 'missing' }
  | { kind: 'oidc'; issuer: string; token: string }
  | { kind: 'passthrough'; token: string }
  /** Not something to forward or verify: duplicated, not Bearer, or an empty token. Answer 401. */
  | { kind: 'invalid'; message: string };

/** The configured issuers; a Set or the verifiers' Map, built once rather than per request. */
export interface IssuerSet {
  has(issuer: string): boolean;
}

/**
 * Which verifier each accepted `iss` goes to: every issuer a verifier accepts (a tenant's Entra v2.0 issuer brings
 * its v1.0 twin, entra-issuer.ts), so a v1.0 token is verified rather than passed through. An issuer configured
 * for a verifier of its own wins over another's twin of it (the first twin otherwise); a later duplicate of a
 * configured issuer wins, as before twins existed.
 */
export function routeByIssuer<V extends { readonly issuer: string; readonly acceptedIssuers: readonly string[] }>(verifiers: readonly V[]): Map<string, V> {
  const routes = new Map<string, V>();
  for (const verifier of verifiers) {
    for (const issuer of verifier.acceptedIssuers) if (issuer !== verifier.issuer && !routes.has(issuer)) routes.set(issuer, verifier);
  }
  for (const verifier of verifiers) routes.set(verifier.issuer, verifier);
  return routes;
}

const BEARER = /^\s*bearer\s+(\S+)\s*$/i;

/** The `iss` of a compact JWS without verifying it, or undefined when the token is not one; no claim is trusted here. */
export function unverifiedIssuer(token: string): string | undefined {
  const iss = unverifiedClaims(token)?.iss;
  return typeof iss === 'string' ? iss : undefined;
}

/** What one Authorization value is; a pure function of the value and the (fixed) issuers. */
function classifyValue(value: string, issuers: IssuerSet): BearerClassification {
  const match = BEARER.exec(value);
  if (!match?.[1]) {
    return { kind: 'invalid', message: 'the Authorization header must be "Bearer <token>" (no other scheme is accepted)' };
  }
  const token = match[1];
  const issuer = unverifiedIssuer(token);
  if (issuer !== undefined && issuers.has(issuer)) return { kind: 'oidc', issuer, token };
  return { kind: 'passthrough', token };
}

function classifyWith(source: HeaderSource, classify: (value: string) => BearerClassification): BearerClassification {
  const values = requestHeaders(source).values('authorization');
  if (values.length === 0) return { kind: 'missing' };
  // Node keeps only the first of duplicated Authorization lines; another hop might pick the second.
  if (values.length > 1) return { kind: 'invalid', message: 'more than one Authorization header was sent' };
  return classify(values[0] ?? '');
}

export function classifyBearer(source: HeaderSource, issuers: IssuerSet): BearerClassification {
  return classifyWith(source, (value) => classifyValue(value, issuers));
}

export type BearerClassifier = (source: HeaderSource) => BearerClassification;

/**
 * classifyBearer for a fixed set of issuers, remembering the answer per Authorization value: a client sends the
 * same token on every request, and peeking into it (base64url, JSON) cost more than the rest of the decision on
 * the passthrough path. The answer depends on nothing but the value, so a remembered one is the same answer.
 */
export function createBearerClassifier(issuers: IssuerSet, maxEntries = 256): BearerClassifier {
  const memo = new BoundedMemo((value: string) => classifyValue(value, issuers), maxEntries);
  const remembered = (value: string) => memo.get(value);
  return (source) => classifyWith(source, remembered);
}
