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

/** How many Authorization values the classifier remembers; when full it starts afresh (bounded-memo.ts). */
const REMEMBERED_VALUES = 256;

const MISSING: BearerClassification = Object.freeze({ kind: 'missing' });
// Node keeps only the first of duplicated Authorization lines; another hop might pick the second.
const DUPLICATED: BearerClassification = Object.freeze({ kind: 'invalid', message: 'more than one Authorization header was sent' });
const NOT_BEARER: BearerClassification = Object.freeze({ kind: 'invalid', message: 'the Authorization header must be "Bearer <token>" (no other scheme is accepted)' });

/** What one Authorization value is: a pure function of the value and the (fixed) issuers, frozen because every request
 *  sending that value gets the same object. The `iss` is peeked at without verifying anything (unverified-jwt.ts). */
function classifyValue(value: string, issuers: IssuerSet): BearerClassification {
  const token = BEARER.exec(value)?.[1];
  if (!token) return NOT_BEARER;
  const iss = unverifiedClaims(token)?.iss;
  if (typeof iss === 'string' && issuers.has(iss)) return Object.freeze({ kind: 'oidc', issuer: iss, token });
  return Object.freeze({ kind: 'passthrough', token });
}

export type BearerClassifier = (source: HeaderSource) => BearerClassification;

/**
 * Classifies requests for a fixed set of issuers, remembering the answer for up to 256 recent Authorization values
 * (emptied when full): a client sends the same token on every request, and peeking into it (base64url, JSON) cost
 * more than the rest of the decision on the passthrough path. The memo holds those values as its keys and their
 * tokens in its answers (docs/decisions.md 7).
 */
export function createBearerClassifier(issuers: IssuerSet): BearerClassifier {
  const memo = new BoundedMemo<BearerClassification>((value) => classifyValue(value, issuers), REMEMBERED_VALUES);
  return (source) => {
    const values = requestHeaders(source).values('authorization');
    if (values.length === 0) return MISSING;
    if (values.length > 1) return DUPLICATED;
    return memo.get(values[0] ?? '');
  };
}
