import { expect } from 'chai';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type tls from 'node:tls';
import { readTlsPair, watchTlsFiles } from '../../../proxy/src/common/tls-files.js';
import { createSelfSignedCertificate } from '../../support/oidc/self-signed-cert.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dir.js';
import { filesForRotation, probeTls, writeTlsFiles } from '../../support/tls-probe.js';
import { captureLogger } from '../tunnel/helpers.js';

/** The subject CN the server presents to a client offering at most `maxVersion`, or 'refused'. */
const presented = (port: number, maxVersion: tls.SecureVersion) =>
  probeTls({ port, minVersion: 'TLSv1.2', maxVersion }, (socket) => String(socket.getPeerCertificate().subject.CN));

describe('common/tls-files', () => {
  it('installs a rotated pair with the server\'s other context options, and keeps the current pair while the files do not load', async () => {
    const { dir, certFile, keyFile, second } = await filesForRotation('cc-tls-files-', ['first', 'second']);
    // TLS 1.3 only: a reload that dropped the context options would fall back to Node's TLSv1.2 minimum.
    const contextOptions = { minVersion: 'TLSv1.3' } as const;
    const initial = await readTlsPair(certFile, keyFile);
    const server = https.createServer({ ...initial, ...contextOptions });
    server.on('tlsClientError', () => undefined);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const log = captureLogger();
    const reloader = watchTlsFiles(server, { certFile, keyFile, initial, intervalMs: 3_600_000, logger: log.logger, contextOptions });
    try {
      expect(await reloader.check(), 'unchanged files').to.equal(false);
      writeFileSync(keyFile, 'not a key');
      expect(await reloader.check()).to.equal(false);
      expect(await reloader.check()).to.equal(false);
      expect(await presented(port, 'TLSv1.3'), 'the current pair stays').to.equal('first');
      expect(log.lines.filter((line) => line.includes('do not load yet')), 'warned once per error').to.have.length(1);

      writeFileSync(certFile, second.certPem);
      writeFileSync(keyFile, second.keyPem);
      expect(await reloader.check()).to.equal(true);
      expect(await presented(port, 'TLSv1.3')).to.equal('second');
      expect(await presented(port, 'TLSv1.2'), 'minVersion kept through the reload').to.equal('refused');
      expect(log.lines.some((line) => line.includes('serving certificate reloaded'))).to.equal(true);
    } finally {
      reloader.stop();
      server.close();
      removeTempDir(dir);
    }
  });

  it('readTlsPair refuses a key that does not match the certificate', async () => {
    const dir = makeTempDir('cc-tls-files-');
    const [first, second] = await Promise.all([createSelfSignedCertificate('first'), createSelfSignedCertificate('second')]);
    const { certFile, keyFile } = writeTlsFiles(dir, { certPem: first.certPem, keyPem: second.keyPem });
    try {
      await readTlsPair(certFile, keyFile).then(
        () => expect.fail('loaded'),
        (error: Error) => expect(error.message).to.match(/key values mismatch/),
      );
    } finally {
      removeTempDir(dir);
    }
  });
});
