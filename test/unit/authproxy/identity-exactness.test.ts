// Property: whatever a signed token claims, kube-aad-proxy either refuses it, or the identity the apiserver acts on
// is byte-for-byte the identity the proxy checked, and never a reserved name. The headers are the ones decide()
// builds, written by Node's own HTTP client, and read back by Go's HTTP parser with the apiserver's impersonation
// header reading (test/support/go-impersonation-reader): the real parsers on both sides, not a model of them.
import { expect } from 'chai';
import fc from 'fast-check';
import { request } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { createAuthenticator } from '../../../proxy/src/authproxy/authenticate.js';
import type { KubernetesIdentity } from '../../../proxy/src/authproxy/identity.js';
import { identityHeaderLines } from '../../../proxy/src/authproxy/impersonation-headers.js';
import type { HeaderPair } from '../../../proxy/src/authproxy/incoming-headers.js';
import { createOidcVerifier } from '../../../proxy/src/authproxy/oidc-verifier.js';
import { finalHeaderLines, flatten } from '../../../proxy/src/authproxy/outgoing-headers.js';
import { startGoImpersonationReader } from '../../support/go-impersonation-reader.js';
import type { GoImpersonationReader, GoReadIdentity } from '../../support/go-impersonation-reader.js';
import { bearer, createLocalIssuer, LOCAL_AUDIENCE, LOCAL_ISSUER } from './local-issuer.js';
import type { LocalIssuer } from './local-issuer.js';

// Pieces that have bitten impersonating proxies or that a parser may change: spaces Go trims and Unicode spaces it
// keeps, controls, separators, escapes, case, non-ASCII, lone and paired surrogates.
const TRICKY = [' ', '\t', '\u00a0', '\u2003', '\u3000', '\ufeff', '\u200b', '\u0085', '\r', '\n', '\u0000', '\u007f', '\u2028', ',', ', ', '%', '%2F', '%25', ':', '"', '\\', 'system:', 'System:', 'SYSTEM:', 'masters', 'serviceaccount:kube-system:x', 'alice', 'é', '名', '\ud800', '\udc00', '😀'];
const trickyValue = fc.oneof(
  fc.array(fc.constantFrom(...TRICKY), { minLength: 0, maxLength: 6 }).map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('x'.repeat(1024), 'x'.repeat(1025)),
);
// Mostly names a proxy must carry intact (inner spaces, commas, %, colons, non-ASCII), so both outcomes occur often.
const nameValue = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('a', 'é', '名', '😀', 'Z'), fc.array(fc.constantFrom('b', ' ', ',', ', ', '%', '%2F', ':', 'system:', '\u00a0', '"', 'ü'), { maxLength: 4 }), fc.constantFrom('c', '9', '名')).map(([first, middle, last]) => `${first}${middle.join('')}${last}`) },
  { weight: 1, arbitrary: trickyValue },
);
const EXTRA_KEYS = { 'clusterconnect.io/tid': 'tid', 'Example.COM/odd key%': 'odd', 'clé/ünïcode': 'uni' };

/** The request head Node's HTTP client writes for these header lines (captured from a real socket). */
async function bytesNodeSends(server: Server, lines: HeaderPair[]): Promise<Buffer> {
  const { port } = server.address() as AddressInfo;
  const captured = new Promise<Buffer>((resolve) => server.once('head', resolve));
  const req = request({ host: '127.0.0.1', port, method: 'GET', path: '/api/v1/pods', headers: flatten(lines), setHost: false });
  req.on('error', () => undefined);
  req.end();
  return captured;
}

