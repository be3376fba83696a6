// The ExecCredential get-token prints and the KUBERNETES_EXEC_INFO it reads.
import { expect } from 'chai';
import { execCredential, parseExecInfo } from '../../../proxy/src/client/login/exec-credential.js';
import { needsRefresh } from '../../../proxy/src/client/login/oidc-flows.js';

describe('get-token exec credential', () => {
  it('prints a v1 ExecCredential with an RFC 3339 expiry', () => {
    const out = execCredential({ token: 'tok', expiresOn: new Date('2030-01-02T03:04:05.678Z') }, parseExecInfo(undefined));
    expect(out.endsWith('\n')).to.equal(true);
    expect(JSON.parse(out)).to.deep.equal({
      kind: 'ExecCredential',
      apiVersion: 'client.authentication.k8s.io/v1',
      spec: { interactive: false },
      status: { expirationTimestamp: '2030-01-02T03:04:05Z', token: 'tok' },
    });
  });

  it('answers in the apiVersion kubectl asks for', () => {
    const info = parseExecInfo(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', spec: { interactive: true } }));
    expect(info).to.deep.equal({ apiVersion: 'client.authentication.k8s.io/v1beta1', interactive: true });
    expect(() => parseExecInfo('{"apiVersion":"client.authentication.k8s.io/v1alpha1"}')).to.throw(/supported: client.authentication.k8s.io\/v1/);
    expect(() => parseExecInfo('{')).to.throw(/not valid JSON/);
  });

  it('refreshes when a tenth of the lifetime (at most a minute) is left', () => {
    const now = 1_000_000;
    expect(needsRefresh({ accessToken: 'a', obtainedAt: now, expiresAt: now + 3_600_000 }, now + 3_500_000)).to.equal(false);
    expect(needsRefresh({ accessToken: 'a', obtainedAt: now, expiresAt: now + 3_600_000 }, now + 3_545_000)).to.equal(true);
    expect(needsRefresh({ accessToken: 'a', obtainedAt: now, expiresAt: now + 5_000 }, now + 4_000)).to.equal(false);
    expect(needsRefresh({ accessToken: 'a', obtainedAt: now, expiresAt: now + 5_000 }, now + 4_600)).to.equal(true);
  });
});
