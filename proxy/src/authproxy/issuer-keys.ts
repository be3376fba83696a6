// The issuer's signing keys: jose's remote JWKS (cached, refetched on an unknown kid no more often than the
// cooldown) plus what jose leaves out: a failed fetch backs off instead of being retried on every request, and
// while the issuer is down the last keys seen keep verifying (as go-oidc in the apiserver does). In kube-aad-proxy
// (cached-verifier.ts) successful verifications are reused for up to 10 s, as kube-apiserver does, so there a key
// removed from the issuer's JWKS is noticed at most that much later than a refetch here shows it; never past a
// token's exp. The relay shares this module and does not cache its verifications.
import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors } from 'jose';
import type { CryptoKey, FlattenedJWSInput, JWSHeaderParameters } from 'jose';
import type { FetchLike } from './https-fetch.js';
import { quoteUntrusted, TokenRejected } from './token-rejected.js';

export type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

export interface IssuerKeysOptions {
  issuerURL: string;
  jwksUri: URL;
  fetch: FetchLike;
  cacheMaxAgeMs: number;
  refetchCooldownMs: number;
  failureBackoffMs: number;
  timeoutMs: number;
  now: () => Date;
}

function unknownKid(header: JWSHeaderParameters): TokenRejected {
  const kid = header.kid === undefined ? 'no kid' : `kid ${quoteUntrusted(header.kid, 64)}`;
  return new TokenRejected('unknown_kid', `token is signed with a key the issuer does not publish (${kid})`);
}

export function createIssuerKeys(options: IssuerKeysOptions): KeyResolver {
  const remote = createRemoteJWKSet(options.jwksUri, {
    cacheMaxAge: options.cacheMaxAgeMs,
    cooldownDuration: options.refetchCooldownMs,
    timeoutDuration: options.timeoutMs,
    [customFetch]: options.fetch,
  });
  let lastFailure: { at: number; message: string } | undefined;

  const unreachable = (message: string) =>
    new TokenRejected('issuer_unreachable', `signing keys of OIDC issuer ${options.issuerURL} could not be fetched: ${message}`);

  // Keys from the last successful fetch, used only while fetching fails.
  const fromLastKnownKeys = async (header: JWSHeaderParameters, token: FlattenedJWSInput, failure: string): Promise<CryptoKey> => {
    const known = remote.jwks();
    if (!known) throw unreachable(failure);
    try {
      return await createLocalJWKSet(known)(header, token);
    } catch (error) {
      // The key may be new at the issuer: we cannot tell while it is down, so this is a 503, not a 401.
      if (error instanceof errors.JWKSNoMatchingKey) throw unreachable(failure);
      throw error;
    }
  };

  return async (header, token) => {
    const now = options.now().getTime();
    if (lastFailure && now - lastFailure.at < options.failureBackoffMs) {
      return fromLastKnownKeys(header, token, lastFailure.message);
    }
    try {
      const key = await remote(header, token);
      lastFailure = undefined;
      return key;
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) throw unknownKid(header);
      if (error instanceof errors.JWKSMultipleMatchingKeys) throw unknownKid(header);
      if (error instanceof errors.JOSENotSupported) throw error;
      const message = error instanceof Error ? error.message : String(error);
      lastFailure = { at: options.now().getTime(), message };
      return fromLastKnownKeys(header, token, message);
    }
  };
}
