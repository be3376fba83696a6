// A throwaway self-signed TLS identity for 127.0.0.1 (its own CA: trust this PEM), so the test OpenID Provider
// serves HTTPS like a real issuer (the verifier refuses anything else).
import 'reflect-metadata'; // @peculiar/x509's tsyringe needs the Reflect metadata polyfill loaded first
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

export interface SelfSignedCertificate {
  certPem: string;
  keyPem: string;
}

const SIGNING = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export async function createSelfSignedCertificate(commonName = '127.0.0.1'): Promise<SelfSignedCertificate> {
  x509.cryptoProvider.set(webcrypto);
  const keys = await webcrypto.subtle.generateKey(SIGNING, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: (BigInt(now) * 1000n + BigInt(Math.floor(Math.random() * 1000))).toString(16),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 24 * 3600_000),
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem'), keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}
