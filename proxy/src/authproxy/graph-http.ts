// Whom kube-aad-proxy trusts on its way to Microsoft Graph. Graph is public by default, so --graph-ca-file is added to
// Node's default roots, never substituted for them, for Graph and the token authority. A token authority on the
// issuer's origin (the default) is the issuer itself: given --oidc-ca-file it trusts exactly what the issuer's
// discovery and JWKS fetch do, through that fetch's own TrustingAgent (auth-proxy-command.ts). The issuer's CA never
// vouches for Graph. Nothing here builds a TLS context: each is built on its first request (https-fetch.ts), and one
// trust is one context and one pool.
import { defaultRootsPlus } from '../common/ca-trust.js';
import type { GraphGroupsConfig } from './config.js';
import { createHttpsFetch, TrustingAgent } from './https-fetch.js';
import type { FetchLike } from './https-fetch.js';

const globalFetch: FetchLike = (url, init) => globalThis.fetch(url, init);

export interface GraphHttp {
  /** For Graph's getMemberObjects: the default roots, plus `ca`. */
  graphFetch: FetchLike;
  /** For the authority's discovery document: authorityTrust's, or the default roots without one. */
  authorityFetch: FetchLike;
  /** The issuer's trust when the authority is on its origin, Graph's otherwise; shared with the authority's msal
   *  network client. Undefined, with no CA file at all, keeps msal's own client. */
  authorityTrust?: TrustingAgent;
}

export function graphHttp(graph: Pick<GraphGroupsConfig, 'ca' | 'issuerTrust'>): GraphHttp {
  const graphTrust = graph.ca !== undefined ? new TrustingAgent(defaultRootsPlus(graph.ca)) : undefined;
  const graphFetch = graphTrust ? createHttpsFetch({ trust: graphTrust }) : globalFetch;
  // Either agent as it is, never a second one built from the same bundle.
  const authorityTrust = graph.issuerTrust ?? graphTrust;
  if (!authorityTrust) return { graphFetch, authorityFetch: globalFetch };
  return { graphFetch, authorityFetch: authorityTrust === graphTrust ? graphFetch : createHttpsFetch({ trust: authorityTrust }), authorityTrust };
}
