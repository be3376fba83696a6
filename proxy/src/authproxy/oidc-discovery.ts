// The issuer's discovery document (only `issuer` and `jwks_uri` matter here), fetched once and kept; a failed
// fetch is remembered for a short back-off so an unreachable issuer costs one request, not one per API call.
import type { FetchLike } from './https-fetch.js';
import { quoteUntrusted, TokenRejected } from './token-rejected.js';

export interface DiscoveredIssuer {
  issuer: string;
  jwksUri: URL;
}

export interface DiscoveryOptions {
  issuerURL: string;
  fetch: FetchLike;
  timeoutMs: number;
  failureBackoffMs: number;
  now: () => Date;
}

export function discoveryUrl(issuerURL: string): string {
  return `${issuerURL.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

async function fetchDiscovery(options: DiscoveryOptions): Promise<DiscoveredIssuer> {
  const url = discoveryUrl(options.issuerURL);
  const response = await options.fetch(url, {
    method: 'GET',
    headers: { accept: 'application/json' },
    redirect: 'manual',
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  if (response.status !== 200) throw new Error(`discovery document ${url} answered HTTP ${response.status}`);
  const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
  // OpenID Connect Discovery §4.3: the document's issuer must be exactly the one configured, or tokens
  // signed by another issuer's keys could be accepted under our issuer's name.
  if (document.issuer !== options.issuerURL) {
    throw new Error(`discovery document names issuer ${quoteUntrusted(document.issuer)}, expected ${JSON.stringify(options.issuerURL)}`);
  }
  if (typeof document.jwks_uri !== 'string') throw new Error('discovery document has no jwks_uri');
  const jwksUri = new URL(document.jwks_uri);
  if (jwksUri.protocol !== 'https:') throw new Error(`jwks_uri ${quoteUntrusted(document.jwks_uri)} is not https`);
  return { issuer: document.issuer, jwksUri };
}

/** Returns a function that resolves the issuer's metadata, or throws TokenRejected('issuer_unreachable'). */
export function createDiscovery(options: DiscoveryOptions): () => Promise<DiscoveredIssuer> {
  let discovered: DiscoveredIssuer | undefined;
  let pending: Promise<DiscoveredIssuer> | undefined;
  let lastFailure: { at: number; message: string } | undefined;

  return async () => {
    if (discovered) return discovered;
    const now = options.now().getTime();
    if (lastFailure && now - lastFailure.at < options.failureBackoffMs) {
      throw new TokenRejected('issuer_unreachable', `OIDC issuer ${options.issuerURL} is unreachable: ${lastFailure.message}`);
    }
    pending ??= fetchDiscovery(options).finally(() => {
      pending = undefined;
    });
    try {
      discovered = await pending;
      lastFailure = undefined;
      return discovered;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      lastFailure = { at: options.now().getTime(), message };
      throw new TokenRejected('issuer_unreachable', `OIDC issuer ${options.issuerURL} is unreachable: ${message}`);
    }
  };
}
