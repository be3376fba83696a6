// Whom kube-aad-proxy trusts on its way to Microsoft Graph. Every CA bundle is added to Node's default roots, never
// substituted for them, and each goes only where it belongs: --graph-ca-file to the token authority and Graph,
// the issuer's --oidc-ca-file to the token authority alone (when it is on the issuer's host; see the CLI). So a
// private issuer cannot cut the proxy off from the public Graph, and its CA is never asked to vouch for Graph.
import { defaultRootsPlus } from '../common/ca-trust.js';
import type { GraphGroupsConfig } from './config.js';
import { createHttpsFetch } from './https-fetch.js';
import type { FetchLike } from './https-fetch.js';

/** Node's default roots plus the given bundle; plain global fetch (the default roots) without one. */
export function fetchTrusting(extraCa: string | Buffer | undefined): FetchLike {
  if (extraCa === undefined || extraCa.length === 0) return (url, init) => globalThis.fetch(url, init);
  return createHttpsFetch({ ca: defaultRootsPlus(extraCa) });
}

export interface GraphHttp {
  /** For Graph's getMemberObjects: default roots plus `ca`. */
  graphFetch: FetchLike;
  /** For the authority's discovery document: default roots plus `ca` and `authorityCa`. */
  authorityFetch: FetchLike;
  /** What the authority's msal network client adds to the default roots; undefined keeps msal's own client. */
  authorityCa?: string;
}

export function graphHttp(graph: Pick<GraphGroupsConfig, 'ca' | 'authorityCa'>): GraphHttp {
  const pems = [graph.ca, graph.authorityCa].flatMap((pem) => (pem === undefined || pem.length === 0 ? [] : [pem.toString()]));
  const authorityCa = pems.length > 0 ? pems.join('\n') : undefined;
  return { graphFetch: fetchTrusting(graph.ca), authorityFetch: fetchTrusting(authorityCa), ...(authorityCa ? { authorityCa } : {}) };
}
