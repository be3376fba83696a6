// kube-aad-proxy's CA-file flags, each where it belongs: --oidc-ca-file replaces Node's default roots for the issuer's
// origin (as kube-apiserver's does), --graph-ca-file adds to them, and an issuer with a private CA next to the public
// Microsoft Graph must work. The Graph stand-in plays the public Graph here: its CA is made one of Node's default roots
// for the duration (as a public CA is), while the OpenID Provider's CA is only in the file the flags name. Both listen
// on 127.0.0.1, so the stand-in is also a default-trusted server on the issuer's host. Also: a
// --graph-client-certificate-file whose key does not match stops the proxy at startup, with one line naming the flag
// and the fix.
import { expect } from 'chai';
import { createPublicKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { exportJWK } from 'jose';
import { graphAppToken, graphGroupResolver } from '../../../proxy/src/authproxy/graph-clients.js';
import { graphHttp } from '../../../proxy/src/authproxy/graph-http.js';
import { TrustingAgent } from '../../../proxy/src/authproxy/https-fetch.js';
import type { FetchLike } from '../../../proxy/src/authproxy/https-fetch.js';
import { completeGroups, createOidcVerifier } from '../../../proxy/src/authproxy/oidc-verifier.js';
import { authProxyConfigFromFlags } from '../../../proxy/src/cli/auth-proxy-command.js';
import { msalClientCertificate } from '../../../proxy/src/common/client-certificate.js';
import { createRsaCertificate } from '../../support/client/rsa-certificate.js';
import { GRAPH_AUDIENCE, startGraphStandIn } from '../../support/graph-stand-in.js';
import type { GraphStandIn } from '../../support/graph-stand-in.js';
import { startTestOidcProvider } from '../../support/oidc-provider.js';
import type { TestOidcProvider } from '../../support/oidc-provider.js';
import { repoPath } from '../../support/repo.js';
import { run } from '../../support/run.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dir.js';

const TENANT = '72f988bf-0000-4000-8000-000000000001';
const MANY_OID = '3a4e0000-0000-4000-8000-0000000000aa';

type Flags = Parameters<typeof authProxyConfigFromFlags>[0];

/** Whether TLS to the URL's server succeeds (any HTTP answer counts); the TLS error's code otherwise. */
async function reaches(fetchLike: FetchLike, url: string): Promise<true | string> {
  try {
    await fetchLike(url, { signal: AbortSignal.timeout(5_000), redirect: 'manual' });
    return true;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return (error as { code?: string }).code ?? cause?.code ?? String(error);
  }
}

describe('kube-aad-proxy CA files and Graph credentials', function () {
  this.timeout(30_000);
  let provider: TestOidcProvider;
  let graph: GraphStandIn;
  let dir: string;
  let originalDefaults: string[];
  let issuerCaFile: string;
  let secretFile: string;
  let certificate: { certPem: string; keyPem: string };
  const discovery = () => `${provider.issuer}/.well-known/openid-configuration`;

  const flags = (overrides: Partial<Flags> = {}): Flags => ({
    address: '127.0.0.1',
    port: 0,
    opsHost: '127.0.0.1',
    opsPort: 0,
    tlsCertFile: 'tls.crt',
    tlsKeyFile: 'tls.key',
    oidcIssuerUrl: provider.issuer,
    oidcAudience: [provider.audience],
    oidcUsernameClaim: 'oid',
    oidcUsernamePrefix: '',
    oidcGroupsClaim: 'groups',
    oidcGroupsPrefix: 'aad:',
    oidcCaFile: issuerCaFile,
    serviceAccountTokens: true,
    graphUrl: graph.url,
    graphClientId: 'kube-aad-proxy',
    graphClientSecretFile: secretFile,
    graphCacheTtl: 300,
    drainSeconds: '1',
    ...overrides,
  });

  before(async () => {
    certificate = await createRsaCertificate('kube-aad-proxy-cert');
    const certificateJwk = { ...(await exportJWK(createPublicKey(certificate.certPem))), use: 'sig' };
    provider = await startTestOidcProvider({
      otherAudiences: [GRAPH_AUDIENCE],
      principals: [
        { clientId: 'kube-aad-proxy', clientSecret: 'proxy-app-secret', kind: 'servicePrincipal', oid: 'proxy-app-oid', tid: TENANT },
        { clientId: 'kube-aad-proxy-cert', clientSecret: 'unused', kind: 'servicePrincipal', oid: 'proxy-cert-oid', tid: TENANT, jwks: { keys: [certificateJwk] } },
        { clientId: 'many-groups', clientSecret: 'many-secret', kind: 'user', oid: MANY_OID, tid: TENANT, groupsOverage: true },
      ],
    });
    graph = await startGraphStandIn(provider, { users: { [MANY_OID]: ['g-1', 'g-2'] } });
    originalDefaults = getCACertificates('default');
    setDefaultCACertificates([...originalDefaults, graph.caPem]);
    dir = makeTempDir('cc-graph-trust-');
    issuerCaFile = join(dir, 'issuer-ca.pem');
    secretFile = join(dir, 'client-secret');
    writeFileSync(issuerCaFile, provider.caPem);
    writeFileSync(secretFile, 'proxy-app-secret\n', { mode: 0o600 });
  });

  after(async () => {
    if (originalDefaults) setDefaultCACertificates(originalDefaults);
    await graph?.close();
    await provider?.close();
    if (dir) removeTempDir(dir);
  });

  it('the stand-ins are set up as meant: Graph is trusted by the default roots, the issuer is not', async () => {
    expect(await reaches((url, init) => fetch(url, init), `${graph.url}/`)).to.equal(true);
    expect(await reaches((url, init) => fetch(url, init), discovery())).not.to.equal(true);
  });

  it('--oidc-ca-file replaces the default roots: the file\'s CA is accepted, a default-trusted certificate on the issuer\'s host refused', async () => {
    const config = authProxyConfigFromFlags(flags());
    const issuerFetch = config.oidc[0]!.fetch!;
    expect(await reaches(issuerFetch, discovery())).to.equal(true);
    expect(new URL(graph.url).hostname, 'the stand-in is on the issuer\'s host').to.equal(new URL(provider.issuer).hostname);
    expect(await reaches(issuerFetch, `${graph.url}/`), 'a certificate only the default roots vouch for').to.equal('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('the token authority on the issuer\'s origin trusts the issuer fetch\'s own agent: one trust, one pool', async () => {
    // --graph-ca-file too: the authority still takes the issuer's trust, not Graph's.
    const config = authProxyConfigFromFlags(flags({ graphCaFile: issuerCaFile }));
    const issuerTrust = config.graph!.issuerTrust;
    expect(issuerTrust).to.be.instanceOf(TrustingAgent);
    const http = graphHttp(config.graph!);
    expect(http.authorityTrust).to.equal(issuerTrust);
    expect(await reaches(config.oidc[0]!.fetch!, discovery())).to.equal(true);
    await new Promise((resolve) => setImmediate(resolve));
    // The issuer fetch's kept-alive connection waits in that agent, where the authority's next request takes it.
    expect(Object.keys(issuerTrust!.agent.freeSockets)).to.have.length(1);
    expect(await reaches(http.authorityFetch, `${graph.url}/`), 'the authority trusts the issuer\'s file alone').not.to.equal(true);
  });

  it('a private issuer next to a public Graph: the overage token is resolved end to end', async () => {
    const config = authProxyConfigFromFlags(flags());
    const graphConfig = config.graph!;
    expect(graphConfig.ca, 'Graph inherits no CA from --oidc-ca-file').to.equal(undefined);
    expect(graphConfig.issuerTrust, 'the token authority is on the issuer\'s origin, so it trusts the issuer CA').to.be.instanceOf(TrustingAgent);
    // What start.ts runs for this config.
    const resolver = graphGroupResolver({ ...graphConfig, graphResource: GRAPH_AUDIENCE });
    const verifier = createOidcVerifier(config.oidc[0]!);
    const verified = await verifier.verify(await provider.token('many-groups'));
    expect((await completeGroups(verified, resolver, verifier.config)).identity.groups).to.deep.equal(['aad:g-1', 'aad:g-2']);
  });

  it('the issuer CA vouches for the issuer host only: not for Graph, not for an authority elsewhere', async () => {
    const http = graphHttp(authProxyConfigFromFlags(flags()).graph!);
    expect(await reaches(http.authorityFetch, discovery())).to.equal(true);
    expect(await reaches(http.graphFetch, discovery()), 'Graph requests do not trust the issuer CA').not.to.equal(true);
    const elsewhere = authProxyConfigFromFlags(flags({ graphAuthority: 'https://login.example.test/tenant' })).graph!;
    expect(elsewhere.issuerTrust).to.equal(undefined);
    expect(await reaches(graphHttp(elsewhere).authorityFetch, discovery()), 'an authority elsewhere does not trust the issuer CA').not.to.equal(true);
  });

  it('--graph-ca-file adds to the default roots for Graph and the authority', async () => {
    // The issuer's CA file given as --graph-ca-file: a "private Graph" at the provider, and the default-trusted one.
    const config = authProxyConfigFromFlags(flags({ oidcCaFile: undefined, graphCaFile: issuerCaFile }));
    expect(config.graph!.ca).to.equal(provider.caPem);
    const http = graphHttp(config.graph!);
    expect(await reaches(http.graphFetch, discovery())).to.equal(true);
    expect(await reaches(http.graphFetch, `${graph.url}/`)).to.equal(true);
    expect(await reaches(http.authorityFetch, discovery())).to.equal(true);
  });

  it('a certificate credential checked at startup gets the Graph token from the authority', async () => {
    const file = join(dir, 'graph-cert.pem');
    writeFileSync(file, `${certificate.certPem}${certificate.keyPem}`, { mode: 0o600 });
    const config = authProxyConfigFromFlags(flags({ graphClientId: 'kube-aad-proxy-cert', graphClientSecretFile: undefined, graphClientCertificateFile: file }));
    const graphConfig = config.graph!;
    expect(graphConfig.credential.kind).to.equal('certificate');
    const token = await graphAppToken({ ...graphConfig, graphResource: GRAPH_AUDIENCE })();
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    expect(claims).to.include({ aud: GRAPH_AUDIENCE, azp: 'kube-aad-proxy-cert' });
  });

  describe('msalClientCertificate (shared with `login --certificate-file`)', () => {
    it('refuses a key that does not belong to the certificate, naming the flag and the fix, quoting no key', async () => {
      const other = await createRsaCertificate('someone-else');
      let message = '';
      try {
        msalClientCertificate(`${certificate.certPem}${other.keyPem}`, '--graph-client-certificate-file', '/etc/graph/cert.pem');
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).to.equal(
        '--graph-client-certificate-file /etc/graph/cert.pem: the private key does not match the certificate; put the certificate registered for the app together with its own private key in the file',
      );
    });

    it('refuses a file without a key, and an unparseable one, in one line', () => {
      expect(() => msalClientCertificate(certificate.certPem, '--certificate-file', 'c.pem')).to.throw(/^--certificate-file c\.pem must hold a PEM certificate and its private key; put both/);
      const broken = `${certificate.certPem}-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n`;
      expect(() => msalClientCertificate(broken, '--certificate-file', 'c.pem')).to.throw(/^--certificate-file c\.pem is not usable \([^\n]*\); give the certificate and its unencrypted private key in PEM$/);
    });
  });

  describe('clusterconnect auth-proxy (process)', () => {
    const authProxy = (...args: string[]) => run(process.execPath, [repoPath('dist/proxy/src/cli/main.js'), 'auth-proxy', ...args]);
    const base = () => ['--tls-cert-file', 'c', '--tls-key-file', 'k', '--oidc-issuer-url', 'https://i.test/v2.0', '--oidc-audience', 'a'];

    it('stops at startup (exit 2, one line) on a --graph-client-certificate-file whose key does not match', async () => {
      const other = await createRsaCertificate('someone-else');
      const file = join(dir, 'mismatched.pem');
      writeFileSync(file, `${certificate.certPem}${other.keyPem}`, { mode: 0o600 });
      const result = await authProxy(...base(), '--graph-client-id', 'x', '--graph-client-certificate-file', file);
      expect(result.code).to.equal(2);
      expect(result.stderr.trim().split('\n')).to.have.length(1);
      expect(result.stderr).to.contain(`--graph-client-certificate-file ${file}: the private key does not match the certificate; put the certificate registered`);
      expect(result.stderr).not.to.contain('PRIVATE KEY');
      expect(result.stderr).not.to.contain(other.keyPem.split('\n')[1]!);
    });

    it('stops at startup on a CA file that holds no certificate', async () => {
      const file = join(dir, 'empty-ca.pem');
      writeFileSync(file, 'not a bundle\n');
      const result = await authProxy(...base(), '--oidc-ca-file', file);
      expect(result.code).to.equal(2);
      expect(result.stderr.trim().split('\n')).to.have.length(1);
      expect(result.stderr).to.contain(`--oidc-ca-file ${file} holds no PEM certificate; give the CA bundle`);
    });

    it('documents in --help that --oidc-ca-file replaces the system roots, --graph-ca-file adds to them, and Graph does not inherit --oidc-ca-file', async () => {
      const result = await authProxy('--help');
      const help = result.stdout.replace(/\s+/g, ' ');
      expect(help).to.match(/--oidc-ca-file <path> PEM CA bundle the issuer's certificate must chain to, replacing the system roots .*used for the issuer's origin only/);
      expect(help).to.match(/--graph-ca-file <path> PEM CA bundle for --graph-authority and --graph-url .*added to the system roots, never replacing them; .*Graph does not inherit --oidc-ca-file/);
    });
  });
});
