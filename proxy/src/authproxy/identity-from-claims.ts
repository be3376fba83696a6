// Maps the claims of a verified token to the Kubernetes identity the proxy will impersonate. Runs only after
// the signature, issuer, audience and lifetime checks, so every claim read here is the issuer's word.
import type { JWTPayload } from 'jose';
import type { GroupOverage, KubernetesIdentity, PrincipalType } from './identity.js';
import { identityValueFlaw, isExactIdentityValue, quoteIdentityValue } from './identity-value.js';
import { requireVerifiedEmail } from './email-verified.js';
import type { ResolvedOidcConfig } from './oidc-config.js';
import { quoteUntrusted, TokenRejected } from './token-rejected.js';

export interface MappedClaims {
  identity: KubernetesIdentity;
  principalType: PrincipalType;
  groupsOverage?: GroupOverage;
}

const RESERVED_PREFIX = 'system:';

/** Entra app-only tokens say `idtyp: app` (optional claim) and never carry delegated scopes (`scp`). */
export function principalTypeOf(claims: JWTPayload): PrincipalType {
  if (claims.idtyp === 'app') return 'servicePrincipal';
  if (claims.idtyp === 'user') return 'user';
  return claims.scp === undefined ? 'servicePrincipal' : 'user';
}

function groupsOverageOf(claims: JWTPayload, groupsClaim: string, principalType: PrincipalType): GroupOverage | undefined {
  const names = claims._claim_names as Record<string, unknown> | undefined;
  const sourceName = typeof names === 'object' && names !== null ? names[groupsClaim] : undefined;
  if (sourceName === undefined && claims.hasgroups !== true) return undefined;
  const sources = claims._claim_sources as Record<string, { endpoint?: unknown } | undefined> | undefined;
  const endpoint = typeof sourceName === 'string' && typeof sources === 'object' && sources !== null ? sources[sourceName]?.endpoint : undefined;
  if (!isExactIdentityValue(claims.oid)) throw new TokenRejected('missing_claim', 'token signals group overage but has no usable "oid" claim to resolve groups for');
  return {
    objectId: claims.oid,
    ...(isExactIdentityValue(claims.tid) ? { tenantId: claims.tid } : {}),
    principalType,
    ...(isExactIdentityValue(endpoint) ? { claimSourceEndpoint: endpoint } : {}),
  };
}

type IdentityKind = 'username' | 'uid' | 'group' | 'extra value';

/** Where a value came from, as a refusal names it: `token claim "groups" holds`, `Microsoft Graph returned group`. */
function fromClaim(claim: string): string {
  return `token claim ${quoteUntrusted(claim)} holds`;
}

/**
 * `sent` (the value after any prefix) if the apiserver will read exactly it, else a refusal naming where the value
 * came from, the value and its flaw. The reserved-name check then runs on this same string.
 */
function exactValue(origin: string, raw: string, sent: string, kind: IdentityKind): string {
  const flaw = identityValueFlaw(sent);
  if (flaw === undefined) return sent;
  const as = raw === sent ? '' : `as ${kind} ${quoteIdentityValue(sent)} `;
  throw new TokenRejected('unsafe_identity', `${origin} ${quoteIdentityValue(raw)}, which ${as}${flaw}`);
}

function stringList(claims: JWTPayload, claim: string): string[] {
  const value = claims[claim];
  if (value === undefined) return [];
  const list: unknown[] = Array.isArray(value) ? value : [value];
  const strings = list.filter((item) => typeof item === 'string');
  if (strings.length !== list.length) throw new TokenRejected('missing_claim', `token claim ${quoteUntrusted(claim)} must be a string or a list of strings`);
  return [...new Set(strings)];
}

/** Kubernetes reserves `system:` for its own users and groups; an issuer granting one is an escalation. Case is
 *  ignored, stricter than the apiserver, so `System:masters` cannot pass for it in an audit log either. */
function refuseReserved(kind: IdentityKind, name: string): void {
  if (name.toLowerCase().startsWith(RESERVED_PREFIX)) {
    throw new TokenRejected('reserved_name', `token maps to ${kind} ${quoteIdentityValue(name)}, which is reserved for Kubernetes itself`);
  }
}

/** Prefixed, exact and unreserved groups, from the token's groups claim or from Graph (`origin`, as fromClaim gives). */
export function prefixGroups(groups: string[], config: Pick<ResolvedOidcConfig, 'groupsPrefix'>, origin: string): string[] {
  const prefixed = [...new Set(groups)].map((group) => exactValue(origin, group, `${config.groupsPrefix}${group}`, 'group'));
  prefixed.forEach((group) => refuseReserved('group', group));
  return prefixed;
}

export function identityFromClaims(claims: JWTPayload, config: ResolvedOidcConfig): MappedClaims {
  const rawUsername = claims[config.usernameClaim];
  if (typeof rawUsername !== 'string' || rawUsername.length === 0) {
    throw new TokenRejected('missing_claim', `token has no usable ${quoteUntrusted(config.usernameClaim)} claim for the username`);
  }
  requireVerifiedEmail(claims, config.usernameClaim);
  const username = exactValue(fromClaim(config.usernameClaim), rawUsername, `${config.usernamePrefix}${rawUsername}`, 'username');
  refuseReserved('username', username);

  const principalType = principalTypeOf(claims);
  const groupsOverage = groupsOverageOf(claims, config.groupsClaim, principalType);
  const groups = groupsOverage ? [] : prefixGroups(stringList(claims, config.groupsClaim), config, fromClaim(config.groupsClaim));

  const extra: Record<string, string[]> = {};
  for (const [key, claim] of Object.entries(config.extraClaims)) {
    const values = stringList(claims, claim).map((value) => exactValue(fromClaim(claim), value, value, 'extra value'));
    if (values.length > 0) extra[key.toLowerCase()] = values;
  }

  const identity: KubernetesIdentity = { username, groups, extra };
  if (config.uidClaim !== undefined) {
    const uid = claims[config.uidClaim];
    if (typeof uid !== 'string' || uid.length === 0) throw new TokenRejected('missing_claim', `token has no usable ${quoteUntrusted(config.uidClaim)} claim for the uid`);
    identity.uid = exactValue(fromClaim(config.uidClaim), uid, uid, 'uid');
  }
  return { identity, principalType, ...(groupsOverage ? { groupsOverage } : {}) };
}
