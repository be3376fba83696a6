// Settings of one trusted OIDC issuer, with the defaults that match Entra ID and the checks that keep a
// misconfiguration from weakening verification (symmetric or unsigned algorithms are never accepted).
import { entraTenantIssuers } from './entra-issuer.js';
import type { FetchLike } from './https-fetch.js';
import { extraHeaderNames } from './impersonation-headers.js';
import { extraKeyFlaw, quoteIdentityValue } from './identity-value.js';
import type { ExtraHeaderNames } from './impersonation-headers.js';

export type AsymmetricAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA' | 'Ed25519';

export interface OidcVerifierConfig {
  /** Exactly the `iss` of the tokens, e.g. `https://login.microsoftonline.com/<tenant>/v2.0`. */
  issuerURL: string;
  /**
   * When issuerURL is one tenant's Entra v2.0 issuer, also accept that tenant's v1.0 access tokens
   * (`iss` https://sts.windows.net/<tenant>/, entra-issuer.ts) with the same keys and checks, and require `tid` to
   * be that tenant for both. Default false; kube-aad-proxy turns it on (start.ts).
   */
  entraV1Tokens?: boolean;
  /** Accepted `aud` values; for Entra the server application's id or its `api://…` URI. */
  audience: string | string[];
  /** Claim that becomes the Kubernetes username; default `oid` (Entra object id, what RBAC bindings name). */
  usernameClaim?: string;
  usernamePrefix?: string;
  groupsClaim?: string;
  groupsPrefix?: string;
  /** Claim copied to Impersonate-Uid; none by default. */
  uidClaim?: string;
  /** Impersonate-Extra key → claim name; default `{ 'clusterconnect.io/tid': 'tid' }` (Entra tenant; Kubernetes wants
   *  extra keys domain-prefixed and lower-case). */
  extraClaims?: Record<string, string>;
  /** Entra tenant ids (`tid`) allowed; empty or absent allows any tenant the issuer signs for. */
  allowedTenants?: string[];
  algorithms?: AsymmetricAlgorithm[];
  clockSkewSeconds?: number;
  /** Injectable for private CAs and tests; defaults to global fetch (Node's CA store). */
  fetch?: FetchLike;
  /** How long discovery and keys are trusted before a refetch, and the minimum gap between refetches. */
  jwksCacheMaxAgeMs?: number;
  jwksRefetchCooldownMs?: number;
  /** After a failed discovery or JWKS fetch, requests fail fast (503) for this long instead of hammering the issuer. */
  failureBackoffMs?: number;
  httpTimeoutMs?: number;
  /** Clock for tests. */
  now?: () => Date;
}

export type ResolvedOidcConfig = Required<Omit<OidcVerifierConfig, 'audience' | 'uidClaim' | 'fetch' | 'entraV1Tokens'>> & {
  audiences: string[];
  /** Every `iss` accepted: issuerURL first, then its Entra v1.0 twin (issuers[1]) when entraTenantId is set. */
  issuers: string[];
  /** Set when issuerURL is one tenant's Entra v2.0 issuer and entraV1Tokens is on: every token's `tid` must equal it. */
  entraTenantId?: string;
  uidClaim?: string;
  fetch: FetchLike;
  /** The Impersonate-Extra-* header name of each extraClaims key, escaped once here rather than per request. */
  extraHeaderNames: ExtraHeaderNames;
};

export const DEFAULT_ALGORITHMS: AsymmetricAlgorithm[] = ['RS256', 'ES256', 'PS256'];
const ASYMMETRIC = new Set<string>(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);
const MAX_CLOCK_SKEW_SECONDS = 300;

/**
 * A prefix is checked once here, so a misconfigured one stops the proxy at start instead of refusing every
 * token: it may not begin with whitespace, nor hold what extraKeyFlaw refuses (identity-value.ts).
 */
