// Everything a running kube-aad-proxy needs, as the CLI (or a test) hands it to startAuthProxy.
import type { Registry } from 'prom-client';
import type { Logger } from '../common/logger.js';
import type { GraphClientCredential } from './graph-app-token.js';
import type { TrustingAgent } from './https-fetch.js';
import type { GroupResolver } from './identity.js';
import type { OidcVerifierConfig } from './oidc-config.js';
import type { UpstreamSource } from './upstream.js';

export interface AuthProxyConfig {
  listenHost: string;
  /** 0 picks a free port (tests); the running proxy reports the real one. */
  listenPort: number;
  opsHost: string;
  opsPort: number;
  tlsCertFile: string;
  tlsKeyFile: string;
  /** How often the certificate files are checked for a rotation. Default 10 s. */
  tlsReloadIntervalMs?: number;
  upstream: UpstreamSource;
  /** How often the proxy's own upstream credentials are re-read. Default 60 s. */
  upstreamRefreshMs?: number;
  /** Trusted issuers; tokens from any other issuer take the passthrough path (or are refused). */
  oidc: OidcVerifierConfig[];
  /** How long a successful OIDC verification is reused for the same token (never past its `exp`; refusals are never
   *  reused). Default 10 s, as kube-apiserver's token cache; 0 verifies every request; at most 60 s. */
  tokenCacheTtlMs?: number;
  /** Forward bearer tokens not from a configured issuer unchanged, for the apiserver to authenticate. */
  serviceAccountTokens: boolean;
  /** Microsoft Graph look-ups for tokens with group overage; without it (or groupResolver) such tokens are refused. */
  graph?: GraphGroupsConfig;
  /** Overrides `graph` (tests, other directories). */
  groupResolver?: GroupResolver;
  /** Request line plus headers, in bytes; default 64 KiB (Entra tokens with many claims are large). */
  maxHeaderSize?: number;
  /** How long close() lets in-flight requests finish before cutting long-lived ones. Default 10 s. */
  drainMs?: number;
  logger: Logger;
  /** Defaults to a fresh registry with process metrics. */
  registry?: Registry;
}

export interface GraphGroupsConfig {
  graphURL: string;
  /** Resource id of the Graph token; default graphURL (see GraphAppTokenOptions.graphResource). */
  graphResource?: string;
  authority: string;
  clientId: string;
  credential: GraphClientCredential;
  /** PEM trusted for Graph, and the authority unless issuerTrust is set, in addition to Node's default roots (private
   *  endpoints; --graph-ca-file). */
  ca?: string | Buffer;
  /** The issuer's fetch trust (--oidc-ca-file, replacing the default roots), when the authority is on the issuer's
   *  origin: the authority then trusts exactly what the issuer does, through the same agent. Never used for Graph. */
  issuerTrust?: TrustingAgent;
  cacheTtlMs?: number;
}
