// Maps the claims of a verified token to the Kubernetes identity the proxy will impersonate. Runs only after
// the signature, issuer, audience and lifetime checks, so every claim read here is the issuer's word.
import type { JWTPayload } from 'jose';
import type { GroupOverage, KubernetesIdentity, PrincipalType } from './identity.js';
import { isUsableIdentityValue } from './control-characters.js';
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
  if (!isUsableIdentityValue(claims.oid)) throw new TokenRejected('missing_claim', 'token signals group overage but has no usable "oid" claim to resolve groups for');
  return {
    objectId: claims.oid,
    ...(isUsableIdentityValue(claims.tid) ? { tenantId: claims.tid } : {}),
    principalType,
    ...(isUsableIdentityValue(endpoint) ? { claimSourceEndpoint: endpoint } : {}),
  };
}

function stringList(claims: JWTPayload, claim: string): string[] {
  const value = claims[claim];
  if (value === undefined) return [];
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (!list.every(isUsableIdentityValue)) throw new TokenRejected('missing_claim', `token claim ${quoteUntrusted(claim)} must be a string or a list of strings`);
  return [...new Set(list)];
}

/** Kubernetes reserves `system:` for its own users and groups; an issuer granting one is an escalation. */
function refuseReserved(kind: 'username' | 'group', name: string): void {
  if (name.toLowerCase().startsWith(RESERVED_PREFIX)) {
    throw new TokenRejected('reserved_name', `token maps to ${kind} ${quoteUntrusted(name)}, which is reserved for Kubernetes itself`);
  }
}

/** Exported for the resolver path: overage groups get the same prefix and reserved-name check as claimed ones. */
export function prefixGroups(groups: string[], config: Pick<ResolvedOidcConfig, 'groupsPrefix'>): string[] {
  const prefixed = [...new Set(groups)].map((group) => `${config.groupsPrefix}${group}`);
  prefixed.forEach((group) => refuseReserved('group', group));
  return prefixed;
}

export function identityFromClaims(claims: JWTPayload, config: ResolvedOidcConfig): MappedClaims {
  const rawUsername = claims[config.usernameClaim];
  if (!isUsableIdentityValue(rawUsername)) {
    throw new TokenRejected('missing_claim', `token has no usable ${quoteUntrusted(config.usernameClaim)} claim for the username`);
  }
  requireVerifiedEmail(claims, config.usernameClaim);
  const username = `${config.usernamePrefix}${rawUsername}`;
  refuseReserved('username', username);

  const principalType = principalTypeOf(claims);
  const groupsOverage = groupsOverageOf(claims, config.groupsClaim, principalType);
  const groups = groupsOverage ? [] : prefixGroups(stringList(claims, config.groupsClaim), config);

  const extra: Record<string, string[]> = {};
  for (const [key, claim] of Object.entries(config.extraClaims)) {
    const values = stringList(claims, claim);
    if (values.length > 0) extra[key.toLowerCase()] = values;
  }

  const identity: KubernetesIdentity = { username, groups, extra };
  if (config.uidClaim !== undefined) {
    const uid = claims[config.uidClaim];
    if (!isUsableIdentityValue(uid)) throw new TokenRejected('missing_claim', `token has no usable ${quoteUntrusted(config.uidClaim)} claim for the uid`);
    identity.uid = uid;
  }
  return { identity, principalType, ...(groupsOverage ? { groupsOverage } : {}) };
}
