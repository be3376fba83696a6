// A certificate credential for @azure/msal-node, checked when the flag naming it is read — shared by the client's
// `login --certificate-file` and kube-aad-proxy's --graph-client-certificate-file. Only node:crypto (and a type from
// msal): flag parsing, which every command runs, loads it without loading msal.
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import type { Configuration } from '@azure/msal-node';
import { PEM_CERTIFICATE } from './ca-bundle.js';

export type MsalClientCertificate = NonNullable<Configuration['auth']['clientCertificate']>;

const PRIVATE_KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/;

/**
 * A PEM file holding a certificate and its private key (as `az login --service-principal --certificate` takes), as
 * msal's clientCertificate. Checked now — parseable, unencrypted, the key belongs to the certificate — so a wrong file
 * stops the command with one line naming `flag`, not the first token request. Errors never quote the file's content.
 */
export function msalClientCertificate(pem: string, flag: string, path: string): MsalClientCertificate {
  const certificatePem = PEM_CERTIFICATE.exec(pem)?.[0];
  const keyPem = PRIVATE_KEY_PEM.exec(pem)?.[0];
  if (!certificatePem || !keyPem) {
    throw new Error(`${flag} ${path} must hold a PEM certificate and its private key; put both (BEGIN CERTIFICATE and BEGIN PRIVATE KEY blocks) in that one file`);
  }
  let certificate: X509Certificate;
  let privateKey: string;
  try {
    certificate = new X509Certificate(certificatePem);
    // msal wants PKCS#8; accept PKCS#1/SEC1 files too.
    privateKey = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new Error(`${flag} ${path} is not usable (${why}); give the certificate and its unencrypted private key in PEM`, { cause: error });
  }
  if (!certificate.checkPrivateKey(createPrivateKey(privateKey))) {
    throw new Error(`${flag} ${path}: the private key does not match the certificate; put the certificate registered for the app together with its own private key in the file`);
  }
  // x5c lets Entra accept a rotated certificate by subject name and issuer (SNI), not only a pinned thumbprint.
  return { thumbprintSha256: createHash('sha256').update(certificate.raw).digest('hex'), privateKey, x5c: certificatePem };
}
