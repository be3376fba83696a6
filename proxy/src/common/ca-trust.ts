// For the CA-file flags that add to Node's default roots: --authority-ca-file of the client's login and --graph-ca-file
// of kube-aad-proxy, whose endpoints (Entra, Microsoft Graph) are public by default, so a private CA must not cut
// them off. Node's `ca` option replaces the default store, so the defaults are passed along explicitly. The
// --oidc-ca-file of kube-aad-proxy and of the relay does not come here: as kube-apiserver's, it replaces the roots,
// so the keys every token rests on are trusted only from a server the file vouches for (docs/decisions.md 8).
// Dependency-free: the client's login path uses it too.
import { getCACertificates } from 'node:tls';

/**
 * Node's default trust — the bundled Mozilla roots, plus NODE_EXTRA_CA_CERTS and the OS store when Node is told to use
 * them (--use-system-ca) — followed by the given PEM bundles (absent ones are skipped).
 */
export function defaultRootsPlus(...extraPem: ReadonlyArray<string | Buffer | undefined>): string[] {
  const extra = extraPem.filter((pem): pem is string | Buffer => pem !== undefined && pem.length > 0).map((pem) => pem.toString());
  return [...getCACertificates('default'), ...extra];
}
