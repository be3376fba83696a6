// Entra ID v1.0 access tokens (what a server app registration issues by default: `iss` https://sts.windows.net/<tid>/)
// are accepted next to v2.0 ones when the configured issuer is that tenant's v2.0 issuer: same keys, same checks,
// same identity, `tid` pinned to the tenant. Tokens are minted locally; the "Entra" discovery and JWKS are served by
// an injected fetch, so nothing reaches Microsoft.
import { expect } from 'chai';
import type { JWTPayload } from 'jose';
import { createAuthenticator } from '../../../proxy/src/authproxy/authenticate.js';
import { createBearerClassifier, routeByIssuer } from '../../../proxy/src/authproxy/bearer-classifier.js';
import { entraTenantIssuers, V1_HOST_OF_V2_HOST } from '../../../proxy/src/authproxy/entra-issuer.js';
import type { OidcVerifierConfig } from '../../../proxy/src/authproxy/oidc-config.js';
import { createOidcVerifier } from '../../../proxy/src/authproxy/oidc-verifier.js';
import { startAuthProxy } from '../../../proxy/src/authproxy/start.js';
import { isEntraAuthority } from '../../../proxy/src/common/entra-authority.js';
import { captureLogger } from '../tunnel/helpers.js';
import { bearer, createLocalIssuer, LOCAL_AUDIENCE, LOCAL_ISSUER, unsecuredJwt } from './local-issuer.js';
import type { LocalIssuer } from './local-issuer.js';
import { localProxyConfig, writeLocalProxyFiles } from './local-proxy-config.js';
import type { LocalProxyFiles } from './local-proxy-config.js';
import { rejection } from './reject.js';

const TENANT = 'aaaaaaaa-1111-4222-8333-444444444444';
const OTHER_TENANT = 'bbbbbbbb-5555-4666-8777-888888888888';
const V2 = `https://login.microsoftonline.com/${TENANT}/v2.0`;
const V1 = `https://sts.windows.net/${TENANT}/`;
const APP_ID = '11111111-2222-4333-8444-555555555555';
const APP_URI = `api://${APP_ID}`;

/** Claims as Entra puts them in each format (access-token-claims-reference): v1 has upn/unique_name/appid, v2 azp/preferred_username. */
const V2_CLAIMS: JWTPayload = { iss: V2, aud: APP_ID, ver: '2.0', azp: 'client-app', preferred_username: 'alice@example.com' };
const V1_CLAIMS: JWTPayload = { iss: V1, aud: APP_URI, ver: '1.0', appid: 'client-app', upn: 'alice@example.com', unique_name: 'alice@example.com' };

describe('authproxy/entra-issuer (v1.0 twin of a tenant v2.0 issuer)', () => {
  it('derives sts.windows.net/<tid>/ (trailing slash) for the global and US Government hosts, sts.chinacloudapi.cn for China', () => {
    expect(entraTenantIssuers(V2)).to.deep.equal({ tenantId: TENANT, v1: V1 });
    expect(entraTenantIssuers(`https://login.microsoftonline.us/${TENANT}/v2.0`)?.v1).to.equal(V1);
    for (const host of ['login.partner.microsoftonline.cn', 'login.chinacloudapi.cn']) {
      expect(entraTenantIssuers(`https://${host}/${TENANT}/v2.0`)?.v1, host).to.equal(`https://sts.chinacloudapi.cn/${TENANT}/`);
    }
  });

  it('has none for multi-tenant forms, tenant names, personal accounts, near misses and other hosts', () => {
    for (const issuer of [
      'https://login.microsoftonline.com/common/v2.0',
      'https://login.microsoftonline.com/organizations/v2.0',
      'https://login.microsoftonline.com/consumers/v2.0',
      'https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0',
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0',
      `${V2}/`,
      `https://login.microsoftonline.com/${TENANT.toUpperCase()}/v2.0`,
      `https://login.microsoftonline.com/${TENANT}`,
      `https://login.microsoftonline.com/${TENANT}/v2.0?x=1`,
      `https://login.microsoftonline.com:443/${TENANT}/v2.0`,
      `http://login.microsoftonline.com/${TENANT}/v2.0`,
      V1,
      `https://login.windows.net/${TENANT}/v2.0`,
      `https://login.microsoftonline.com.evil.example/${TENANT}/v2.0`,
      `https://idp.example.test/${TENANT}/v2.0`,
      LOCAL_ISSUER,
    ]) {
      expect(entraTenantIssuers(issuer), issuer).to.equal(undefined);
    }
  });

  it('knows v2.0 hosts only among those the rest of the code treats as Entra (msal as-is, entra-authority.ts)', () => {
    expect(V1_HOST_OF_V2_HOST.size).to.be.greaterThan(0);
    for (const host of V1_HOST_OF_V2_HOST.keys()) {
      expect(isEntraAuthority(`https://${host}/${TENANT}/v2.0`), host).to.equal(true);
      expect(entraTenantIssuers(`https://${host}/${TENANT}/v2.0`)?.tenantId, host).to.equal(TENANT);
    }
  });
});

