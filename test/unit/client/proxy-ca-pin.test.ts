import { expect } from 'chai';
import { CaPinMismatchError, certificateFingerprints, checkPinnedCa } from '../../../proxy/src/client/ca-pin.js';
import { createSelfSignedCertificate } from '../../support/oidc/self-signed-cert.js';

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