function headCapturingServer(): Promise<Server> {
  const server = createServer((socket) => {
    let head = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      server.emit('head', head.subarray(0, end + 4));
      socket.destroy();
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** What the apiserver acts on must equal the identity checked; groups compared as sets (order carries no meaning). */
function expectSameIdentity(read: GoReadIdentity, identity: KubernetesIdentity): void {
  expect(read.error, 'Go could not parse the request').to.equal(undefined);
  expect(read.user).to.equal(identity.username);
  expect(read.uid).to.equal(identity.uid);
  expect([...read.groups].sort()).to.deep.equal([...identity.groups].sort());
  expect(read.extra).to.deep.equal(identity.extra);
}

function expectUnreserved(read: GoReadIdentity): void {
  for (const name of [read.user ?? '', ...read.groups]) expect(name.startsWith('system:'), `reserved name ${JSON.stringify(name)} reached the apiserver`).to.equal(false);
}

describe('authproxy: the identity Go reads is the identity checked (property-based, real parsers)', function () {
  this.timeout(120_000);
  let go: GoImpersonationReader;
  let server: Server;
  let issuer: LocalIssuer;

  before(async () => {
    [go, server, issuer] = await Promise.all([startGoImpersonationReader(), headCapturingServer(), createLocalIssuer()]);
  });
  after(() => {
    go?.close();
    server?.close();
  });

  it('claims → decide() → Node header bytes → Go: refused, or exactly the checked identity and never system:', async () => {
    let forwarded = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        nameValue,
        fc.array(nameValue, { maxLength: 3 }),
        nameValue,
        fc.record({ odd: nameValue, uni: nameValue, upn: nameValue }, { requiredKeys: ['upn'] }),
        fc.constantFrom('', 'aad:', 'system:', 'a '),
        async (oid, groups, tid, more, prefix) => {
          const verifier = createOidcVerifier({
            issuerURL: LOCAL_ISSUER,
            audience: LOCAL_AUDIENCE,
            fetch: issuer.fetch,
            usernamePrefix: prefix,
            groupsPrefix: prefix,
            uidClaim: 'upn',
            extraClaims: EXTRA_KEYS,
          });
          const authenticator = createAuthenticator({ verifiers: [verifier], serviceAccountTokens: false });
          const headers = bearer(await issuer.mint({ oid, groups, tid, ...more }));
          const decision = await authenticator.decide(headers);
          if (decision.kind === 'refuse') {
            refused++;
            expect(decision.status).to.equal(401);
            expect(decision.reason).to.be.oneOf(['unsafe_identity', 'reserved_name', 'missing_claim']);
            expect(decision.message).not.to.match(/\p{Cc}/u);
            return;
          }
          expect(decision.mode).to.equal('oidc');
          if (decision.mode !== 'oidc') return;
          forwarded++;
          const raw = await bytesNodeSends(server, finalHeaderLines(decision, headers, 'apiserver.test', { bearerToken: 'proxy-token' }));
          const read = await go.read(raw);
          expectSameIdentity(read, decision.identity);
          expectUnreserved(read);
        },
      ),
      { numRuns: 400 },
    );
    // Both outcomes must have been exercised, or the property says nothing.
    expect(forwarded).to.be.greaterThan(20);
    expect(refused).to.be.greaterThan(20);
  });

  it('identityHeaderLines (the backstop every path meets): throws, or Go reads exactly the identity given', async () => {
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(nameValue, fc.array(nameValue, { maxLength: 3 }), fc.option(nameValue, { nil: undefined }), fc.dictionary(nameValue, fc.array(nameValue, { minLength: 1, maxLength: 2 }), { maxKeys: 2 }), async (username, groups, uid, extraInput) => {
        // Keys as kube-aad-proxy holds them: lower-case (oidc-config.ts refuses keys that collide once lower-cased).
        const extra = Object.fromEntries(Object.entries(extraInput).map(([key, values]) => [key.toLowerCase(), values]));
        if (Object.keys(extra).length !== Object.keys(extraInput).length) return;
        const identity: KubernetesIdentity = { username, groups: [...new Set(groups)], extra, ...(uid !== undefined ? { uid } : {}) };
        let lines: HeaderPair[];
        try {
          lines = identityHeaderLines(identity);
        } catch {
          return;
        }
        sent++;
        const read = await go.read(await bytesNodeSends(server, [['Host', 'apiserver.test'], ...lines]));
        expectSameIdentity(read, identity);
      }),
      { numRuns: 400 },
    );
    expect(sent).to.be.greaterThan(20);
  });
});
