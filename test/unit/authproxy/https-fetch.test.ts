import { expect } from 'chai';
import { createHttpsFetch } from '../../../proxy/src/authproxy/https-fetch.js';
import { createOidcVerifier } from '../../../proxy/src/authproxy/oidc-verifier.js';
import { startTestOidcProvider } from '../../support/oidc-provider.js';
import type { TestOidcProvider } from '../../support/oidc-provider.js';

describe('authproxy/https-fetch (per-issuer CA trust)', () => {
  let provider: TestOidcProvider;

  before(async () => {
    provider = await startTestOidcProvider({
      algorithm: 'ES256',
      principals: [{ clientId: 'app', clientSecret: 'app-secret', kind: 'servicePrincipal', oid: 'app-oid', tid: 't' }],
    });
  });

  after(async () => {
    await provider?.close();
  });

  it('fetches from an issuer with a private CA when given that CA', async () => {
    const response = await createHttpsFetch({ ca: provider.caPem })(`${provider.issuer}/.well-known/openid-configuration`);
    expect(response.status).to.equal(200);
    expect(((await response.json()) as { issuer: string }).issuer).to.equal(provider.issuer);
  });

  it('fails TLS verification without it', async () => {
    let failure: unknown;
    await createHttpsFetch({ ca: [] })(`${provider.issuer}/jwks`).catch((error: unknown) => (failure = error));
    expect(failure).to.be.instanceOf(Error);
  });

  it('refuses plain http and oversized bodies', async () => {
    let failure: unknown;
    await createHttpsFetch({ ca: provider.caPem })('http://127.0.0.1:1/').catch((error: unknown) => (failure = error));
    expect(String(failure)).to.contain('only https');
    failure = undefined;
    await createHttpsFetch({ ca: provider.caPem, maxBodyBytes: 16 })(`${provider.issuer}/jwks`).catch((error: unknown) => (failure = error));
    expect(String(failure)).to.contain('exceeds 16 bytes');
  });

  it('serves the verifier: ES256 tokens of the real provider verify', async () => {
    const verifier = createOidcVerifier({ issuerURL: provider.issuer, audience: provider.audience, fetch: createHttpsFetch({ ca: provider.caPem }) });
    const verified = await verifier.verify(await provider.token('app'));
    expect(verified.identity).to.deep.equal({ username: 'app-oid', groups: [], extra: { 'clusterconnect.io/tid': ['t'] } });
  });
});
