import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getCACertificates } from 'node:tls';
import { promisify } from 'node:util';
import { defaultRootsPlus } from '../../../proxy/src/common/ca-trust.js';
import { createSelfSignedCertificate } from '../../support/oidc/self-signed-cert.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dir.js';

const fingerprints = (pems: readonly string[]) => pems.map((pem) => new X509Certificate(pem).fingerprint256);

describe('common/ca-trust', () => {
  it("keeps every one of Node's default roots and adds the bundle after them", () => {
    const defaults = getCACertificates('default');
    expect(defaults.length, 'Node has default roots to keep').to.be.greaterThan(50);
    const extra = '-----BEGIN CERTIFICATE-----\nprivate\n-----END CERTIFICATE-----\n';
    expect(defaultRootsPlus(extra)).to.deep.equal([...defaults, extra]);
    expect(defaultRootsPlus(Buffer.from(extra), undefined, '')).to.deep.equal([...defaults, extra]);
    expect(defaultRootsPlus()).to.deep.equal(defaults);
  });

  it('keeps the certificates of NODE_EXTRA_CA_CERTS (read when Node starts, so in a child process)', async () => {
    const dir = makeTempDir('cc-ca-trust-');
    try {
      const [nodeExtra, bundle] = await Promise.all([createSelfSignedCertificate('node-extra.test'), createSelfSignedCertificate('bundle.test')]);
      const nodeExtraFile = join(dir, 'node-extra.pem');
      writeFileSync(nodeExtraFile, nodeExtra.certPem);
      const caTrust = new URL('../../../proxy/src/common/ca-trust.js', import.meta.url).href;
      const script = `const { defaultRootsPlus } = await import(${JSON.stringify(caTrust)}); console.log(JSON.stringify(defaultRootsPlus(process.env.BUNDLE)));`;
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: nodeExtraFile, BUNDLE: bundle.certPem },
      });
      const trusted = fingerprints(JSON.parse(stdout) as string[]);
      const [extraPrint, bundlePrint] = fingerprints([nodeExtra.certPem, bundle.certPem]);
      expect(trusted).to.include(extraPrint);
      expect(trusted.at(-1), 'the bundle comes last').to.equal(bundlePrint);
    } finally {
      removeTempDir(dir);
    }
  });
});
