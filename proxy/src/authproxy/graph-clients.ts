// kube-aad-proxy's Microsoft Graph clients as its configuration (`graph`) makes them: the trust of graph-http.ts,
// the app token of graph-app-token.ts, the group resolver of graph-group-resolver.ts. start.ts builds them here,
// and the tests build exactly what it runs.
import type { GraphGroupsConfig } from './config.js';
import { createGraphAppToken } from './graph-app-token.js';
import { createGraphGroupResolver } from './graph-group-resolver.js';
import type { GraphGroupResolver, GraphGroupResolverOptions } from './graph-group-resolver.js';
import { graphHttp } from './graph-http.js';
import type { GraphHttp } from './graph-http.js';

/** The proxy's app-only Graph token, from `graph.authority` with the authority's trust. */
export function graphAppToken(graph: GraphGroupsConfig, http: GraphHttp = graphHttp(graph)): (signal?: AbortSignal) => Promise<string> {
  return createGraphAppToken({
    authority: graph.authority,
    clientId: graph.clientId,
    credential: graph.credential,
    graphURL: graph.graphURL,
    graphResource: graph.graphResource,
    ...(http.authorityTrust ? { trust: http.authorityTrust } : {}),
    fetch: http.authorityFetch,
  });
}

/** The group resolver for tokens with group overage; `onLookup` counts the Graph look-ups (metrics). */
export function graphGroupResolver(graph: GraphGroupsConfig, onLookup?: GraphGroupResolverOptions['onLookup']): GraphGroupResolver {
  const http = graphHttp(graph);
  return createGraphGroupResolver({
    graphURL: graph.graphURL,
    fetch: http.graphFetch,
    accessToken: graphAppToken(graph, http),
    cacheTtlMs: graph.cacheTtlMs,
    ...(onLookup ? { onLookup } : {}),
  });
}
