// Decides, from what the Secrets hold now, whether to keep or reissue kube-aad-proxy's CA and serving certificate.
import { certificateFacts, generateCa, isSignedBy, issueServingCertificate, renewalTime, type KeyPairPem } from './certificates.js';

export interface CurrentPki {
  ca?: Partial<KeyPairPem>;
  serving?: Partial<KeyPairPem>;
}

export interface PkiPlan {
  ca: KeyPairPem;
  serving: KeyPairPem;
  /** What changed and why, for an Event; undefined when nothing did. */
  change?: string;
  /** When to look again: the earlier of the two renewal times. */
  nextCheck: Date;
}

function complete(pair?: Partial<KeyPairPem>): KeyPairPem | undefined {
  return pair?.certPem && pair.keyPem ? { certPem: pair.certPem, keyPem: pair.keyPem } : undefined;
}

function usable(pair: KeyPairPem | undefined, now: Date): boolean {
  if (!pair) return false;
  try {
    return renewalTime(certificateFacts(pair.certPem)) > now;
  } catch {
    return false;
  }
}

/** The serving pair is fresh, for exactly these names, and signed by `ca`. */
async function servingFits(serving: KeyPairPem | undefined, ca: KeyPairPem, dnsNames: string[], now: Date): Promise<boolean> {
  return usable(serving, now) && sameNames(certificateFacts(serving!.certPem).dnsNames, dnsNames) && (await isSignedBy(serving!.certPem, ca.certPem));
}

export async function planPki(current: CurrentPki, caName: string, dnsNames: string[], now: Date): Promise<PkiPlan> {
  let ca = complete(current.ca);
  let change: string | undefined;
  if (!usable(ca, now)) {
    change = ca ? 'CA certificate near expiry or unreadable: generated a new CA' : 'generated a CA for kube-aad-proxy';
    ca = await generateCa(caName, now);
  }
  const caPair = ca as KeyPairPem;
  let serving = complete(current.serving);
  if (!(await servingFits(serving, caPair, dnsNames, now))) {
    change ??= serving ? 'serving certificate near expiry, for other names or from another CA: reissued it' : 'issued the serving certificate';
    serving = await issueServingCertificate(caPair, dnsNames, now);
  }
  const servingPair = serving as KeyPairPem;
  const nextCheck = new Date(
    Math.min(renewalTime(certificateFacts(caPair.certPem)).getTime(), renewalTime(certificateFacts(servingPair.certPem)).getTime()),
  );
  return { ca: caPair, serving: servingPair, change, nextCheck };
}

function sameNames(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');
}
