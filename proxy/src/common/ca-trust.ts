// What a CA-file flag means everywhere (--authority-ca-file, --oidc-ca-file, --graph-ca-file): the bundle is trusted
// IN ADDITION to Node's default roots, never instead of them. Node's `ca` option replaces the default store, so the
// defaults are passed along explicitly; a private issuer's CA then cannot cut off a public endpoint (Microsoft Graph)
// reached through the same settings. Dependency-free: the client's login path uses it too.
import { getCACertificates } from 'node:tls';

/**
 * Node's default trust — the bundled Mozilla roots, plus NODE_EXTRA_CA_CERTS and the OS store when Node is told to use
 * them (--use-system-ca) — followed by the given PEM bundles (absent ones are skipped).
 */
export function defaultRootsPlus(...extraPem: ReadonlyArray<string | Buffer | undefined>): string[] {
  const extra = extraPem.filter((pem): pem is string | Buffer => pem !== undefined && pem.length > 0).map((pem) => pem.toString());
  return [...getCACertificates('default'), ...extra];
}
