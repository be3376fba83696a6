// --certificate-authority pins the cluster's CA: the relay serves the CA bundle kubectl trusts, so without a pin a
// hostile relay could hand out its own CA and terminate kubectl's TLS itself. With a pin, the relay's copy must
// hold exactly the pinned certificates, or the proxy refuses to start.
import { certificateFingerprints } from '../common/ca-bundle.js';

export class CaPinMismatchError extends Error {
  override readonly name = 'CaPinMismatchError';
}

/** Throws naming both sides' fingerprints when the relay's bundle is not the pinned one. */
export function checkPinnedCa(pinnedPem: string, pinnedFile: string, relayPem: string, cluster: string): void {
  const pinned = [...new Set(certificateFingerprints(pinnedPem, `--certificate-authority ${pinnedFile}`))].sort();
  const served = [...new Set(certificateFingerprints(relayPem, `the CA bundle the relay serves for ${cluster}`))].sort();
  if (pinned.join(',') === served.join(',')) return;
  throw new CaPinMismatchError(
    `refusing to start: the relay serves a CA for cluster ${cluster} (SHA-256 ${served.join(', ')}) that differs from --certificate-authority ${pinnedFile} (SHA-256 ${pinned.join(', ')}); a relay must not choose whom kubectl trusts`,
  );
}
