import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { certificateFacts, renewalTime } from '../../../operator/src/pki/certificates.js';
import { planPki } from '../../../operator/src/pki/plan.js';

const names = ['prod-kube-aad-proxy.cc.svc', 'prod-kube-aad-proxy.cc.svc.cluster.local'];
const DAY = 24 * 3600 * 1000;

describe('operator pki', function () {
  this.timeout(20000);

  it('creates a CA and a serving certificate for the Service names that verifies against it', async () => {
    const now = new Date();
    const plan = await planPki({}, 'kube-aad-proxy CA', names, now);
    expect(plan.change).to.equal('generated a CA for kube-aad-proxy');
    const ca = new X509Certificate(plan.ca.certPem);
    const serving = new X509Certificate(plan.serving.certPem);
    expect(ca.ca).to.equal(true);
    expect(serving.ca).to.equal(false);
    expect(serving.verify(ca.publicKey)).to.equal(true);
    expect(serving.checkHost('prod-kube-aad-proxy.cc.svc')).to.equal('prod-kube-aad-proxy.cc.svc');
    expect(serving.checkHost('other.cc.svc')).to.equal(undefined);
    expect(certificateFacts(plan.serving.certPem).dnsNames).to.deep.equal(names);
    expect(plan.nextCheck.getTime()).to.be.closeTo(renewalTime(certificateFacts(plan.serving.certPem)).getTime(), 1000);
  });

  it('keeps both while they are fresh, and reissues the serving certificate when a third of its life is left', async () => {
    const start = new Date();
    const first = await planPki({}, 'CA', names, start);
    const again = await planPki({ ca: first.ca, serving: first.serving }, 'CA', names, new Date(start.getTime() + 10 * DAY));
    expect(again.change).to.equal(undefined);
    expect(again.serving.certPem).to.equal(first.serving.certPem);
    const late = await planPki({ ca: first.ca, serving: first.serving }, 'CA', names, new Date(start.getTime() + 61 * DAY));
    expect(late.change).to.match(/^serving certificate near expiry/);
    expect(late.ca.certPem).to.equal(first.ca.certPem);
    expect(late.serving.certPem).not.to.equal(first.serving.certPem);
  });

  it('reissues when the Service names change or the certificate is from another CA', async () => {
    const now = new Date();
    const first = await planPki({}, 'CA', names, now);
    const renamed = await planPki({ ca: first.ca, serving: first.serving }, 'CA', ['x.cc.svc'], now);
    expect(renamed.change).to.match(/^serving certificate near expiry, for other names or from another CA/);
    expect(renamed.ca.certPem).to.equal(first.ca.certPem);
    expect(certificateFacts(renamed.serving.certPem).dnsNames).to.deep.equal(['x.cc.svc']);
    const other = await planPki({}, 'CA', names, now);
    const mixed = await planPki({ ca: first.ca, serving: other.serving }, 'CA', names, now);
    expect(mixed.change).to.match(/^serving certificate near expiry, for other names or from another CA/);
    expect(mixed.serving.certPem).not.to.equal(other.serving.certPem);
    expect(new X509Certificate(mixed.serving.certPem).verify(new X509Certificate(first.ca.certPem).publicKey)).to.equal(true);
  });

  it('replaces garbage in the Secrets instead of failing', async () => {
    const plan = await planPki({ ca: { certPem: 'not a cert', keyPem: 'nope' } }, 'CA', names, new Date());
    expect(plan.change).to.match(/^CA certificate near expiry or unreadable/);
    expect(new X509Certificate(plan.ca.certPem).ca).to.equal(true);
  });
});
