import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { createSelfSignedCertificate } from '../../support/oidc/self-signed-cert.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dir.js';
import { makeKeys, startTestRelay } from './fixtures.js';
import type { TestRelay } from './fixtures.js';

/** The certificate the relay serves on a new connection, and the cipher it chose. */
async function served(port: number): Promise<{ fingerprint: string; cipher: string }> {
  const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ciphers: tls.DEFAULT_CIPHERS });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  const result = { fingerprint: socket.getPeerCertificate().fingerprint256, cipher: socket.getCipher().standardName };
  socket.destroy();
  return result;
}

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

/** The protocol a client offering at most `maxVersion` negotiates with the relay, or 'refused'. */
async function negotiated(port: number, maxVersion: tls.SecureVersion): Promise<string> {
  // SECLEVEL=0 lets OpenSSL offer TLS 1.0 and 1.1 at all; only the server's settings decide.
  const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: 'TLSv1', maxVersion, ciphers: 'DEFAULT@SECLEVEL=0' });
  try {
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    return socket.getProtocol() ?? 'unknown';
  } catch {
    return 'refused';
  } finally {
    socket.destroy();
  }
}

describe('relay serving certificate reload', () => {
  it('serves a rotated certificate without a restart, keeps its cipher order and TLS 1.2 minimum, and skips a pair that does not match', async () => {
    const dir = makeTempDir('cc-relay-tls-');
    const [first, second] = await Promise.all([createSelfSignedCertificate('relay-one'), createSelfSignedCertificate('relay-two')]);
    const certFile = join(dir, 'tls.crt');
    const keyFile = join(dir, 'tls.key');
    writeFileSync(certFile, first.certPem);
    writeFileSync(keyFile, first.keyPem);
    // Node's default minimum made stricter than the relay's own TLSv1.2: a context built without the relay's
    // minVersion (setSecureContext on reload resets what it is not given) would turn TLS 1.2 clients away.
    const defaultMinVersion = tls.DEFAULT_MIN_VERSION;
    tls.DEFAULT_MIN_VERSION = 'TLSv1.3';
    let relay: TestRelay | undefined;
    try {
      relay = await startTestRelay(await makeKeys(), {
        insecure: false,
        tls: { certPem: first.certPem, keyPem: first.keyPem, certFile, keyFile },
        tlsReloadIntervalMs: 3_600_000, // the test calls reloadTls() itself
      });
      const port = Number(new URL(relay.handle.url).port);
      expect((await served(port)).fingerprint).to.equal(fingerprintOf(first.certPem));
      expect(await negotiated(port, 'TLSv1.2'), 'TLS 1.2 accepted from the start').to.equal('TLSv1.2');
      // Caught between writing the certificate and the key: not installed, the old pair stays.
      writeFileSync(certFile, second.certPem);
      expect(await relay.handle.reloadTls()).to.equal(false);
      expect((await served(port)).fingerprint).to.equal(fingerprintOf(first.certPem));
      writeFileSync(keyFile, second.keyPem);
      expect(await relay.handle.reloadTls()).to.equal(true);
      const after = await served(port);
      expect(after.fingerprint).to.equal(fingerprintOf(second.certPem));
      expect(after.cipher).to.equal('TLS_AES_128_GCM_SHA256');
      expect(await negotiated(port, 'TLSv1.2'), 'TLS 1.2 still accepted after the reload').to.equal('TLSv1.2');
      expect(await negotiated(port, 'TLSv1.1'), 'nothing older').to.equal('refused');
      expect(relay.log.lines.some((l) => l.includes('serving certificate reloaded'))).to.equal(true);
    } finally {
      tls.DEFAULT_MIN_VERSION = defaultMinVersion;
      await relay?.handle.close();
      removeTempDir(dir);
    }
  });
});
