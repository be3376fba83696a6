import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { removeTempDir } from '../../support/temp-dir.js';
import { filesForRotation, probeTls, writeTlsFiles } from '../../support/tls-probe.js';
import { makeKeys, startTestRelay } from './fixtures.js';
import type { TestKeys, TestRelay } from './fixtures.js';

/** The certificate the relay serves on a new connection, and the cipher it chose; 'refused' if none. */
const served = (port: number) =>
  probeTls({ port, ciphers: tls.DEFAULT_CIPHERS }, (socket) => ({ fingerprint: socket.getPeerCertificate().fingerprint256, cipher: socket.getCipher().standardName }));

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

/** The protocol a client offering at most `maxVersion` negotiates with the relay, or 'refused'. */
const negotiated = (port: number, maxVersion: tls.SecureVersion) =>
  // SECLEVEL=0 lets OpenSSL offer TLS 1.0 and 1.1 at all; only the server's settings decide.
  probeTls({ port, minVersion: 'TLSv1', maxVersion, ciphers: 'DEFAULT@SECLEVEL=0' }, (socket) => socket.getProtocol() ?? 'unknown');

describe('relay serving certificate', () => {
  let keys: TestKeys;
  before(async () => {
    keys = await makeKeys();
  });
  after(() => {
    if (keys) removeTempDir(keys.dir);
  });

  it('serves a rotated certificate without a restart, keeps its cipher order and TLS 1.2 minimum, and skips a pair that does not match', async () => {
    const { dir, certFile, keyFile, first, second } = await filesForRotation('cc-relay-tls-', ['relay-one', 'relay-two']);
    // Node's default minimum made stricter than the relay's own TLSv1.2: a context built without the relay's
    // minVersion (setSecureContext on reload resets what it is not given) would turn TLS 1.2 clients away.
    const defaultMinVersion = tls.DEFAULT_MIN_VERSION;
    tls.DEFAULT_MIN_VERSION = 'TLSv1.3';
    let relay: TestRelay | undefined;
    try {
      relay = await startTestRelay(keys, {
        insecure: false,
        tls: { certFile, keyFile },
        tlsReloadIntervalMs: 3_600_000, // the test calls reloadTls() itself
      });
      const port = Number(new URL(relay.handle.url).port);
      expect(await served(port)).to.have.property('fingerprint', fingerprintOf(first.certPem));
      expect(await negotiated(port, 'TLSv1.2'), 'TLS 1.2 accepted from the start').to.equal('TLSv1.2');
      // Caught between writing the certificate and the key: not installed, the old pair stays.
      writeFileSync(certFile, second.certPem);
      expect(await relay.handle.reloadTls()).to.equal(false);
      expect(await served(port)).to.have.property('fingerprint', fingerprintOf(first.certPem));
      writeFileSync(keyFile, second.keyPem);
      expect(await relay.handle.reloadTls()).to.equal(true);
      expect(await served(port)).to.deep.equal({ fingerprint: fingerprintOf(second.certPem), cipher: 'TLS_AES_128_GCM_SHA256' });
      expect(await negotiated(port, 'TLSv1.2'), 'TLS 1.2 still accepted after the reload').to.equal('TLSv1.2');
      expect(await negotiated(port, 'TLSv1.1'), 'nothing older').to.equal('refused');
      expect(relay.log.lines.some((l) => l.includes('serving certificate reloaded'))).to.equal(true);
    } finally {
      tls.DEFAULT_MIN_VERSION = defaultMinVersion;
      await relay?.handle.close();
      removeTempDir(dir);
    }
  });

  it('does not start on a key that does not match its certificate, or on a file it cannot read, and names the flags', async () => {
    const { dir, first, second } = await filesForRotation('cc-relay-tls-', ['relay-one', 'relay-two']);
    const mismatched = writeTlsFiles(dir, { certPem: first.certPem, keyPem: second.keyPem }, 'mismatched');
    try {
      const failure = (tlsFiles: { certFile: string; keyFile: string }) =>
        startTestRelay(keys, { insecure: false, tls: tlsFiles }).then(
          async (relay) => {
            await relay.handle.close();
            return expect.fail('started');
          },
          (error: Error) => error.message,
        );
      const message = await failure(mismatched);
      expect(message).to.contain(`--tls-cert-file ${mismatched.certFile} and --tls-key-file ${mismatched.keyFile} do not load as a pair: `);
      expect(message).to.match(/key values mismatch$/);
      const missing = join(dir, 'missing.key');
      expect(await failure({ certFile: mismatched.certFile, keyFile: missing })).to.equal(`--tls-key-file ${missing} cannot be read (ENOENT); check the path`);
    } finally {
      removeTempDir(dir);
    }
  });
});
