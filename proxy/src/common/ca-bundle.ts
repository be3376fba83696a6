// CA bundles given by file (--oidc-ca-file, --certificate-authority, --relay-ca-file, ...): read and checked when
// the flags are, so a wrong file stops the command with one line naming the flag instead of failing at the first
// TLS handshake, and fingerprinted for pinning.
import { X509Certificate, createHash } from 'node:crypto';
import { readFlagFile } from './flag-file.js';

/** One PEM certificate block (not global: for every block of a bundle, `new RegExp(PEM_CERTIFICATE, 'g')`). */
export const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** SHA-256 fingerprints (hex, colon-separated as openssl prints them) of every certificate in a PEM bundle. */
export function certificateFingerprints(pem: string, what = 'CA bundle'): string[] {
  const blocks = pem.match(new RegExp(PEM_CERTIFICATE, 'g')) ?? [];
  if (blocks.length === 0) throw new Error(`${what} holds no PEM certificate`);
  return blocks.map((block) => {
    let der: Buffer;
    try {
      der = new X509Certificate(block).raw;
    } catch (error) {
      throw new Error(`${what} holds a certificate that cannot be parsed (${(error as Error).message})`, { cause: error });
    }
    return (createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g) ?? []).join(':');
  });
}

/** A CA bundle flag's file: at least one PEM certificate, every one parseable, or an error naming the flag, the
 *  file and the fix. */
export function readCaBundleFlag(path: string, flag: string): string {
  const pem = readFlagFile(path, flag);
  try {
    certificateFingerprints(pem, `${flag} ${path}`);
  } catch (error) {
    throw new Error(`${(error as Error).message}; give the CA bundle in PEM (BEGIN CERTIFICATE blocks)`, { cause: error });
  }
  return pem;
}