describe('authproxy/oidc-verifier with Entra v1.0 tokens', () => {
  let entra: LocalIssuer;
  const verifierFor = (overrides: Partial<OidcVerifierConfig> = {}) =>
    createOidcVerifier({ issuerURL: V2, audience: [APP_ID, APP_URI], fetch: entra.fetch, entraV1Tokens: true, ...overrides });

  beforeEach(async () => {
    entra = await createLocalIssuer({ issuer: V2, defaults: { tid: TENANT, aud: APP_ID } });
  });

  it('accepts the v1.0 token (same keys) with the same identity as its v2.0 twin', async () => {
    const verifier = verifierFor({ uidClaim: 'oid' });
    expect(verifier.acceptedIssuers).to.deep.equal([V2, V1]);
    const fromV2 = await verifier.verify(await entra.mint(V2_CLAIMS));
    const fromV1 = await verifier.verify(await entra.mint(V1_CLAIMS));
    const expected = { username: 'user-oid-1', uid: 'user-oid-1', groups: ['group-1'], extra: { 'clusterconnect.io/tid': [TENANT] } };
    expect(fromV2.identity).to.deep.equal(expected);
    expect(fromV1.identity).to.deep.equal(expected);
    expect(fromV1.principalType).to.equal(fromV2.principalType);
    // The app id form of aud, which a v1.0 token also carries when the client asked for it.
    expect((await verifier.verify(await entra.mint({ ...V1_CLAIMS, aud: APP_ID }))).identity).to.deep.equal(expected);
  });

  it('maps group overage, app-only tokens and prefixes of a v1.0 token as it does for v2.0', async () => {
    const overage = { _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: `https://graph.windows.net/${TENANT}/users/user-oid-1/getMemberObjects` } } };
    const v1Overage = await verifierFor().verify(await entra.mint({ ...V1_CLAIMS, ...overage }, { omit: ['groups'] }));
    const v2Overage = await verifierFor().verify(await entra.mint({ ...V2_CLAIMS, ...overage }, { omit: ['groups'] }));
    expect(v1Overage.groupsOverage).to.deep.equal(v2Overage.groupsOverage).and.to.include({ objectId: 'user-oid-1', tenantId: TENANT });
    const app = await verifierFor().verify(await entra.mint({ ...V1_CLAIMS, oid: 'sp-oid', idtyp: 'app' }, { omit: ['scp'] }));
    expect(app.principalType).to.equal('servicePrincipal');
    const prefixed = await verifierFor({ usernamePrefix: 'aad:', groupsPrefix: 'aad:', usernameClaim: 'upn' }).verify(await entra.mint(V1_CLAIMS));
    expect(prefixed.identity).to.include({ username: 'aad:alice@example.com' });
    expect(prefixed.identity.groups).to.deep.equal(['aad:group-1']);
  });

  it('refuses a v1.0 token of another tenant as a wrong issuer, naming both accepted issuers', async () => {
    const rejected = await rejection(verifierFor().verify(await entra.mint({ ...V1_CLAIMS, iss: `https://sts.windows.net/${OTHER_TENANT}/`, tid: OTHER_TENANT })));
    expect(rejected.reason).to.equal('wrong_issuer');
    expect(rejected.message).to.equal(`token issuer "https://sts.windows.net/${OTHER_TENANT}/" is not "${V2}" or "${V1}"`);
    for (const iss of [V1.slice(0, -1), V1.toUpperCase(), `https://sts.chinacloudapi.cn/${TENANT}/`]) {
      expect((await rejection(verifierFor().verify(await entra.mint({ ...V1_CLAIMS, iss })))).reason, iss).to.equal('wrong_issuer');
    }
  });

  it('refuses a token whose tid is not the tenant of its issuer, v1.0 and v2.0 alike, or that has no tid', async () => {
    const v1 = await rejection(verifierFor().verify(await entra.mint({ ...V1_CLAIMS, tid: OTHER_TENANT })));
    expect(v1.reason).to.equal('tenant_not_allowed');
    expect(v1.message).to.equal(`token tenant "${OTHER_TENANT}" is not the tenant of its issuer "${V1}" ("${TENANT}")`);
    expect((await rejection(verifierFor().verify(await entra.mint({ ...V2_CLAIMS, tid: OTHER_TENANT })))).reason).to.equal('tenant_not_allowed');
    const none = await rejection(verifierFor().verify(await entra.mint(V1_CLAIMS, { omit: ['tid'] })));
    expect(none.reason).to.equal('tenant_not_allowed');
    expect(none.message).to.contain('token tenant (none)');
  });

  it('keeps every other check for v1.0 tokens: lifetime, algorithm, keys, required and reserved claims, tenant allow-list', async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    expect((await rejection(verifierFor().verify(await entra.mint({ ...V1_CLAIMS, exp: past, iat: past - 600, nbf: past - 600 })))).reason).to.equal('expired');
    expect((await rejection(verifierFor().verify(await entra.mint(V1_CLAIMS, { omit: ['exp'] })))).reason).to.equal('missing_claim');
    expect((await rejection(verifierFor().verify(unsecuredJwt({ ...entra.defaultClaims(), ...V1_CLAIMS })))).reason).to.equal('alg_not_allowed');
    const { privateKey } = await (await createLocalIssuer()).addKey();
    expect((await rejection(verifierFor().verify(await entra.mint(V1_CLAIMS, { kid: 'not-published', key: privateKey })))).reason).to.equal('unknown_kid');
    expect((await rejection(verifierFor().verify(await entra.mint(V1_CLAIMS, { kid: 'local-1', key: privateKey })))).reason).to.equal('bad_signature');
    expect((await rejection(verifierFor().verify(await entra.mint(V1_CLAIMS, { omit: ['oid'] })))).reason).to.equal('missing_claim');
    expect((await rejection(verifierFor().verify(await entra.mint({ ...V1_CLAIMS, groups: ['system:masters'] })))).reason).to.equal('reserved_name');
    expect((await rejection(verifierFor({ allowedTenants: [OTHER_TENANT] }).verify(await entra.mint(V1_CLAIMS)))).reason).to.equal('tenant_not_allowed');
    expect((await rejection(verifierFor({ audience: 'api://another-app' }).verify(await entra.mint(V1_CLAIMS)))).reason).to.equal('wrong_audience');
  });

  it('accepts only the configured issuer unless entraV1Tokens is on (the relay leaves it off)', async () => {
    const verifier = verifierFor({ entraV1Tokens: undefined });
    expect(verifier.acceptedIssuers).to.deep.equal([V2]);
    expect((await rejection(verifier.verify(await entra.mint(V1_CLAIMS)))).reason).to.equal('wrong_issuer');
    // Without the option the issuer's tid is not pinned either (allowedTenants is the knob, as before).
    expect((await verifier.verify(await entra.mint({ ...V2_CLAIMS, tid: OTHER_TENANT }))).identity.username).to.equal('user-oid-1');
  });

  it('refuses a v1.0-looking issuer when the configured issuer is not a tenant Entra v2.0 issuer', async () => {
    const local = await createLocalIssuer();
    const localVerifier = createOidcVerifier({ issuerURL: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, fetch: local.fetch, entraV1Tokens: true });
    expect(localVerifier.acceptedIssuers).to.deep.equal([LOCAL_ISSUER]);
    expect((await rejection(localVerifier.verify(await local.mint({ iss: 'https://sts.windows.net/tenant-a/' })))).reason).to.equal('wrong_issuer');

    // A GUID path on a host that is not Entra's, signed with that issuer's own (published) key.
    const lookalikeURL = `https://idp.example.test/${TENANT}/v2.0`;
    const lookalike = await createLocalIssuer({ issuer: lookalikeURL, defaults: { tid: TENANT } });
    const lookalikeVerifier = createOidcVerifier({ issuerURL: lookalikeURL, audience: LOCAL_AUDIENCE, fetch: lookalike.fetch, entraV1Tokens: true });
    expect(lookalikeVerifier.acceptedIssuers).to.deep.equal([lookalikeURL]);
    expect((await rejection(lookalikeVerifier.verify(await lookalike.mint({ iss: V1 })))).reason).to.equal('wrong_issuer');

    for (const multiTenant of ['https://login.microsoftonline.com/organizations/v2.0', 'https://login.microsoftonline.com/common/v2.0']) {
      expect(createOidcVerifier({ issuerURL: multiTenant, audience: APP_ID, entraV1Tokens: true }).acceptedIssuers, multiTenant).to.deep.equal([multiTenant]);
    }
  });

  describe('wrong_audience that differs only by api:// names the aud to configure', () => {
    it('a v1.0 token for api://<app id> when the app id is configured', async () => {
      const rejected = await rejection(verifierFor({ audience: APP_ID }).verify(await entra.mint(V1_CLAIMS)));
      expect(rejected.reason).to.equal('wrong_audience');
      expect(rejected.message).to.equal(
        `token audience "${APP_URI}" is not "${APP_ID}": this Entra v1.0 token carries aud "${APP_URI}", the resource identifier its client asked for, ` +
          `and audiences are compared exactly: the configured audience (--oidc-audience, spec.authProxy.oidc.audience) must be exactly "${APP_URI}", or the client must ask for "${APP_ID}"`,
      );
    });

    it('a v1.0 token for the app id when api://<app id> is configured', async () => {
      const rejected = await rejection(verifierFor({ audience: APP_URI }).verify(await entra.mint({ ...V1_CLAIMS, aud: APP_ID })));
      expect(rejected.message).to.contain(`this Entra v1.0 token carries aud "${APP_ID}"`).and.to.contain(`must be exactly "${APP_ID}", or the client must ask for "${APP_URI}"`);
    });

    it('a v2.0 token (always the app id) when api://<app id> is configured', async () => {
      const rejected = await rejection(verifierFor({ audience: APP_URI }).verify(await entra.mint(V2_CLAIMS)));
      expect(rejected.message).to.contain(`Entra v2.0 tokens always carry the application id, here "${APP_ID}"`).and.to.contain(`must be exactly "${APP_ID}"`);
    });

    it('no hint for an unrelated aud, nor for an issuer that is not Entra', async () => {
      const unrelated = await rejection(verifierFor({ audience: APP_ID }).verify(await entra.mint({ ...V1_CLAIMS, aud: 'api://another-app' })));
      expect(unrelated.message).to.equal(`token audience "api://another-app" is not "${APP_ID}"`);
      const local = await createLocalIssuer();
      const localVerifier = createOidcVerifier({ issuerURL: LOCAL_ISSUER, audience: 'kube', fetch: local.fetch, entraV1Tokens: true });
      expect((await rejection(localVerifier.verify(await local.mint({ aud: 'api://kube' })))).message).to.equal('token audience "api://kube" is not "kube"');
    });
  });
});

