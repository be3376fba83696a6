// A throwaway self-signed RSA certificate and key (PEM) for a service principal's certificate credential.
import 'reflect-metadata'; // @peculiar/x509's tsyringe needs the Reflect metadata polyfill loaded first
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

const ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;

export async function createRsaCertificate(commonName: string): Promise<{ certPem: string; keyPem: string }> {
  x509.cryptoProvider.set(webcrypto);
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: now.toString(16),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 24 * 3600_000),
    signingAlgorithm: ALGORITHM,
    keys,
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem'), keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}
