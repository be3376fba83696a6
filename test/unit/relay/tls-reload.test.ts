import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { createSelfSignedCertificate } from '../../support/oidc/self-signed-cert.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dir.js';
import { makeKeys, startTestRelay } from './fixtures.js';

/** The certificate the relay serves on a new connection, and the cipher it chose. */
async function served(port: number): Promise<{ fingerprint: string; cipher: string }> {
  const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ciphers: tls.DEFAULT_CIPHERS });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  const result = { fingerprint: socket.getPeerCertificate().fingerprint256, cipher: socket.getCipher().standardName };
  socket.destroy();
  return result;
}

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

describe('relay serving certificate reload', () => {
  it('serves a rotated certificate without a restart, keeps its cipher order, and skips a pair that does not match', async () => {
    const dir = makeTempDir('cc-relay-tls-');
    const [first, second] = await Promise.all([createSelfSignedCertificate('relay-one'), createSelfSignedCertificate('relay-two')]);
    const certFile = join(dir, 'tls.crt');
    const keyFile = join(dir, 'tls.key');
    writeFileSync(certFile, first.certPem);
    writeFileSync(keyFile, first.keyPem);
    const relay = await startTestRelay(await makeKeys(), {
      insecure: false,
      tls: { certPem: first.certPem, keyPem: first.keyPem, certFile, keyFile },
      tlsReloadIntervalMs: 3_600_000, // the test calls reloadTls() itself
    });
    try {
      const port = Number(new URL(relay.handle.url).port);
      expect((await served(port)).fingerprint).to.equal(fingerprintOf(first.certPem));
      // Caught between writing the certificate and the key: not installed, the old pair stays.
      writeFileSync(certFile, second.certPem);
      expect(await relay.handle.reloadTls()).to.equal(false);
      expect((await served(port)).fingerprint).to.equal(fingerprintOf(first.certPem));
      writeFileSync(keyFile, second.keyPem);
      expect(await relay.handle.reloadTls()).to.equal(true);
      const after = await served(port);
      expect(after.fingerprint).to.equal(fingerprintOf(second.certPem));
      expect(after.cipher).to.equal('TLS_AES_128_GCM_SHA256');
      expect(relay.log.lines.some((l) => l.includes('serving certificate reloaded'))).to.equal(true);
    } finally {
      await relay.handle.close();
      removeTempDir(dir);
    }
  });
});
