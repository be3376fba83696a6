import { expect } from 'chai';
import { assertOnlyProxyIdentity, IdentityHeaderLeak } from '../../../proxy/src/authproxy/identity-header-assertion.js';
import type { KubernetesIdentity } from '../../../proxy/src/authproxy/identity.js';
import { identityHeaderLines } from '../../../proxy/src/authproxy/impersonation-headers.js';
import type { HeaderPair } from '../../../proxy/src/authproxy/incoming-headers.js';

const BOB: KubernetesIdentity = { username: 'bob', uid: 'bob-uid', groups: ['g1'], extra: { 'my_key': ['v'] } };
const good: HeaderPair[] = [['Accept', 'application/json'], ...identityHeaderLines(BOB)];

describe('authproxy/identity-header-assertion', () => {
  it('passes when the only identity headers are the validated identity (in any order)', () => {
    expect(() => assertOnlyProxyIdentity([...good].reverse(), BOB)).not.to.throw();
    expect(() => assertOnlyProxyIdentity([['Connection', 'Upgrade'], ...good], BOB)).not.to.throw();
  });

  const leaks: Array<[string, HeaderPair[]]> = [
    ['a surviving Authorization', [...good, ['authorization', 'Bearer x']]],
    ['an extra Impersonate-Group', [...good, ['Impersonate-Group', 'system:masters']]],
    ['an extra Impersonate-Uid', [['Impersonate-Uid', '0'], ...good.filter(([n]) => n !== 'Impersonate-Uid')]],
    ['an extra Impersonate-Extra-*', [...good, ['impersonate-extra-scopes', 'all']]],
    ['a missing Impersonate-User', good.filter(([n]) => n !== 'Impersonate-User')],
    ['a changed value', good.map(([n, v]): HeaderPair => (n === 'Impersonate-User' ? [n, 'admin'] : [n, v]))],
    ['an underscore spelling', [...good, ['Impersonate_User', 'admin']]],
    ['X-Remote-User', [...good, ['X-Remote-User', 'admin']]],
    ['X-Forwarded-For', [...good, ['X-Forwarded-For', '1.2.3.4']]],
    ['X_Forwarded_For', [...good, ['X_Forwarded_For', '1.2.3.4']]],
    ['Forwarded', [...good, ['Forwarded', 'for=1.2.3.4']]],
    ['X-Real-IP', [...good, ['X-Real-IP', '1.2.3.4']]],
    ['a Connection naming identity headers', [...good, ['Connection', 'Upgrade, Impersonate-User']]],
  ];
  for (const [what, outgoing] of leaks) {
    it(`throws IdentityHeaderLeak on ${what}`, () => {
      expect(() => assertOnlyProxyIdentity(outgoing, BOB)).to.throw(IdentityHeaderLeak);
    });
  }
});
