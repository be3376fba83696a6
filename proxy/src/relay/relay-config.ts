// Everything `clusterconnect relay` can be told, already validated by the CLI.
import type { ClientAuthMode } from './credentials/client-authenticator.js';

export interface RelayOidcIssuerConfig {
  issuerUrl: string;
  /** The relay's own audience: must not be the audience kube-aad-proxy accepts (see client-authenticator.ts). */
  audience: string;
  /** PEM bundle for an issuer with a private CA. */
  caPem?: string;
  usernameClaim?: string;
}

export interface RelayConfig {
  listenHost: string;
  /** 0 picks a free port (tests); the bound URL is logged and returned. */
  listenPort: number;
  /**
   * The serving certificate and key files, PEM: read at start (a pair that does not load stops it) and re-read every
   * `tlsReloadIntervalMs` (cert-manager and mounted Secrets rotate them in place). Absent only with `insecure`.
   */
  tls?: { certFile: string; keyFile: string };
  /** How often to look for a rotated certificate (default 10 s). */
  tlsReloadIntervalMs?: number;
  /** Plain ws: for loopback tests only. */
  insecure: boolean;
  publicKeyFile: string;
  clientAuth: ClientAuthMode;
  oidcIssuers: RelayOidcIssuerConfig[];
  opsHost: string;
  opsPort: number;
  /** How the relay names itself in error messages, e.g. its public host name. */
  relayName: string;
  /** Longest SIGTERM waits for paired streams to finish. */
  drainTimeoutMs: number;
  /** TLS handshake plus HTTP upgrade request must complete within this. */
  handshakeTimeoutMs: number;
  /** A stream an agent leaves unanswered this long moves to another agent (0: never). */
  failoverAfterMs: number;
}
