import { expect } from 'chai';
import { SignJWT } from 'jose';
import { createOidcVerifier } from '../../../proxy/src/authproxy/oidc-verifier.js';
import type { OidcVerifierConfig } from '../../../proxy/src/authproxy/oidc-config.js';
import { createLocalIssuer, LOCAL_AUDIENCE, LOCAL_ISSUER, unsecuredJwt } from './local-issuer.js';
import type { LocalIssuer } from './local-issuer.js';
import { rejection } from './reject.js';

describe('authproxy/oidc-verifier (locally minted tokens)', () => {
  let issuer: LocalIssuer;
  const verifierFor = (overrides: Partial<OidcVerifierConfig> = {}) =>
    createOidcVerifier({ issuerURL: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, fetch: issuer.fetch, ...overrides });

  beforeEach(async () => {
    issuer = await createLocalIssuer();
  });

  describe('accepted tokens', () => {
    it('maps oid to the username, groups to groups and tid to an extra, by default', async () => {
      const verified = await verifierFor().verify(await issuer.mint());
      expect(verified.identity).to.deep.equal({ username: 'user-oid-1', groups: ['group-1'], extra: { 'clusterconnect.io/tid': ['tenant-a'] } });
      expect(verified.principalType).to.equal('user');
      expect(verified.groupsOverage).to.equal(undefined);
    });

    it('applies username and group prefixes and a configured username, uid and extra claim', async () => {
      const verifier = verifierFor({ usernameClaim: 'upn', usernamePrefix: 'aad:', groupsPrefix: 'aad:', uidClaim: 'oid', extraClaims: { 'Example.COM/Tenant': 'tid' } });
      const verified = await verifier.verify(await issuer.mint({ upn: 'alice@example.com', groups: ['a', 'b', 'a'] }));
      expect(verified.identity).to.deep.equal({
        username: 'aad:alice@example.com',
        uid: 'user-oid-1',
        groups: ['aad:a', 'aad:b'],
        extra: { 'example.com/tenant': ['tenant-a'] },
      });
    });

    it('treats an app-only (service principal) token like a user', async () => {
      const verified = await verifierFor().verify(await issuer.mint({ idtyp: 'app', oid: 'sp-oid', groups: ['g'] }, { omit: ['scp'] }));
      expect(verified.principalType).to.equal('servicePrincipal');
      expect(verified.identity.username).to.equal('sp-oid');
    });

    it('accepts any of several audiences', async () => {
      const verified = await verifierFor({ audience: ['other', LOCAL_AUDIENCE] }).verify(await issuer.mint());
      expect(verified.identity.username).to.equal('user-oid-1');
    });

    it('accepts a token that expired within the clock skew', async () => {
      const now = Math.floor(Date.now() / 1000);
      const verified = await verifierFor({ clockSkewSeconds: 60 }).verify(await issuer.mint({ exp: now - 30 }));
      expect(verified.expiresAt.getTime()).to.equal((now - 30) * 1000);
    });

    it('returns an overage marker instead of groups when the token carries _claim_names.groups', async () => {
      const verified = await verifierFor().verify(
        await issuer.mint(
          { _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph.windows.net/tenant-a/users/user-oid-1/getMemberObjects' } } },
          { omit: ['groups'] },
        ),
      );
      expect(verified.identity.groups).to.deep.equal([]);
      expect(verified.groupsOverage).to.deep.equal({
        objectId: 'user-oid-1',
        tenantId: 'tenant-a',
        principalType: 'user',
        claimSourceEndpoint: 'https://graph.windows.net/tenant-a/users/user-oid-1/getMemberObjects',
      });
    });

    it('treats hasgroups: true as overage too', async () => {
      const verified = await verifierFor().verify(await issuer.mint({ hasgroups: true }, { omit: ['groups'] }));
      expect(verified.groupsOverage?.objectId).to.equal('user-oid-1');
    });
  });

  describe('rejected tokens (reason and message)', () => {
    it('missing: an empty token', async () => {
      expect((await rejection(verifierFor().verify(''))).reason).to.equal('missing');
    });

    it('malformed: not a JWT, a JWE, garbage in the header', async () => {
      for (const token of ['not-a-jwt', 'a.b.c.d.e', '!!!.e30.sig', `${Buffer.from('{nope').toString('base64url')}.e30.sig`]) {
        const rejected = await rejection(verifierFor().verify(token));
        expect(rejected.reason, token).to.equal('malformed');
        expect(rejected.httpStatus).to.equal(401);
      }
    });

    it('alg_not_allowed: alg none', async () => {
      const rejected = await rejection(verifierFor().verify(unsecuredJwt(issuer.defaultClaims())));
      expect(rejected.reason).to.equal('alg_not_allowed');
      expect(rejected.message).to.equal('token algorithm "none" is not allowed (allowed: RS256, ES256, PS256)');
      expect(issuer.fetchCount('/keys')).to.equal(0);
    });

    it('alg_not_allowed: HS256 signed with the issuer public key as the HMAC secret', async () => {
      const { n } = issuer.publicJwk;
      for (const secret of [Buffer.from(JSON.stringify(issuer.publicJwk)), Buffer.from(n ?? '', 'base64url')]) {
        const forged = await new SignJWT(issuer.defaultClaims()).setProtectedHeader({ alg: 'HS256', kid: 'local-1' }).sign(secret);
        expect((await rejection(verifierFor().verify(forged))).reason).to.equal('alg_not_allowed');
      }
    });

    it('alg_not_allowed: a valid RS256 token when only ES256 is allowed', async () => {
      const rejected = await rejection(verifierFor({ algorithms: ['ES256'] }).verify(await issuer.mint()));
      expect(rejected.reason).to.equal('alg_not_allowed');
    });

    it('expired, with the expiry time in the message', async () => {
      const exp = Date.parse('2026-11-22T10:00:00Z') / 1000;
      const verifier = verifierFor({ now: () => new Date('2026-11-22T10:05:00Z') });
      const rejected = await rejection(verifier.verify(await issuer.mint({ exp, iat: exp - 600, nbf: exp - 600 })));
      expect(rejected.reason).to.equal('expired');
      expect(rejected.message).to.equal('token expired at 2026-11-22T10:00:00Z');
    });

    it('not_yet_valid: nbf beyond the clock skew', async () => {
      const nbf = Math.floor(Date.now() / 1000) + 3600;
      const rejected = await rejection(verifierFor().verify(await issuer.mint({ nbf, exp: nbf + 600 })));
      expect(rejected.reason).to.equal('not_yet_valid');
      expect(rejected.message).to.equal(`token is not valid before ${new Date(nbf * 1000).toISOString().replace('.000Z', 'Z')}`);
    });

    it('missing_claim: no exp (a token that never expires)', async () => {
      expect((await rejection(verifierFor().verify(await issuer.mint({}, { omit: ['exp'] })))).reason).to.equal('missing_claim');
    });

    it('wrong_audience and wrong_issuer name what was expected', async () => {
      const wrongAud = await rejection(verifierFor().verify(await issuer.mint({ aud: 'api://something-else' })));
      expect(wrongAud.reason).to.equal('wrong_audience');
      expect(wrongAud.message).to.equal('token audience "api://something-else" is not "api://kube-aad-proxy"');
      const wrongIss = await rejection(verifierFor().verify(await issuer.mint({ iss: 'https://evil.example/' })));
      expect(wrongIss.reason).to.equal('wrong_issuer');
    });

    it('unknown_kid: signed with a key the issuer does not publish', async () => {
      const { privateKey } = await (await createLocalIssuer()).addKey();
      const rejected = await rejection(verifierFor().verify(await issuer.mint({}, { kid: 'not-published', key: privateKey })));
      expect(rejected.reason).to.equal('unknown_kid');
      expect(rejected.message).to.contain('"not-published"');
    });

    it('bad_signature: the published kid but another key, or a tampered payload', async () => {
      const { privateKey } = await (await createLocalIssuer()).addKey();
      const wrongKey = await rejection(verifierFor().verify(await issuer.mint({}, { kid: 'local-1', key: privateKey })));
      expect(wrongKey.reason).to.equal('bad_signature');
      const [header, , signature] = (await issuer.mint()).split('.');
      const payload = Buffer.from(JSON.stringify({ ...issuer.defaultClaims(), oid: 'someone-else' })).toString('base64url');
      expect((await rejection(verifierFor().verify(`${header}.${payload}.${signature}`))).reason).to.equal('bad_signature');
    });

    it('tenant_not_allowed: tid outside the allow-list, or no tid', async () => {
      const verifier = verifierFor({ allowedTenants: ['tenant-b'] });
      const rejected = await rejection(verifier.verify(await issuer.mint()));
      expect(rejected.reason).to.equal('tenant_not_allowed');
      expect(rejected.message).to.equal('token tenant "tenant-a" is not allowed');
      expect((await rejection(verifier.verify(await issuer.mint({}, { omit: ['tid'] })))).reason).to.equal('tenant_not_allowed');
      expect((await verifierFor({ allowedTenants: ['tenant-a'] }).verify(await issuer.mint())).identity.username).to.equal('user-oid-1');
    });

    it('missing_claim: no username claim, or groups that are not strings', async () => {
      expect((await rejection(verifierFor().verify(await issuer.mint({}, { omit: ['oid'] })))).reason).to.equal('missing_claim');
      expect((await rejection(verifierFor().verify(await issuer.mint({ groups: ['ok', 7] })))).reason).to.equal('missing_claim');
    });

    it('unsafe_identity: a value the apiserver would read differently, refused and never trimmed', async () => {
      const cases: [Record<string, unknown>, Partial<OidcVerifierConfig>, string][] = [
        [{ groups: [' system:masters'] }, {}, 'token claim "groups" holds " system:masters", which has leading or trailing whitespace'],
        [{ oid: ' system:admin' }, {}, 'token claim "oid" holds " system:admin", which has leading or trailing whitespace'],
        [{ oid: 'alice ' }, {}, 'token claim "oid" holds "alice ", which has leading or trailing whitespace'],
        [{ oid: '\u00a0system:admin' }, {}, 'token claim "oid" holds "\\u00a0system:admin", which has leading or trailing whitespace'],
        [{ groups: ['ops\u3000'] }, { groupsPrefix: 'aad:' }, 'token claim "groups" holds "ops\\u3000", which as group "aad:ops\\u3000" has leading or trailing whitespace'],
        [{ oid: 'a\r\nImpersonate-User: admin' }, {}, 'token claim "oid" holds "a\\u000d\\u000aImpersonate-User: admin", which holds a control character'],
        [{ oid: 'a\tb' }, {}, 'token claim "oid" holds "a\\u0009b", which holds a control character'],
        [{ oid: 'a\u0085' }, {}, 'token claim "oid" holds "a\\u0085", which holds a control character'],
        [{ oid: '\ud800alice' }, {}, 'token claim "oid" holds "\\ud800alice", which holds a lone UTF-16 surrogate, which UTF-8 cannot carry'],
        [{ tid: 'tenant-a ' }, {}, 'token claim "tid" holds "tenant-a ", which has leading or trailing whitespace'],
        [{ oid: 'u'.repeat(1024) }, { usernamePrefix: 'p:' }, `token claim "oid" holds "${'u'.repeat(80)}"…, which as username "p:${'u'.repeat(78)}"… is 1026 characters long (at most 1024)`],
        [{ groups: [''] }, {}, 'token claim "groups" holds "", which is empty'],
      ];
      for (const [claims, config, message] of cases) {
        const rejected = await rejection(verifierFor(config).verify(await issuer.mint(claims)));
        expect(rejected.reason, message).to.equal('unsafe_identity');
        expect(rejected.message).to.equal(message);
        expect(rejected.httpStatus).to.equal(401);
      }
      const uid = await rejection(verifierFor({ uidClaim: 'upn' }).verify(await issuer.mint({ upn: 'x ' })));
      expect(uid.message).to.equal('token claim "upn" holds "x ", which has leading or trailing whitespace');
    });

    it('sends names with inner spaces, commas, % and non-ASCII as they are (the apiserver reads them exactly)', async () => {
      const verified = await verifierFor().verify(await issuer.mint({ oid: 'Zoë O\'Brien, 名前 100%', groups: ['a,b', 'ops, system:masters', `g${'x'.repeat(1023)}`] }));
      expect(verified.identity.username).to.equal('Zoë O\'Brien, 名前 100%');
      expect(verified.identity.groups).to.deep.equal(['a,b', 'ops, system:masters', `g${'x'.repeat(1023)}`]);
    });

    it('reserved_name: a username or group in the system: namespace', async () => {
      expect((await rejection(verifierFor().verify(await issuer.mint({ oid: 'system:admin' })))).reason).to.equal('reserved_name');
      expect((await rejection(verifierFor().verify(await issuer.mint({ groups: ['System:Masters'] })))).reason).to.equal('reserved_name');
      const prefixed = await verifierFor({ groupsPrefix: 'oidc:' }).verify(await issuer.mint({ groups: ['system:masters'] }));
      expect(prefixed.identity.groups).to.deep.equal(['oidc:system:masters']);
    });

    it('never puts the token in a message', async () => {
      const tokens = [await issuer.mint({ aud: 'x' }), await issuer.mint({ exp: 1 }), unsecuredJwt(issuer.defaultClaims())];
      for (const token of tokens) {
        const rejected = await rejection(verifierFor().verify(token));
        for (const part of token.split('.').filter((p) => p.length > 8)) expect(rejected.message).not.to.contain(part);
      }
    });
  });

  describe('configuration', () => {
    it('refuses none, HS* and an empty allow-list, a missing audience, an http issuer and a large skew', () => {
      const base = { issuerURL: LOCAL_ISSUER, audience: LOCAL_AUDIENCE };
      expect(() => createOidcVerifier({ ...base, algorithms: ['none' as 'RS256'] })).to.throw(/not allowed/);
      expect(() => createOidcVerifier({ ...base, algorithms: ['HS256' as 'RS256'] })).to.throw(/not allowed/);
      expect(() => createOidcVerifier({ ...base, algorithms: [] })).to.throw(/empty/);
      expect(() => createOidcVerifier({ ...base, audience: [] })).to.throw(/audience/);
      expect(() => createOidcVerifier({ ...base, issuerURL: 'http://issuer.test' })).to.throw(/https/);
      expect(() => createOidcVerifier({ ...base, clockSkewSeconds: 3600 })).to.throw(/skew/);
    });

    it('refuses prefixes and extra keys the apiserver would not read as configured', () => {
      const base = { issuerURL: LOCAL_ISSUER, audience: LOCAL_AUDIENCE };
      expect(() => createOidcVerifier({ ...base, usernamePrefix: ' aad:' })).to.throw('OIDC username prefix " aad:" begins with whitespace');
      expect(() => createOidcVerifier({ ...base, groupsPrefix: 'a\tb:' })).to.throw('OIDC groups prefix "a\\u0009b:" holds a control character');
      expect(() => createOidcVerifier({ ...base, extraClaims: { 'example.com/\ud800': 'tid' } })).to.throw(/OIDC extra key .* holds a lone UTF-16 surrogate/);
      expect(() => createOidcVerifier({ ...base, extraClaims: { 'Example.com/T': 'tid', 'example.com/t': 'oid' } })).to.throw('OIDC extra keys name "example.com/t" twice');
      expect(createOidcVerifier({ ...base, usernamePrefix: 'aad: ', groupsPrefix: 'g:' }).config.usernamePrefix).to.equal('aad: ');
    });

    it('has the documented defaults', () => {
      const { config } = createOidcVerifier({ issuerURL: LOCAL_ISSUER, audience: LOCAL_AUDIENCE });
      expect(config).to.include({ usernameClaim: 'oid', groupsClaim: 'groups', usernamePrefix: '', groupsPrefix: '', clockSkewSeconds: 60 });
      expect(config.algorithms).to.deep.equal(['RS256', 'ES256', 'PS256']);
    });
  });
});
