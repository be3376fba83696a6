// AuthProxyConfig.tokenCacheTtlMs as startAuthProxy takes it: 0 turns the verified-token cache off, so a token sent
// again is verified again. The issuer's keys are never cached here either (jwksCacheMaxAgeMs 0), so every
// verification fetches the JWKS: the count the proxy's default cache holds at one.
import { expect } from 'chai';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { startAuthProxy } from '../../../proxy/src/authproxy/start.js';
import { httpsCall } from '../../support/https-call.js';
import { createSelfSignedCertificate } from '../../support/oidc/self-signed-cert.js';
import { createLocalIssuer, LOCAL_AUDIENCE, LOCAL_ISSUER } from './local-issuer.js';
import type { LocalIssuer } from './local-issuer.js';
import { localProxyConfig, writeLocalProxyFiles } from './local-proxy-config.js';
import type { LocalProxyFiles } from './local-proxy-config.js';

describe('authproxy tokenCacheTtlMs (startAuthProxy)', function () {
  this.timeout(15_000);
  let issuer: LocalIssuer;
  let upstream: Server;
  let files: LocalProxyFiles;

  before(async () => {
    issuer = await createLocalIssuer();
    const tls = await createSelfSignedCertificate('fake-apiserver.test');
    upstream = createServer({ cert: tls.certPem, key: tls.keyPem }, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    files = await writeLocalProxyFiles({ upstreamCaPem: tls.certPem });
  });

  after(async () => {
    upstream?.closeAllConnections();
    await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
    files?.remove();
  });

  /** How many times three requests with one token made the proxy fetch the issuer's keys. */
  async function keyFetchesForThreeRequests(tokenCacheTtlMs: number | undefined): Promise<number> {
    const proxy = await startAuthProxy(
      localProxyConfig(files, {
        upstreamPort: (upstream.address() as AddressInfo).port,
        oidc: [{ issuerURL: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, fetch: issuer.fetch, jwksCacheMaxAgeMs: 0 }],
        ...(tokenCacheTtlMs === undefined ? {} : { tokenCacheTtlMs }),
      }),
    );
    try {
      const token = await issuer.mint();
      const before = issuer.fetchCount('/keys');
      for (let i = 0; i < 3; i++) {
        const result = await httpsCall(`${proxy.url}/api/v1/pods`, { ca: files.proxyCa, headers: [['Authorization', `Bearer ${token}`]] });
        expect(result.status, result.body).to.equal(200);
      }
      return issuer.fetchCount('/keys') - before;
    } finally {
      await proxy.close();
    }
  }

  it('0 verifies every request; the default verifies the token once', async () => {
    expect(await keyFetchesForThreeRequests(0)).to.equal(3);
    expect(await keyFetchesForThreeRequests(undefined)).to.equal(1);
  });
});
