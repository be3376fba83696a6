import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { certificateFingerprints, readCaBundleFlag } from '../../../proxy/src/common/ca-bundle.js';
import { CaPinMismatchError, checkPinnedCa } from '../../../proxy/src/client/ca-pin.js';
import { createSelfSignedCertificate } from '../../support/oidc/self-signed-cert.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dir.js';

describe('proxy: --certificate-authority pin', () => {
  let a: string;
  let b: string;
  before(async () => {
    [a, b] = await Promise.all([createSelfSignedCertificate('a.test'), createSelfSignedCertificate('b.test')]).then((c) => c.map((x) => x.certPem));
  });

  it('fingerprints every certificate of a bundle as colon-separated SHA-256', () => {
    const prints = certificateFingerprints(`${a}\n${b}`);
    expect(prints).to.have.length(2);
    for (const print of prints) expect(print).to.match(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(() => certificateFingerprints('not a pem', 'pinned')).to.throw('pinned holds no PEM certificate');
  });

  it('accepts the same set of certificates in any order', () => {
    expect(() => checkPinnedCa(`${a}${b}`, 'pin.pem', `${b}\n${a}`, 'c1')).to.not.throw();
  });

  it('refuses a different bundle, naming both fingerprints', () => {
    const [pa] = certificateFingerprints(a);
    const [pb] = certificateFingerprints(b);
    expect(() => checkPinnedCa(a, 'pin.pem', b, 'c1'))
      .to.throw(CaPinMismatchError)
      .with.property('message')
      .that.includes(`relay serves a CA for cluster c1 (SHA-256 ${pb ?? ''})`)
      .and.includes(`--certificate-authority pin.pem (SHA-256 ${pa ?? ''})`);
    // A relay adding its own CA next to the real one is a mismatch too.
    expect(() => checkPinnedCa(a, 'pin.pem', `${a}${b}`, 'c1')).to.throw(CaPinMismatchError);
  });
});

describe('CA bundle flags (readCaBundleFlag: --certificate-authority, --oidc-ca-file, --graph-ca-file)', () => {
  let dir: string;
  let ca: string;
  before(async () => {
    dir = makeTempDir('cc-ca-flag-');
    ca = (await createSelfSignedCertificate('ca.test')).certPem;
  });
  after(() => removeTempDir(dir));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('returns the file as it is when it holds parseable PEM certificates only', () => {
    const path = file('ok.pem', `${ca}\n${ca}`);
    expect(readCaBundleFlag(path, '--oidc-ca-file')).to.equal(`${ca}\n${ca}`);
  });

  it('refuses a missing file, one without a certificate, and one with a broken certificate, naming the flag, the file and the fix', () => {
    const missing = join(dir, 'missing.pem');
    expect(() => readCaBundleFlag(missing, '--oidc-ca-file')).to.throw(`--oidc-ca-file ${missing} cannot be read (ENOENT); check the path`);
    const empty = file('empty.pem', 'not a bundle\n');
    expect(() => readCaBundleFlag(empty, '--certificate-authority'))
      .to.throw(`--certificate-authority ${empty} holds no PEM certificate; give the CA bundle in PEM (BEGIN CERTIFICATE blocks)`);
    const broken = file('broken.pem', `${ca}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`);
    expect(() => readCaBundleFlag(broken, '--graph-ca-file'))
      .to.throw(Error, /^--graph-ca-file \S+broken\.pem holds a certificate that cannot be parsed \(.+\); give the CA bundle in PEM \(BEGIN CERTIFICATE blocks\)$/);
  });
});
