// Every pitfall of impersonating proxies from the brief, at the header level, with requests parsed by Node.
import { expect } from 'chai';
import { assertOnlyProxyIdentity } from '../../../proxy/src/authproxy/identity-header-assertion.js';
import type { KubernetesIdentity } from '../../../proxy/src/authproxy/identity.js';
import {
  buildImpersonatedHeaders,
  extraHeaderNames,
  findImpersonationAttempt,
  identityHeaderLines,
} from '../../../proxy/src/authproxy/impersonation-headers.js';
import { resolveOidcConfig } from '../../../proxy/src/authproxy/oidc-config.js';
import type { HeaderPair } from '../../../proxy/src/authproxy/incoming-headers.js';
import { closeParserServer, parsedByNode } from './node-parsed-headers.js';

const ALICE: KubernetesIdentity = {
  username: 'alice-oid',
  groups: ['readers', 'devs'],
  extra: { 'clusterconnect.io/tid': ['tenant-a'] },
};

const EXPECTED_IDENTITY: HeaderPair[] = [
  ['Impersonate-User', 'alice-oid'],
  ['Impersonate-Group', 'readers'],
  ['Impersonate-Group', 'devs'],
  ['Impersonate-Extra-clusterconnect.io%2Ftid', 'tenant-a'],
];

const names = (lines: readonly HeaderPair[]) => lines.map(([name]) => name.toLowerCase());
/** Each name must be absent (chai's not.include.members passes when only some are absent). */
function expectAbsent(lines: readonly HeaderPair[], ...absent: string[]) {
  for (const name of absent) expect(names(lines), name).not.to.include(name);
}
const valuesOf = (lines: readonly HeaderPair[], name: string) => lines.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);

/** The outgoing header lines for an OIDC request with these client headers, checked by the final assertion too. */
async function rewrite(lines: string[], identity = ALICE): Promise<HeaderPair[]> {
  const outgoing = buildImpersonatedHeaders(await parsedByNode(lines), identity);
  assertOnlyProxyIdentity(outgoing, identity);
  return outgoing;
}

/** The identity lines in outgoing are exactly those from the token, nothing from the client. */
function expectExactlyAlice(outgoing: readonly HeaderPair[]) {
  expect(outgoing.filter(([name]) => /^impersonate[-_]/i.test(name))).to.deep.equal(EXPECTED_IDENTITY);
}

