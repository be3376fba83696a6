import { expect } from 'chai';
import { graphHttp } from '../../../proxy/src/authproxy/graph-http.js';
import { createHttpsFetch, TrustingAgent } from '../../../proxy/src/authproxy/https-fetch.js';
import { createMsalNetworkClient } from '../../../proxy/src/authproxy/msal-network-client.js';
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

  /** A CA bundle that counts how often its certificate is read: Node reads it once per TLS context it builds. */
  const countedCa = () => {
    const reads = { count: 0 };
    const ca = new Proxy([provider.caPem], {
      get(target, property, receiver) {
        if (property === '0') reads.count++;
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    return { ca, reads };
  };

  it('builds its TLS context on the first request, not when created, and then keeps it', async () => {
    const { ca, reads } = countedCa();
    const fetchLike = createHttpsFetch({ ca });
    await fetchLike('http://127.0.0.1:1/').catch(() => undefined); // refused before any connection
    expect(reads.count, 'nothing built by creating the fetch, nor by a refused URL').to.equal(0);
    expect((await fetchLike(`${provider.issuer}/.well-known/openid-configuration`)).status).to.equal(200);
    expect((await fetchLike(`${provider.issuer}/jwks`)).status).to.equal(200);
    expect(reads.count).to.equal(1);
  });

  it('one trust shared by a fetch and msal\'s network client is one TLS context', async () => {
    const { ca, reads } = countedCa();
    const trust = new TrustingAgent(ca);
    const fetchLike = createHttpsFetch({ trust });
    const msal = createMsalNetworkClient(trust);
    expect(reads.count).to.equal(0);
    expect((await fetchLike(`${provider.issuer}/.well-known/openid-configuration`)).status).to.equal(200);
    expect((await msal.sendGetRequestAsync<{ issuer: string }>(`${provider.issuer}/.well-known/openid-configuration`)).body.issuer).to.equal(provider.issuer);
    expect(reads.count).to.equal(1);
  });

  it('graph-http builds no trust twice: the authority takes the issuer\'s agent as it is, else Graph\'s', () => {
    const none = graphHttp({});
    expect(none.authorityTrust).to.equal(undefined);
    const graphOnly = graphHttp({ ca: provider.caPem });
    expect(graphOnly.authorityTrust).to.be.instanceOf(TrustingAgent);
    expect(graphOnly.authorityFetch).to.equal(graphOnly.graphFetch);
    const issuerTrust = new TrustingAgent(provider.caPem);
    const both = graphHttp({ ca: provider.caPem, issuerTrust });
    expect(both.authorityTrust).to.equal(issuerTrust);
    expect(both.authorityFetch).not.to.equal(both.graphFetch);
    const issuerOnly = graphHttp({ issuerTrust });
    expect(issuerOnly.authorityTrust).to.equal(issuerTrust);
    expect(issuerOnly.authorityFetch).not.to.equal(issuerOnly.graphFetch);
  });
});
