// Whom kube-aad-proxy trusts on its way to Microsoft Graph. Every CA bundle is added to Node's default roots, never
// substituted for them, and each goes only where it belongs: --graph-ca-file to the token authority and Graph,
// the issuer's --oidc-ca-file to the token authority alone (when it is on the issuer's host; see the CLI). So a
// private issuer cannot cut the proxy off from the public Graph, and its CA is never asked to vouch for Graph.
// Nothing here builds a TLS context: each is built on its first request (https-fetch.ts), and one trust is one context.
import { defaultRootsPlus } from '../common/ca-trust.js';
import type { GraphGroupsConfig } from './config.js';
import { createHttpsFetch, TrustingAgent } from './https-fetch.js';
import type { FetchLike } from './https-fetch.js';

const globalFetch: FetchLike = (url, init) => globalThis.fetch(url, init);

/** Node's default roots plus the given bundle; plain global fetch (the default roots) without one. */
export function fetchTrusting(extraCa: string | Buffer | undefined): FetchLike {
  if (extraCa === undefined || extraCa.length === 0) return globalFetch;
  return createHttpsFetch({ ca: defaultRootsPlus(extraCa) });
}

export interface GraphHttp {
  /** For Graph's getMemberObjects: default roots plus `ca`. */
  graphFetch: FetchLike;
  /** For the authority's discovery document: default roots plus `ca` and `authorityCa`. */
  authorityFetch: FetchLike;
  /** authorityFetch's trust, for the authority's msal network client (one TLS context for both); undefined, with no
   *  CA to add, keeps msal's own client. */
  authorityTrust?: TrustingAgent;
}

const present = (pem: string | Buffer | undefined): pem is string | Buffer => pem !== undefined && pem.length > 0;

export function graphHttp(graph: Pick<GraphGroupsConfig, 'ca' | 'authorityCa'>): GraphHttp {
  const graphTrust = present(graph.ca) ? new TrustingAgent(defaultRootsPlus(graph.ca)) : undefined;
  const graphFetch = graphTrust ? createHttpsFetch({ trust: graphTrust }) : globalFetch;
  // Without an authority CA of its own the authority trusts what Graph does: the same agent, not a second context.
  const authorityTrust = present(graph.authorityCa) ? new TrustingAgent(defaultRootsPlus(graph.ca, graph.authorityCa)) : graphTrust;
  if (!authorityTrust) return { graphFetch, authorityFetch: globalFetch };
  return { graphFetch, authorityFetch: authorityTrust === graphTrust ? graphFetch : createHttpsFetch({ trust: authorityTrust }), authorityTrust };
}
