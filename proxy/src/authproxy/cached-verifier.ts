// An OIDC verifier that answers a token it verified moments ago from the verified-token cache instead of checking
// the signature and claims again. Everything after verification (impersonation check, Graph group overage, identity
// headers, audit line, metrics) still runs per request: only what verify() resolves to is reused.
import type { OidcVerifier } from './oidc-verifier.js';
import type { VerifiedTokenCache } from './verified-token-cache.js';

export function withVerifiedTokenCache(verifier: OidcVerifier, cache: VerifiedTokenCache): OidcVerifier {
  if (!cache.enabled) return verifier;
  // The verifier's clock (injectable in tests), so an entry expires exactly when verification would refuse the token.
  const now = () => verifier.config.now().getTime();
  return {
    issuer: verifier.issuer,
    acceptedIssuers: verifier.acceptedIssuers,
    config: verifier.config,
    async verify(token) {
      if (token === undefined || token.length === 0) return verifier.verify(token);
      // Keyed by the configured issuer too: each verifier has its own audiences and claim rules.
      const key = cache.keyFor(verifier.issuer, token);
      const startedAt = now();
      const known = cache.get(key, startedAt);
      if (known) return known;
      const verified = await verifier.verify(token); // a refusal throws here and is never stored
      cache.set(key, verified, startedAt, now());
      return verified;
    },
  };
}
