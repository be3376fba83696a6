// The verifier against a real OpenID Provider (npm oidc-provider) over HTTPS with its own CA: real discovery,
// real JWKS, real signed tokens, key rotation. Negative cases here tamper with the provider's own tokens.
import { expect } from 'chai';
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT } from 'jose';
import type { JWK } from 'jose';
import { createHttpsFetch } from '../../../proxy/src/authproxy/https-fetch.js';
import { createOidcVerifier, completeGroups } from '../../../proxy/src/authproxy/oidc-verifier.js';
import type { OidcVerifierConfig } from '../../../proxy/src/authproxy/oidc-config.js';
import type { GroupOverage } from '../../../proxy/src/authproxy/identity.js';
import { startTestOidcProvider } from '../../support/oidc-provider.js';
import type { TestOidcProvider } from '../../support/oidc-provider.js';
import { unsecuredJwt } from './local-issuer.js';
import { rejection } from './reject.js';

const TENANT = '72f988bf-0000-4000-8000-000000000001';
const ALICE_OID = '0a1b2c3d-0000-4000-8000-00000000a11c';
const SP_OID = '5e7e1ce0-0000-4000-8000-0000000005b1';
const MANY_OID = '3a4e0000-0000-4000-8000-0000000000aa';

describe('authproxy/oidc-verifier against a real OpenID Provider', function () {
  this.timeout(15_000);
  let provider: TestOidcProvider;
  let providerFetch: ReturnType<typeof createHttpsFetch>;
  const verifierFor = (overrides: Partial<OidcVerifierConfig> = {}) =>
    createOidcVerifier({ issuerURL: provider.issuer, audience: provider.audience, fetch: providerFetch, allowedTenants: [TENANT], ...overrides });

  before(async () => {
    provider = await startTestOidcProvider({
      otherAudiences: ['api://some-other-api'],
      principals: [
        { clientId: 'alice', clientSecret: 'alice-secret', kind: 'user', oid: ALICE_OID, tid: TENANT, upn: 'alice@contoso.test', groups: ['readers', 'devs'] },
        { clientId: 'deploy-bot', clientSecret: 'bot-secret', kind: 'servicePrincipal', oid: SP_OID, tid: TENANT, groups: ['deployers'] },
        { clientId: 'many-groups', clientSecret: 'many-secret', kind: 'user', oid: MANY_OID, tid: TENANT, groupsOverage: true },
        { clientId: 'outsider', clientSecret: 'outsider-secret', kind: 'user', oid: 'outsider-oid', tid: 'another-tenant', groups: [] },
      ],
    });
    providerFetch = createHttpsFetch({ ca: provider.caPem });
  });

  after(async () => {
    await provider?.close();
  });

  it('verifies a user token issued by client credentials: oid, groups, tid', async () => {
    const verified = await verifierFor().verify(await provider.token('alice'));
    expect(verified.identity).to.deep.equal({ username: ALICE_OID, groups: ['readers', 'devs'], extra: { 'clusterconnect.io/tid': [TENANT] } });
    expect(verified.principalType).to.equal('user');
  });

  it('verifies a service-principal (app-only) token like a user', async () => {
    const verified = await verifierFor().verify(await provider.token('deploy-bot'));
    expect(verified.identity.username).to.equal(SP_OID);
    expect(verified.identity.groups).to.deep.equal(['deployers']);
    expect(verified.principalType).to.equal('servicePrincipal');
  });

  it('marks group overage and lets a GroupResolver fill the groups, prefixed', async () => {
    const verifier = verifierFor({ groupsPrefix: 'aad:' });
    const verified = await verifier.verify(await provider.token('many-groups'));
    expect(verified.groupsOverage).to.include({ objectId: MANY_OID, tenantId: TENANT, principalType: 'user' });
    expect(verified.identity.groups).to.deep.equal([]);
    const asked: GroupOverage[] = [];
    const resolver = { resolveGroups: (overage: GroupOverage) => (asked.push(overage), Promise.resolve(Array.from({ length: 250 }, (_, i) => `g${i}`))) };
    const completed = await completeGroups(verified, resolver, verifier.config);
    expect(asked).to.have.length(1);
    expect(completed.groupsOverage).to.equal(undefined);
    expect(completed.identity.groups).to.have.length(250);
    expect(completed.identity.groups[0]).to.equal('aad:g0');
  });

  it('refuses a tenant outside the allow-list', async () => {
    expect((await rejection(verifierFor().verify(await provider.token('outsider')))).reason).to.equal('tenant_not_allowed');
  });

  it('refuses a real token for another audience', async () => {
    const rejected = await rejection(verifierFor().verify(await provider.token('alice', 'api://some-other-api')));
    expect(rejected.reason).to.equal('wrong_audience');
  });

  it('refuses a real token when configured for another issuer URL of the same keys', async () => {
    // Same discovery and JWKS, but the configured issuer has a trailing slash: iss must match exactly.
    const verifier = createOidcVerifier({
      issuerURL: `${provider.issuer}/`,
      audience: provider.audience,
      fetch: (url, init) => providerFetch(url, init).then(async (res) => (url.endsWith('openid-configuration') ? Response.json({ ...((await res.json()) as object), issuer: `${provider.issuer}/` }) : res)),
    });
    expect((await rejection(verifier.verify(await provider.token('alice')))).reason).to.equal('wrong_issuer');
  });

  it('refuses a real token once expired, and says when', async () => {
    const token = await provider.token('alice');
    const { exp } = decodeJwt(token);
    const rejected = await rejection(verifierFor({ now: () => new Date(((exp ?? 0) + 120) * 1000) }).verify(token));
    expect(rejected.reason).to.equal('expired');
    expect(rejected.message).to.equal(`token expired at ${new Date((exp ?? 0) * 1000).toISOString().replace('.000Z', 'Z')}`);
  });

  it('refuses a real token with a flipped signature byte or a re-signed payload', async () => {
    const token = await provider.token('alice');
    const [header, payload, signature = ''] = token.split('.');
    const flipped = Buffer.from(signature, 'base64url');
    flipped[10] = (flipped[10] ?? 0) ^ 0xff;
    expect((await rejection(verifierFor().verify(`${header}.${payload}.${flipped.toString('base64url')}`))).reason).to.equal('bad_signature');
    const escalated = Buffer.from(JSON.stringify({ ...decodeJwt(token), groups: ['cluster-admins'] })).toString('base64url');
    expect((await rejection(verifierFor().verify(`${header}.${escalated}.${signature}`))).reason).to.equal('bad_signature');
  });

  it('refuses alg none and HS256 keyed with the provider public key, built from a real token', async () => {
    const token = await provider.token('alice');
    const claims = decodeJwt(token);
    expect((await rejection(verifierFor().verify(unsecuredJwt(claims)))).reason).to.equal('alg_not_allowed');
    const jwks = (await (await providerFetch(`${provider.issuer}/jwks`)).json()) as { keys: JWK[] };
    const publicJwk = jwks.keys[0] ?? {};
    const hmacKey = await importJWK({ kty: 'oct', k: Buffer.from(JSON.stringify(publicJwk)).toString('base64url') }, 'HS256');
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: decodeProtectedHeader(token).kid ?? '' }).sign(hmacKey);
    expect((await rejection(verifierFor().verify(forged))).reason).to.equal('alg_not_allowed');
  });

  it('follows key rotation: new kid refetched (once per cooldown), old tokens valid until the key is retired', async () => {
    const verifier = verifierFor({ jwksRefetchCooldownMs: 0 });
    const before = await provider.token('alice');
    await verifier.verify(before);
    const fetchesBefore = provider.requestCount('/jwks');

    await provider.rotateKeys();
    const after = await provider.token('alice');
    expect(decodeProtectedHeader(after).kid).to.equal(provider.currentKid()).and.not.equal(decodeProtectedHeader(before).kid);
    expect((await verifier.verify(after)).identity.username).to.equal(ALICE_OID);
    expect(provider.requestCount('/jwks')).to.equal(fetchesBefore + 1);
    expect((await verifier.verify(before)).identity.username).to.equal(ALICE_OID, 'previous key is still published');

    await provider.rotateKeys({ retirePrevious: true });
    const latest = await provider.token('alice');
    expect((await verifier.verify(latest)).identity.username).to.equal(ALICE_OID);
    // `after` was signed by a key the issuer no longer publishes; the cached set was replaced on refetch.
    expect((await rejection(verifier.verify(after))).reason).to.equal('unknown_kid');
  });

  it('with the default cooldown, a burst of tokens with a new kid costs one JWKS fetch', async () => {
    const verifier = verifierFor();
    await verifier.verify(await provider.token('alice'));
    await provider.rotateKeys();
    const fetches = provider.requestCount('/jwks');
    const rotated = await provider.token('alice');
    const results = await Promise.allSettled([1, 2, 3, 4, 5, 6].map(() => verifier.verify(rotated)));
    // The first fetch was just now, so the cooldown refuses a refetch: unknown_kid, no extra traffic.
    expect(results.every((r) => r.status === 'rejected')).to.equal(true);
    expect(provider.requestCount('/jwks')).to.equal(fetches);
  });

  it('issuer unreachable: 503 reason with a clear message, never an accept', async () => {
    const token = await provider.token('alice');
    provider.setAvailable(false);
    try {
      const rejected = await rejection(verifierFor().verify(token));
      expect(rejected.reason).to.equal('issuer_unreachable');
      expect(rejected.httpStatus).to.equal(503);
      expect(rejected.message).to.contain('answered HTTP 503');
    } finally {
      provider.setAvailable(true);
    }
  });

  it('without the provider CA, discovery fails as issuer_unreachable (TLS is verified)', async () => {
    const rejected = await rejection(verifierFor({ fetch: createHttpsFetch({ ca: [] }) }).verify(await provider.token('alice')));
    expect(rejected.reason).to.equal('issuer_unreachable');
  });
});
