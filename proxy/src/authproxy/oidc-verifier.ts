// Verifies an OIDC access token (Entra ID or any issuer) and maps it to a Kubernetes identity. Every failure is
// a TokenRejected with a reason code and a message fit for kubectl; the token itself never appears in either.
import { errors, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import type { GroupResolver, VerifiedToken } from './identity.js';
import { identityFromClaims, prefixGroups } from './identity-from-claims.js';
import { createIssuerKeys } from './issuer-keys.js';
import type { KeyResolver } from './issuer-keys.js';
import { resolveOidcConfig } from './oidc-config.js';
import type { OidcVerifierConfig, ResolvedOidcConfig } from './oidc-config.js';
import { createDiscovery } from './oidc-discovery.js';
import { quoteUntrusted, TokenRejected } from './token-rejected.js';
import { unverifiedHeader } from '../common/unverified-jwt.js';

export interface OidcVerifier {
  /** The configured issuer. */
  readonly issuer: string;
  /** Every `iss` this verifier accepts: the configured issuer, and its Entra v1.0 twin when that applies. */
  readonly acceptedIssuers: readonly string[];
  readonly config: ResolvedOidcConfig;
  /** Resolves to the caller's identity or rejects with TokenRejected; never resolves for a bad token. A missing
   *  Authorization header is the caller's to refuse (bearer-classifier.ts): there is always a token here. */
  verify(token: string): Promise<VerifiedToken>;
}

/** RFC 3339 without milliseconds, as Kubernetes prints times: 2026-11-22T10:00:00Z. */
export function formatEpochSeconds(seconds: unknown): string {
  return typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : 'an invalid time';
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function checkAlgorithm(token: string, config: ResolvedOidcConfig): void {
  if (!COMPACT_JWS.test(token)) throw new TokenRejected('malformed', 'token is not a signed JWT (expected three base64url parts)');
  // Read without verifying (jose parses the header again when it verifies): only to refuse an algorithm early.
  const header = unverifiedHeader(token);
  if (!header) throw new TokenRejected('malformed', 'token header is not valid base64url JSON');
  const alg = header.alg;
  // Before any key lookup: "none" and HS* (an HMAC keyed with the issuer's public key) never reach jose.
  if (typeof alg !== 'string' || !(config.algorithms as string[]).includes(alg)) {
    throw new TokenRejected('alg_not_allowed', `token algorithm ${quoteUntrusted(alg, 16)} is not allowed (allowed: ${config.algorithms.join(', ')})`);
  }
}

const API_URI_PREFIX = 'api://';

/**
 * For an Entra token whose `aud` is a configured audience give or take `api://` (the app id vs. its default App ID
 * URI), says which form the token carries and what to configure. v1.0 tokens carry the resource identifier the
 * client asked for (either form); v2.0 tokens always carry the app id. Runs after the signature and `iss` checks
 * (jose checks `iss` before `aud`), so the claims are the issuer's; quoted all the same.
 */
function entraAudienceHint(payload: JWTPayload, config: ResolvedOidcConfig): string {
  if (config.entraTenantId === undefined) return '';
  const carried = (Array.isArray(payload.aud) ? payload.aud : [payload.aud]).filter((a): a is string => typeof a === 'string');
  for (const aud of carried) {
    const configured = config.audiences.find((c) => aud === `${API_URI_PREFIX}${c}` || c === `${API_URI_PREFIX}${aud}`);
    if (configured === undefined) continue;
    const quoted = quoteUntrusted(aud, 120);
    const where = 'the configured audience (--oidc-audience, spec.authProxy.oidc.audience)';
    if (payload.iss === config.issuers[1]) {
      return `: this Entra v1.0 token carries aud ${quoted}, the resource identifier its client asked for, and audiences are compared exactly: ${where} must be exactly ${quoted}, or the client must ask for ${JSON.stringify(configured)}`;
    }
    return `: Entra v2.0 tokens always carry the application id, here ${quoted}, and audiences are compared exactly: ${where} must be exactly ${quoted}`;
  }
  return '';
}

function claimFailure(error: errors.JWTClaimValidationFailed, config: ResolvedOidcConfig): TokenRejected {
  const { claim, reason, payload } = error;
  if (reason === 'missing') return new TokenRejected('missing_claim', `token has no ${quoteUntrusted(claim)} claim`);
  if (reason !== 'check_failed') return new TokenRejected('malformed', `token claim ${quoteUntrusted(claim)} is not valid`);
  switch (claim) {
    case 'nbf':
      return new TokenRejected('not_yet_valid', `token is not valid before ${formatEpochSeconds(payload.nbf)}`);
    case 'iss':
      return new TokenRejected('wrong_issuer', `token issuer ${quoteUntrusted(payload.iss)} is not ${config.issuers.map((i) => JSON.stringify(i)).join(' or ')}`);
    case 'aud':
      return new TokenRejected(
        'wrong_audience',
        `token audience ${quoteUntrusted(payload.aud)} is not ${config.audiences.map((a) => JSON.stringify(a)).join(' or ')}${entraAudienceHint(payload, config)}`,
      );
    default:
      return new TokenRejected('malformed', `token claim ${quoteUntrusted(claim)} failed validation`);
  }
}

function toRejection(error: unknown, config: ResolvedOidcConfig): TokenRejected {
  if (error instanceof TokenRejected) return error;
  if (error instanceof errors.JWTExpired) return new TokenRejected('expired', `token expired at ${formatEpochSeconds(error.payload.exp)}`);
  if (error instanceof errors.JWTClaimValidationFailed) return claimFailure(error, config);
  if (error instanceof errors.JWSSignatureVerificationFailed) return new TokenRejected('bad_signature', 'token signature does not verify with the issuer key it names');
  if (error instanceof errors.JOSEAlgNotAllowed) return new TokenRejected('alg_not_allowed', 'token algorithm is not allowed');
  if (error instanceof errors.JOSEError) return new TokenRejected('malformed', `token is not a valid JWT (${error.code})`);
  return new TokenRejected('malformed', 'token could not be verified');
}

function checkTenant(claims: JWTPayload, config: ResolvedOidcConfig): void {
  // A tenant's Entra issuers, v1.0 and v2.0 alike, sign only for that tenant: a `tid` naming another is refused.
  const entraTenantId = config.entraTenantId;
  if (entraTenantId !== undefined && claims.tid !== entraTenantId) {
    const tid = claims.tid === undefined ? '(none)' : quoteUntrusted(claims.tid);
    throw new TokenRejected('tenant_not_allowed', `token tenant ${tid} is not the tenant of its issuer ${quoteUntrusted(claims.iss)} (${JSON.stringify(entraTenantId)})`);
  }
  if (config.allowedTenants.length === 0) return;
  const tid = claims.tid;
  if (typeof tid !== 'string' || !config.allowedTenants.includes(tid)) {
    throw new TokenRejected('tenant_not_allowed', `token tenant ${tid === undefined ? '(none)' : quoteUntrusted(tid)} is not allowed`);
  }
}

export function createOidcVerifier(input: OidcVerifierConfig): OidcVerifier {
  const config = resolveOidcConfig(input);
  const discover = createDiscovery({
    issuerURL: config.issuerURL,
    fetch: config.fetch,
    timeoutMs: config.httpTimeoutMs,
    failureBackoffMs: config.failureBackoffMs,
    now: config.now,
  });
  let keys: KeyResolver | undefined;

  const keyResolver = async (): Promise<KeyResolver> => {
    if (keys) return keys;
    const { jwksUri } = await discover();
    keys ??= createIssuerKeys({
      issuerURL: config.issuerURL,
      jwksUri,
      fetch: config.fetch,
      cacheMaxAgeMs: config.jwksCacheMaxAgeMs,
      refetchCooldownMs: config.jwksRefetchCooldownMs,
      failureBackoffMs: config.failureBackoffMs,
      timeoutMs: config.httpTimeoutMs,
      now: config.now,
    });
    return keys;
  };

  return {
    issuer: config.issuerURL,
    acceptedIssuers: config.issuers,
    config,
    async verify(token) {
      if (token.length === 0) throw new TokenRejected('missing', 'no bearer token was presented');
      checkAlgorithm(token, config);
      const resolveKey = await keyResolver();
      let claims: JWTPayload;
      try {
        ({ payload: claims } = await jwtVerify(token, resolveKey, {
          issuer: config.issuers,
          audience: config.audiences,
          algorithms: config.algorithms,
          clockTolerance: config.clockSkewSeconds,
          currentDate: config.now(),
          requiredClaims: ['exp'],
        }));
      } catch (error) {
        throw toRejection(error, config);
      }
      checkTenant(claims, config);
      const mapped = identityFromClaims(claims, config);
      return { ...mapped, expiresAt: new Date((claims.exp ?? 0) * 1000) };
    },
  };
}

/**
 * Fills in the groups of a token that overflowed, through the resolver (Microsoft Graph, graph-group-resolver.ts).
 * Resolved groups get the configured prefix, the exact-value rule (identity-value.ts) and the reserved-name check
 * like groups from the token: a name that breaks them refuses the request (401, as such a claim would), never
 * reaches an Impersonate-Group header and is never silently dropped.
 */
export async function completeGroups(verified: VerifiedToken, resolver: GroupResolver, config: Pick<ResolvedOidcConfig, 'groupsPrefix'>, signal?: AbortSignal): Promise<VerifiedToken> {
  if (!verified.groupsOverage) return verified;
  const resolved: unknown[] = await resolver.resolveGroups(verified.groupsOverage, signal);
  const notString = resolved.findIndex((group) => typeof group !== 'string');
  if (notString >= 0) {
    const value = resolved[notString];
    throw new TokenRejected('unsafe_identity', `Microsoft Graph returned a group that is ${value === null ? 'null' : `a ${typeof value}`}, not a string`);
  }
  const groups = prefixGroups(resolved as string[], config, 'Microsoft Graph returned group');
  return { identity: { ...verified.identity, groups }, principalType: verified.principalType, expiresAt: verified.expiresAt };
}