describe('authproxy/impersonation-headers', () => {
  after(closeParserServer);

  it('removes Authorization and sets the identity from the token, keeping ordinary headers', async () => {
    const outgoing = await rewrite(['Authorization: Bearer eyJhbGciOi.x.y', 'Accept: application/json', 'User-Agent: kubectl/v1.34.0']);
    expect(names(outgoing)).not.to.include('authorization');
    expect(valuesOf(outgoing, 'accept')).to.deep.equal(['application/json']);
    expect(valuesOf(outgoing, 'user-agent')).to.deep.equal(['kubectl/v1.34.0']);
    expect(names(outgoing)).not.to.include('host', 'the upstream request sets its own Host');
    expectExactlyAlice(outgoing);
  });

  describe('pitfall 1: Connection-header smuggling (Rancher CVE-2021-31999)', () => {
    it('identity headers survive a client Connection that names them', async () => {
      const outgoing = await rewrite(['Connection: Impersonate-User, Impersonate-Group, impersonate-extra-clusterconnect.io%2Ftid', 'Authorization: Bearer t']);
      expectExactlyAlice(outgoing);
      expect(names(outgoing)).not.to.include('connection');
    });

    it('drops every header the client names in Connection, across lines, any case and spacing', async () => {
      const outgoing = await rewrite(['Connection: keep-alive ,  X-Custom-One', 'connection: X-CUSTOM-TWO', 'X-Custom-One: 1', 'x-custom-two: 2', 'X-Custom-Three: 3']);
      expectAbsent(outgoing, 'x-custom-one', 'x-custom-two');
      expect(valuesOf(outgoing, 'x-custom-three')).to.deep.equal(['3']);
    });

    it('drops hop-by-hop headers', async () => {
      const outgoing = await rewrite(['Keep-Alive: timeout=5', 'TE: trailers', 'Trailer: X-Foo', 'Proxy-Authorization: Basic eDp5', 'Proxy-Connection: keep-alive']);
      expectAbsent(outgoing, 'keep-alive', 'te', 'trailer', 'proxy-authorization', 'proxy-connection');
    });

    it('an OIDC request that names an Impersonate-* header in Connection is refused', async () => {
      expect(findImpersonationAttempt(await parsedByNode(['Connection: Impersonate-User']))).to.equal('connection: impersonate-user');
    });
  });

  describe('pitfall 2: deny-lists that miss Impersonate-Uid / Impersonate-Extra-*, or append', () => {
    it('a client Impersonate-Group: system:masters does not survive next to the token groups', async () => {
      const outgoing = await rewrite(['Impersonate-Group: system:masters', 'Authorization: Bearer t']);
      expect(valuesOf(outgoing, 'impersonate-group')).to.deep.equal(['readers', 'devs']);
      expectExactlyAlice(outgoing);
    });

    it('removes Impersonate-Uid, Impersonate-Extra-* and any other Impersonate-* header', async () => {
      const outgoing = await rewrite([
        'Impersonate-Uid: 0',
        'Impersonate-Extra-scopes: admin',
        'Impersonate-Extra-clusterconnect.io%2Ftid: evil-tenant',
        'Impersonate-User: system:admin',
        'Impersonate-Something-New: x',
      ]);
      expectExactlyAlice(outgoing);
    });

    it('mixed-case names are removed like lower-case ones', async () => {
      const outgoing = await rewrite(['iMpErSoNaTe-UsEr: system:admin', 'IMPERSONATE-GROUP: system:masters', 'impersonate-uid: 0', 'AUTHORIZATION: Bearer t']);
      expectExactlyAlice(outgoing);
      expect(names(outgoing)).not.to.include('authorization');
    });

    it('duplicate lines are all removed (Node keeps only the first Authorization in req.headers)', async () => {
      const incoming = await parsedByNode(['Authorization: Bearer first', 'Authorization: Bearer second', 'Impersonate-User: a', 'Impersonate-User: b']);
      expect(incoming.headers.authorization).to.equal('Bearer first');
      const outgoing = buildImpersonatedHeaders(incoming, ALICE);
      expect(names(outgoing)).not.to.include('authorization');
      expectExactlyAlice(outgoing);
    });

    it('underscore spellings (Impersonate_User) are removed too', async () => {
      const outgoing = await rewrite(['Impersonate_User: system:admin', 'X_Remote_User: admin']);
      expectAbsent(outgoing, 'impersonate_user', 'x_remote_user');
      expectExactlyAlice(outgoing);
    });

    it('any client Impersonate-* header makes an OIDC request refusable (403), whatever its case', async () => {
      for (const line of ['Impersonate-User: bob', 'impersonate-uid: 1', 'IMPERSONATE-EXTRA-X: y', 'Impersonate-Group: system:masters', 'Impersonate_User: bob']) {
        expect(findImpersonationAttempt(await parsedByNode([line])), line).to.equal(line.split(':')[0]?.toLowerCase());
      }
      expect(findImpersonationAttempt(await parsedByNode(['Authorization: Bearer t', 'Accept: */*']))).to.equal(undefined);
    });

    it('also detects Impersonate-* present only in the folded headers object', () => {
      expect(findImpersonationAttempt({ headers: { 'impersonate-user': 'bob' }, rawHeaders: ['Accept', '*/*'] })).to.equal('impersonate-user');
    });
  });

  describe('pitfalls 3 and 4: other identity headers, X-Forwarded-For', () => {
    it('removes X-Remote-User/Group/Extra-*, X-Forwarded-*, Forwarded and X-Real-IP', async () => {
      const outgoing = await rewrite([
        'X-Remote-User: admin',
        'X-Remote-Group: system:masters',
        'x-remote-extra-scopes: all',
        'X-Forwarded-For: 10.0.0.1',
        'X-Forwarded-Host: evil',
        'X-Forwarded-Proto: http',
        'Forwarded: for=10.0.0.1',
        'X-Real-IP: 10.0.0.1',
      ]);
      expect(names(outgoing).filter((n) => n.startsWith('x-remote') || n.startsWith('x-forwarded') || n === 'forwarded' || n === 'x-real-ip')).to.deep.equal([]);
      expectExactlyAlice(outgoing);
    });
  });

  describe('upgrade requests (exec, attach, port-forward)', () => {
    it('keeps Connection: Upgrade and Upgrade, drops everything else Connection named', async () => {
      const incoming = await parsedByNode(
        ['Connection: Upgrade, Impersonate-User', 'Upgrade: websocket', 'Sec-WebSocket-Protocol: v5.channel.k8s.io', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13'],
        'GET /api/v1/namespaces/default/pods/p/exec?command=sh HTTP/1.1',
      );
      const outgoing = buildImpersonatedHeaders(incoming, ALICE);
      assertOnlyProxyIdentity(outgoing, ALICE);
      expect(valuesOf(outgoing, 'connection')).to.deep.equal(['Upgrade']);
      expect(valuesOf(outgoing, 'upgrade')).to.deep.equal(['websocket']);
      expect(valuesOf(outgoing, 'sec-websocket-protocol')).to.deep.equal(['v5.channel.k8s.io']);
      expectExactlyAlice(outgoing);
    });

    it('keeps SPDY upgrades (kubectl fallback)', async () => {
      const incoming = await parsedByNode(['Connection: Upgrade', 'Upgrade: SPDY/3.1', 'X-Stream-Protocol-Version: v4.channel.k8s.io'], 'POST /api/v1/namespaces/default/pods/p/exec HTTP/1.1');
      const outgoing = buildImpersonatedHeaders(incoming, ALICE);
      expect(valuesOf(outgoing, 'upgrade')).to.deep.equal(['SPDY/3.1']);
      expect(valuesOf(outgoing, 'x-stream-protocol-version')).to.deep.equal(['v4.channel.k8s.io']);
    });

    it('does not forward an Upgrade header the client did not ask to switch to', async () => {
      const outgoing = buildImpersonatedHeaders(await parsedByNode(['Upgrade: websocket']), ALICE);
      expectAbsent(outgoing, 'upgrade', 'connection');
    });
  });

  describe('identity header encoding', () => {
    it('percent-encodes Impersonate-Extra keys as client-go does, lower-cased', () => {
      expect([...extraHeaderNames(['clusterconnect.io/tid', 'Scopes', '100%', 'a b:c', 'clé'])]).to.deep.equal([
        ['clusterconnect.io/tid', 'Impersonate-Extra-clusterconnect.io%2Ftid'],
        ['scopes', 'Impersonate-Extra-scopes'],
        ['100%', 'Impersonate-Extra-100%25'],
        ['a b:c', 'Impersonate-Extra-a%20b%3Ac'],
        ['clé', 'Impersonate-Extra-cl%C3%A9'],
      ]);
      // Escaped the same way when an identity carries a key no configuration named.
      expect(identityHeaderLines({ username: 'u', groups: [], extra: { 'a b:c': ['v'] } })).to.deep.include(['Impersonate-Extra-a%20b%3Ac', 'v']);
    });

    it('escapes the configured extra keys once, when the OIDC config is resolved, and uses those names', () => {
      const config = resolveOidcConfig({ issuerURL: 'https://issuer.test', audience: 'a', extraClaims: { 'Clusterconnect.io/TID': 'tid', 'scopes ': 'scp' } });
      expect([...config.extraHeaderNames]).to.deep.equal([
        ['clusterconnect.io/tid', 'Impersonate-Extra-clusterconnect.io%2Ftid'],
        ['scopes ', 'Impersonate-Extra-scopes%20'],
      ]);
      // The resolved names are what the lines carry; a key the config does not name is escaped on the spot.
      const identity = { username: 'u', groups: [], extra: { 'clusterconnect.io/tid': ['t'], 'other/key': ['o'] } };
      const marked = new Map([['clusterconnect.io/tid', 'Impersonate-Extra-from-config']]);
      expect(identityHeaderLines(identity, marked)).to.deep.equal([
        ['Impersonate-User', 'u'],
        ['Impersonate-Extra-from-config', 't'],
        ['Impersonate-Extra-other%2Fkey', 'o'],
      ]);
      expect(identityHeaderLines(identity, config.extraHeaderNames)).to.deep.equal(identityHeaderLines(identity));
    });

    it('one Impersonate-Group per group, Impersonate-Uid when known, one line per extra value', () => {
      const lines = identityHeaderLines({ username: 'u', uid: 'uid-1', groups: ['a,b', 'c'], extra: { scopes: ['x', 'y'] } });
      expect(lines).to.deep.equal([
        ['Impersonate-User', 'u'],
        ['Impersonate-Uid', 'uid-1'],
        ['Impersonate-Group', 'a,b'],
        ['Impersonate-Group', 'c'],
        ['Impersonate-Extra-scopes', 'x'],
        ['Impersonate-Extra-scopes', 'y'],
      ]);
    });

    it('sends non-ASCII names as their UTF-8 bytes and refuses control characters', () => {
      const [[, value] = ['', '']] = identityHeaderLines({ username: 'Zoë', groups: [], extra: {} });
      expect(Buffer.from(value, 'latin1').toString('utf8')).to.equal('Zoë');
      expect(() => identityHeaderLines({ username: 'a\r\nImpersonate-Group: system:masters', groups: [], extra: {} })).to.throw(/control character/);
    });
  });
});
