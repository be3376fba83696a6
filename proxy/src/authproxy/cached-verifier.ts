// An OIDC verifier that answers a token it verified moments ago from the verified-token cache instead of checking
// the signature and claims again. Everything after verification (impersonation check, Graph group overage, identity
// headers, audit line, metrics) still runs per request: only what verify() resolves to is reused.
import type { VerifiedToken } from './identity.js';
import type { OidcVerifier } from './oidc-verifier.js';
import type { VerifiedTokenCache } from './verified-token-cache.js';

export function withVerifiedTokenCache(verifier: OidcVerifier, cache: VerifiedTokenCache): OidcVerifier {
  // The verifier's clock (injectable in tests), so an entry expires exactly when verification would refuse the token.
  const now = () => verifier.config.now().getTime();
  // Verifications under way, by cache key: requests with the same token that miss the cache meanwhile wait for the
  // one running instead of each verifying it (kube-apiserver's token cache shares them the same way, singleflight).
  // An entry goes when its verification settles; a refusal reaches every waiter and is not kept.
  const inFlight = new Map<string, Promise<VerifiedToken>>();
  return {
    issuer: verifier.issuer,
    acceptedIssuers: verifier.acceptedIssuers,
    config: verifier.config,
    async verify(token) {
      // Keyed by the configured issuer too: each verifier has its own audiences and claim rules.
      const key = cache.keyFor(verifier.issuer, token);
      const startedAt = now();
      const known = cache.get(key, startedAt);
      if (known) return known;
      const running = inFlight.get(key);
      if (running) return running;
      const verification = verifier.verify(token).then(
        (verified) => {
          inFlight.delete(key);
          cache.set(key, verified, startedAt, now());
          return verified;
        },
        (error: unknown) => {
          inFlight.delete(key); // a refusal is never stored: the next request verifies again
          throw error;
        },
      );
      inFlight.set(key, verification);
      return verification;
    },
  };
}
