// kube-aad-proxy's own PKI: a self-generated CA (its key never leaves the operator's Secret) and a serving
// certificate for the Service's DNS names, reissued well before expiry. Clients pin the CA (status.caBundle).
import 'reflect-metadata'; // @peculiar/x509's dependency injection needs the Reflect metadata polyfill first
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

// x509 signs with globalThis.crypto (Node's WebCrypto); only the key types are named here.

type CryptoKey = webcrypto.CryptoKey;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

const CA_VALIDITY_DAYS = 5 * 365;
const SERVING_VALIDITY_DAYS = 90;
/** Reissue when less than this share of the lifetime is left: 30 of 90 days for serving certificates. */
const RENEW_WHEN_REMAINING = 1 / 3;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

async function importKeyPem(pem: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decode(pem)[0] ?? new ArrayBuffer(0), ALGORITHM, true, ['sign']);
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');
}

export async function generateCa(commonName: string, now: Date): Promise<KeyPairPem> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

export async function issueServingCertificate(ca: KeyPairPem, dnsNames: string[], now: Date): Promise<KeyPairPem> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${dnsNames[0] ?? 'kube-aad-proxy'}`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter: new Date(now.getTime() + SERVING_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: await importKeyPem(ca.keyPem),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: 'dns' as const, value }))),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

export interface CertificateFacts {
  notBefore: Date;
  notAfter: Date;
  dnsNames: string[];
}

export function certificateFacts(pem: string): CertificateFacts {
  const cert = new x509.X509Certificate(pem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const dnsNames = san ? san.names.items.filter((n) => n.type === 'dns').map((n) => n.value) : [];
  return { notBefore: cert.notBefore, notAfter: cert.notAfter, dnsNames };
}

/** When a certificate should be reissued: once less than a third of its lifetime is left. */
export function renewalTime(facts: Pick<CertificateFacts, 'notBefore' | 'notAfter'>): Date {
  const lifetime = facts.notAfter.getTime() - facts.notBefore.getTime();
  return new Date(facts.notAfter.getTime() - lifetime * RENEW_WHEN_REMAINING);
}

export async function isSignedBy(certPem: string, caPem: string): Promise<boolean> {
  try {
    return await new x509.X509Certificate(certPem).verify({ publicKey: new x509.X509Certificate(caPem), signatureOnly: true });
  } catch {
    return false;
  }
}