describe('authproxy bearer routing of Entra v1.0 tokens', () => {
  let entra: LocalIssuer;
  const jwt = (payload: object) => `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;

  beforeEach(async () => {
    entra = await createLocalIssuer({ issuer: V2, defaults: { tid: TENANT, aud: APP_ID } });
  });

  it('the classifier sends a v1.0 token of the tenant to OIDC verification, by its v2.0 verifier', () => {
    const verifier = createOidcVerifier({ issuerURL: V2, audience: APP_ID, fetch: entra.fetch, entraV1Tokens: true });
    const routes = routeByIssuer([verifier]);
    const classify = createBearerClassifier(routes);
    const token = jwt({ iss: V1 });
    expect(classify(bearer(token))).to.deep.equal({ kind: 'oidc', issuer: V1, token });
    expect(routes.get(V1)).to.equal(verifier);
    expect(routes.get(V2)).to.equal(verifier);
    for (const iss of [`https://sts.windows.net/${OTHER_TENANT}/`, V1.slice(0, -1), 'https://sts.windows.net/common/']) {
      const other = jwt({ iss });
      expect(classify(bearer(other)), iss).to.deep.equal({ kind: 'passthrough', token: other });
    }
  });

  it('an issuer configured for its own verifier keeps it; without entraV1Tokens a v1.0 token passes through', () => {
    const v2Verifier = createOidcVerifier({ issuerURL: V2, audience: APP_ID, entraV1Tokens: true });
    const v1Verifier = createOidcVerifier({ issuerURL: V1, audience: APP_URI });
    expect(routeByIssuer([v2Verifier, v1Verifier]).get(V1)).to.equal(v1Verifier);
    expect(routeByIssuer([v1Verifier, v2Verifier]).get(V1)).to.equal(v1Verifier);
    const plain = routeByIssuer([createOidcVerifier({ issuerURL: V2, audience: APP_ID })]);
    expect(createBearerClassifier(plain)(bearer(jwt({ iss: V1 }))).kind).to.equal('passthrough');
  });

  it('the authenticator forwards a v1.0 caller with the identity of its v2.0 twin, and refuses one of another tenant', async () => {
    const verifier = createOidcVerifier({ issuerURL: V2, audience: [APP_ID, APP_URI], fetch: entra.fetch, entraV1Tokens: true });
    const authenticator = createAuthenticator({ verifiers: [verifier], serviceAccountTokens: false });
    const fromV1 = await authenticator.decide(bearer(await entra.mint(V1_CLAIMS)));
    const fromV2 = await authenticator.decide(bearer(await entra.mint(V2_CLAIMS)));
    if (fromV1.kind !== 'forward' || fromV1.mode !== 'oidc') expect.fail(`expected an OIDC forward, got ${JSON.stringify(fromV1)}`);
    if (fromV2.kind !== 'forward' || fromV2.mode !== 'oidc') expect.fail(`expected an OIDC forward, got ${JSON.stringify(fromV2)}`);
    expect(fromV1.identity).to.deep.equal(fromV2.identity);
    expect(fromV1.headers).to.deep.equal(fromV2.headers);

    const wrongTid = await authenticator.decide(bearer(await entra.mint({ ...V1_CLAIMS, tid: OTHER_TENANT })));
    expect(wrongTid).to.include({ kind: 'refuse', mode: 'oidc', status: 401, reason: 'tenant_not_allowed' });
    const otherTenant = await authenticator.decide(bearer(await entra.mint({ ...V1_CLAIMS, iss: `https://sts.windows.net/${OTHER_TENANT}/`, tid: OTHER_TENANT })));
    expect(otherTenant).to.include({ kind: 'refuse', mode: 'passthrough', reason: 'passthrough_disabled' });
  });
});

describe('kube-aad-proxy startup with an Entra tenant issuer', function () {
  this.timeout(15_000);
  let files: LocalProxyFiles;

  before(async () => {
    files = await writeLocalProxyFiles();
  });

  after(() => files?.remove());

  /** The issuers of the "auth proxy listening" line of a proxy started with these OIDC settings (no request is made). */
  const startupIssuers = async (oidc: Partial<OidcVerifierConfig>): Promise<unknown> => {
    const { logger, lines } = captureLogger();
    const proxy = await startAuthProxy(localProxyConfig(files, { oidc: [{ issuerURL: V2, audience: APP_ID, ...oidc }], logger }));
    await proxy.close();
    const listening = lines.map((line) => JSON.parse(line) as { message?: string; issuers?: unknown }).find((entry) => entry.message === 'auth proxy listening');
    return listening?.issuers;
  };

  it('accepts v1.0 tokens by default and logs both accepted issuers; entraV1Tokens: false keeps only the configured one', async () => {
    expect(await startupIssuers({})).to.deep.equal([V2, V1]);
    expect(await startupIssuers({ entraV1Tokens: false })).to.deep.equal([V2]);
  });
});
