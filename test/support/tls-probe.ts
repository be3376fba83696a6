// What a TLS server offers a client: connect, read something off the finished handshake, hang up. And the
// certificate files such a server is started from, for tests that rotate them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { createSelfSignedCertificate } from './oidc/self-signed-cert.js';
import type { SelfSignedCertificate } from './oidc/self-signed-cert.js';
import { makeTempDir } from './temp-dir.js';

/** `read(socket)` once the handshake with 127.0.0.1 finished (the certificate is not checked), or 'refused'. */
export async function probeTls<T>(options: tls.ConnectionOptions & { port: number }, read: (socket: tls.TLSSocket) => T): Promise<T | 'refused'> {
  const socket = tls.connect({ host: '127.0.0.1', rejectUnauthorized: false, ...options });
  try {
    const connected = await new Promise<boolean>((resolve) => socket.once('secureConnect', () => resolve(true)).once('error', () => resolve(false)));
    return connected ? read(socket) : 'refused';
  } finally {
    socket.destroy();
  }
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** Writes a certificate and its key (mode 0600) as `<name>.crt` and `<name>.key` in `dir`. */
export function writeTlsFiles(dir: string, pair: { certPem: string; keyPem: string }, name = 'tls'): TlsFiles {
  const files = { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
  writeFileSync(files.certFile, pair.certPem);
  writeFileSync(files.keyFile, pair.keyPem, { mode: 0o600 });
  return files;
}

export interface RotationFiles extends TlsFiles {
  /** The temp dir holding the files; removeTempDir() it when done. */
  dir: string;
  /** The pair in the files now. */
  first: SelfSignedCertificate;
  /** A pair for the test to rotate to. */
  second: SelfSignedCertificate;
}

/** Two fresh self-signed pairs with these common names, the first written to tls.crt and tls.key in a new temp dir. */
export async function filesForRotation(prefix: string, names: [string, string]): Promise<RotationFiles> {
  const dir = makeTempDir(prefix);
  const [first, second] = await Promise.all([createSelfSignedCertificate(names[0]), createSelfSignedCertificate(names[1])]);
  return { dir, first, second, ...writeTlsFiles(dir, first) };
}
