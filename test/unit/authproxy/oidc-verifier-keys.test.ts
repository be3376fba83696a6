import { expect } from 'chai';
import { createOidcVerifier } from '../../../proxy/src/authproxy/oidc-verifier.js';
import type { OidcVerifierConfig } from '../../../proxy/src/authproxy/oidc-config.js';
import { createLocalIssuer, LOCAL_AUDIENCE, LOCAL_ISSUER } from './local-issuer.js';
import type { LocalIssuer } from './local-issuer.js';
import { rejection } from './reject.js';

const DISCOVERY = '/tenant-a/v2.0/.well-known/openid-configuration';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('authproxy/oidc-verifier (discovery and signing keys)', () => {
  let issuer: LocalIssuer;
  const verifierFor = (overrides: Partial<OidcVerifierConfig> = {}) =>
    createOidcVerifier({ issuerURL: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, fetch: issuer.fetch, ...overrides });

  beforeEach(async () => {
    issuer = await createLocalIssuer();
  });

  it('fetches discovery and keys once for many tokens', async () => {
    const verifier = verifierFor();
    await Promise.all([1, 2, 3, 4, 5].map(async () => verifier.verify(await issuer.mint())));
    expect(issuer.fetchCount(DISCOVERY)).to.equal(1);
    expect(issuer.fetchCount('/keys')).to.equal(1);
  });

  it('refetches the keys for an unknown kid, at most once per cooldown', async () => {
    const verifier = verifierFor({ jwksRefetchCooldownMs: 300 });
    await verifier.verify(await issuer.mint());
    const rotated = await issuer.addKey();
    // Within the cooldown a flood of unknown kids costs no fetch.
    for (let i = 0; i < 5; i++) {
      expect((await rejection(verifier.verify(await issuer.mint({}, { kid: rotated.kid })))).reason).to.equal('unknown_kid');
    }
    expect(issuer.fetchCount('/keys')).to.equal(1);
    await sleep(350);
    expect((await verifier.verify(await issuer.mint({}, { kid: rotated.kid }))).identity.username).to.equal('user-oid-1');
    expect(issuer.fetchCount('/keys')).to.equal(2);
  });

  it('issuer unreachable at discovery: 503 reason, and one attempt per back-off window', async () => {
    issuer.setAvailable(false);
    const verifier = verifierFor({ failureBackoffMs: 200 });
    const token = await issuer.mint();
    const rejected = await rejection(verifier.verify(token));
    expect(rejected.reason).to.equal('issuer_unreachable');
    expect(rejected.httpStatus).to.equal(503);
    expect(rejected.message).to.contain(`OIDC issuer ${LOCAL_ISSUER} is unreachable`);
    expect((await rejection(verifier.verify(token))).reason).to.equal('issuer_unreachable');
    expect(issuer.fetchCount(DISCOVERY)).to.equal(1);
    await sleep(250);
    issuer.setAvailable(true);
    expect((await verifier.verify(token)).identity.username).to.equal('user-oid-1');
  });

  it('issuer down after keys were fetched: known keys keep verifying, a new kid is a 503 not a 401', async () => {
    const verifier = verifierFor({ jwksCacheMaxAgeMs: 50, jwksRefetchCooldownMs: 0, failureBackoffMs: 10_000 });
    await verifier.verify(await issuer.mint());
    issuer.setAvailable(false);
    await sleep(80); // cache now stale: the next verify tries to refetch and fails
    expect((await verifier.verify(await issuer.mint())).identity.username).to.equal('user-oid-1');
    const fetchesWhileDown = issuer.fetchCount('/keys');
    expect((await verifier.verify(await issuer.mint())).identity.username).to.equal('user-oid-1');
    expect(issuer.fetchCount('/keys'), 'backs off instead of refetching per request').to.equal(fetchesWhileDown);
    const rotated = await issuer.addKey();
    const rejected = await rejection(verifier.verify(await issuer.mint({}, { kid: rotated.kid })));
    expect(rejected.reason).to.equal('issuer_unreachable');
  });

  it('refuses a discovery document that names another issuer', async () => {
    const lying = createOidcVerifier({
      issuerURL: 'https://local-issuer.test/tenant-a/v2.0',
      audience: LOCAL_AUDIENCE,
      fetch: (url, init) =>
        url.endsWith('openid-configuration')
          ? Promise.resolve(Response.json({ issuer: 'https://evil.example', jwks_uri: 'https://evil.example/keys' }))
          : issuer.fetch(url, init),
    });
    const rejected = await rejection(lying.verify(await issuer.mint()));
    expect(rejected.reason).to.equal('issuer_unreachable');
    expect(rejected.message).to.contain('names issuer "https://evil.example"');
  });
});