function checkPrefix(flag: string, prefix: string): void {
  const flaw = prefix.length === 0 ? undefined : /^\s/u.test(prefix) ? 'begins with whitespace' : extraKeyFlaw(prefix);
  if (flaw !== undefined) throw new Error(`OIDC ${flag} ${quoteIdentityValue(prefix)} ${flaw}, so names built with it would not reach the apiserver as checked: change the prefix`);
}

/** Extra keys as the apiserver reads them (lower-case): each usable, and no two the same once lower-cased. */
function checkExtraKeys(keys: string[]): void {
  const seen = new Set<string>();
  for (const key of keys) {
    const lower = key.toLowerCase();
    const flaw = extraKeyFlaw(lower);
    if (flaw !== undefined) throw new Error(`OIDC extra key ${quoteIdentityValue(key)} ${flaw}`);
    if (seen.has(lower)) throw new Error(`OIDC extra keys name ${quoteIdentityValue(lower)} twice (keys are lower-cased, as the apiserver reads them)`);
    seen.add(lower);
  }
}

/** Applies defaults and throws on settings that would make verification unsafe. */
export function resolveOidcConfig(config: OidcVerifierConfig): ResolvedOidcConfig {
  const issuer = new URL(config.issuerURL);
  if (issuer.protocol !== 'https:') throw new Error(`OIDC issuer must be an https URL, got ${config.issuerURL}`);
  const audiences = (Array.isArray(config.audience) ? config.audience : [config.audience]).filter((a) => a.length > 0);
  if (audiences.length === 0) throw new Error('OIDC audience must be configured: without it any token of the issuer would be accepted');
  const algorithms = config.algorithms ?? DEFAULT_ALGORITHMS;
  if (algorithms.length === 0) throw new Error('OIDC algorithms allow-list is empty');
  // Checked at run time too: the type does not stop a config file from saying "none" or "HS256".
  for (const alg of algorithms as string[]) {
    if (!ASYMMETRIC.has(alg)) throw new Error(`OIDC algorithm ${alg} is not allowed: only asymmetric signatures (RS*, PS*, ES*, EdDSA) are`);
  }
  const clockSkewSeconds = config.clockSkewSeconds ?? 60;
  if (!(clockSkewSeconds >= 0 && clockSkewSeconds <= MAX_CLOCK_SKEW_SECONDS)) {
    throw new Error(`OIDC clock skew must be between 0 and ${MAX_CLOCK_SKEW_SECONDS} seconds`);
  }
  const entra = config.entraV1Tokens ? entraTenantIssuers(config.issuerURL) : undefined;
  const extraClaims = config.extraClaims ?? { 'clusterconnect.io/tid': 'tid' };
  checkExtraKeys(Object.keys(extraClaims));
  checkPrefix('username prefix', config.usernamePrefix ?? '');
  checkPrefix('groups prefix', config.groupsPrefix ?? '');
  return {
    issuerURL: config.issuerURL,
    issuers: entra ? [config.issuerURL, entra.v1] : [config.issuerURL],
    ...(entra ? { entraTenantId: entra.tenantId } : {}),
    audiences,
    usernameClaim: config.usernameClaim ?? 'oid',
    usernamePrefix: config.usernamePrefix ?? '',
    groupsClaim: config.groupsClaim ?? 'groups',
    groupsPrefix: config.groupsPrefix ?? '',
    uidClaim: config.uidClaim,
    extraClaims,
    extraHeaderNames: extraHeaderNames(Object.keys(extraClaims)),
    allowedTenants: config.allowedTenants ?? [],
    algorithms,
    clockSkewSeconds,
    fetch: config.fetch ?? ((url, init) => fetch(url, init)),
    jwksCacheMaxAgeMs: config.jwksCacheMaxAgeMs ?? 10 * 60_000,
    jwksRefetchCooldownMs: config.jwksRefetchCooldownMs ?? 30_000,
    failureBackoffMs: config.failureBackoffMs ?? 5_000,
    httpTimeoutMs: config.httpTimeoutMs ?? 5_000,
    now: config.now ?? (() => new Date()),
  };
}
