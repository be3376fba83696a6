// Last check before an OIDC request leaves (as Pinniped does): if any client Authorization or identity header
// survived, or the impersonation headers are not exactly the validated identity's, the request is not sent.
import type { KubernetesIdentity } from './identity.js';
import { identityHeaderLines, IMPERSONATE_PREFIX, isClientIdentityHeader } from './impersonation-headers.js';
import type { HeaderPair } from './incoming-headers.js';

export class IdentityHeaderLeak extends Error {
  override readonly name = 'IdentityHeaderLeak';
}

function lineKey([name, value]: HeaderPair): string {
  return `${name.toLowerCase()}\n${value}`;
}

/**
 * Throws IdentityHeaderLeak unless `outgoing` carries the identity's impersonation headers and no other identity
 * header. `identityLines` is identityHeaderLines(identity), when the caller has already computed it.
 */
export function assertOnlyProxyIdentity(outgoing: readonly HeaderPair[], identity: KubernetesIdentity, identityLines = identityHeaderLines(identity)): void {
  const expected = identityLines.map(lineKey).sort();
  const impersonation: string[] = [];
  for (const line of outgoing) {
    const lower = line[0].toLowerCase();
    if (lower.startsWith(IMPERSONATE_PREFIX)) {
      impersonation.push(lineKey(line));
    } else if (isClientIdentityHeader(lower)) {
      // Authorization, X-Remote-*, X-Forwarded-*, and Impersonate_* spellings: never set by the rewrite.
      throw new IdentityHeaderLeak(`refusing to forward: client header ${JSON.stringify(line[0])} survived header rewriting`);
    } else if (lower === 'connection' && line[1].split(',').some((token) => token.trim().toLowerCase() !== 'upgrade')) {
      throw new IdentityHeaderLeak('refusing to forward: Connection names headers other than Upgrade');
    }
  }
  impersonation.sort();
  if (impersonation.length !== expected.length || impersonation.some((line, i) => line !== expected[i])) {
    throw new IdentityHeaderLeak('refusing to forward: impersonation headers differ from the validated identity');
  }
}
