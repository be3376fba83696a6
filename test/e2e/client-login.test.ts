// `clusterconnect login` / `get-token` / `logout` as separate processes against a real OpenID Provider (the npm
// oidc-provider standing in for Entra ID): device code through msal-node and through openid-client, completed by
// driving the provider's pages as a user would; client secret; federated token file; silent refresh of 5-second
// tokens; the exec plugin validated by the real kubectl.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createRsaCertificate } from '../support/client/rsa-certificate.js';
import { stringify } from 'yaml';
import { buildKubeconfigEntries } from '../../proxy/src/client/kubeconfig/kubeconfig-entries.js';
import { standaloneKubeconfig } from '../../proxy/src/client/kubeconfig/kubeconfig-merge.js';
import { getTokenArgs } from '../../proxy/src/client/login/login-target.js';
import { completeDeviceSignIn } from '../support/client/device-sign-in.js';
import { createSelfSignedCertificate } from '../support/oidc/self-signed-cert.js';
import { startTestOidcProvider } from '../support/oidc-provider.js';
import type { TestOidcProvider } from '../support/oidc-provider.js';
import { repoPath } from '../support/repo.js';
import { run as runProcess } from '../support/run.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const TENANT = '72f988bf-0000-4000-8000-0000000000e3';
const ALICE = 'a11ce000-0000-4000-8000-0000000000e3';
const CLI = repoPath('dist/proxy/src/cli/main.js');
const KUBECTL = repoPath('.cache/cluster/bin/kubectl');
const AUDIENCE = 'api://kube-aad-proxy';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI; `onStderr` sees stderr as it arrives (the device code is printed there). */
function cli(args: string[], env: NodeJS.ProcessEnv, onStderr?: (text: string) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
      onStderr?.(stderr);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function execToken(run: Run): { token: string; expirationTimestamp: string } {
  expect(run.code, run.stderr).to.equal(0);
  const credential = JSON.parse(run.stdout) as { kind: string; apiVersion: string; status: { token: string; expirationTimestamp: string } };
  expect(credential.kind).to.equal('ExecCredential');
  expect(credential.apiVersion).to.equal('client.authentication.k8s.io/v1');
  expect(Date.parse(credential.status.expirationTimestamp)).to.be.greaterThan(Date.now());
  return credential.status;
}

describe('clusterconnect login and get-token against a real OpenID Provider', function () {
  this.timeout(60_000);
  let provider: TestOidcProvider;
  let shortLived: TestOidcProvider;
  let workloadKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let certificatePem: string;
  let dir: string;
  let caFile: string;
  let shortCaFile: string;

  before(async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    workloadKey = privateKey;
    const certificate = await createRsaCertificate('cert-app');
    certificatePem = `${certificate.certPem}${certificate.keyPem}`;
    const certificateJwk = { ...(await exportJWK(createPublicKey(certificate.certPem))), use: 'sig' };
    const principals = [
      { clientId: 'cert-app', clientSecret: 'unused', kind: 'servicePrincipal' as const, oid: 'cert-app-oid', tid: TENANT, jwks: { keys: [certificateJwk] } },
      { clientId: 'alice', clientSecret: 'unused', kind: 'user' as const, oid: ALICE, tid: TENANT, upn: 'alice@contoso.test' },
      { clientId: 'ci-app', clientSecret: 'ci-app-secret', kind: 'servicePrincipal' as const, oid: 'ci-app-oid', tid: TENANT },
      { clientId: 'gh-workload', clientSecret: 'unused', kind: 'servicePrincipal' as const, oid: 'gh-workload-oid', tid: TENANT, jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'RS256', use: 'sig' }] } },
    ];
    [provider, shortLived] = await Promise.all([
      startTestOidcProvider({ principals, deviceFlow: { clientIds: ['clusterconnect-cli'] } }),
      startTestOidcProvider({ principals, deviceFlow: { clientIds: ['clusterconnect-cli'] }, accessTokenTtlSeconds: 5 }),
    ]);
    dir = makeTempDir('cc-login-e2e-');
    caFile = join(dir, 'issuer-ca.pem');
    shortCaFile = join(dir, 'short-issuer-ca.pem');
    writeFileSync(caFile, provider.caPem);
    writeFileSync(shortCaFile, shortLived.caPem);
  });

  after(async () => {
    await Promise.all([provider?.close(), shortLived?.close()]);
    if (dir) removeTempDir(dir);
  });

  // Removed when the test process exits: `login` writes one, later commands (get-token, kubectl's exec plugin) read it.
  const freshConfig = (): NodeJS.ProcessEnv => ({ CLUSTERCONNECT_CONFIG_DIR: join(makeTempDir('cc-login-cfg-'), 'clusterconnect') });

  /** Runs `login` with device code and completes the sign-in as alice when the code appears. */
  async function deviceLogin(args: string[], env: NodeJS.ProcessEnv, from: TestOidcProvider): Promise<Run> {
    let signIn: Promise<void> | undefined;
    const run = await cli(['login', ...args], env, (stderr) => {
      const shown = /open (\S+) and enter the code (\S+)/.exec(stderr);
      if (shown?.[1] && shown[2] && !signIn) signIn = completeDeviceSignIn(shown[1], shown[2], 'alice', from.caPem);
    });
    expect(signIn, `no device code was shown: ${run.stderr}`).to.not.equal(undefined);
    await signIn;
    return run;
  }

  const entraArgs = (from: TestOidcProvider, file: string) => ['--authority', from.issuer, '--issuer-kind', 'entra', '--client-id', 'clusterconnect-cli', '--scope', `${AUDIENCE}/.default`, '--authority-ca-file', file];
  const oidcArgs = (from: TestOidcProvider, file: string) => ['--authority', from.issuer, '--client-id', 'clusterconnect-cli', '--audience', AUDIENCE, '--authority-ca-file', file];

  it('device code with msal-node (Entra-shaped flow): the user completes the verification step, get-token returns their token', async () => {
    const env = freshConfig();
    const login = await deviceLogin(['--output', 'json', ...entraArgs(provider, caFile)], env, provider);
    expect(login.code, login.stderr).to.equal(0);
    const result = JSON.parse(login.stdout) as { method: string; authority: string };
    expect(result).to.include({ method: 'device-code', authority: provider.issuer });
    const cacheFile = join(env.CLUSTERCONNECT_CONFIG_DIR ?? '', 'token-cache.json');
    const { status } = await import('node:fs').then((fs) => ({ status: fs.statSync(cacheFile) }));
    expect(status.mode & 0o777).to.equal(0o600);

    const { token } = execToken(await cli(['get-token', ...entraArgs(provider, caFile)], env));
    const claims = decodeJwt(token);
    expect(claims.aud).to.equal(AUDIENCE);
    expect(claims.oid).to.equal(ALICE);
    expect(claims.iss).to.equal(provider.issuer);
    // The token is never printed by login, only by get-token (its job).
    expect(login.stdout + login.stderr).to.not.include(token);
  });

  it('device code with openid-client for a non-Entra issuer; get-token without flags uses the latest login', async () => {
    const env = freshConfig();
    const login = await deviceLogin(oidcArgs(provider, caFile), env, provider);
    expect(login.code, login.stderr).to.equal(0);
    expect(login.stdout).to.match(/METHOD\s+device-code/);
    const first = execToken(await cli(['get-token', ...oidcArgs(provider, caFile)], env));
    expect(decodeJwt(first.token)).to.include({ aud: AUDIENCE, oid: ALICE });
    const second = execToken(await cli(['get-token'], env));
    expect(second.token, 'a fresh cached token is reused').to.equal(first.token);
  });

  it('silent refresh of 5-second tokens (openid-client): same token while fresh, a new one after expiry, no interaction', async () => {
    const env = freshConfig();
    expect((await deviceLogin(oidcArgs(shortLived, shortCaFile), env, shortLived)).code).to.equal(0);
    const a = execToken(await cli(['get-token', ...oidcArgs(shortLived, shortCaFile)], env));
    const b = execToken(await cli(['get-token', ...oidcArgs(shortLived, shortCaFile)], env));
    expect(b.token).to.equal(a.token);
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    const c = execToken(await cli(['get-token', ...oidcArgs(shortLived, shortCaFile)], env));
    expect(c.token).to.not.equal(a.token);
    expect(Date.parse(c.expirationTimestamp)).to.be.greaterThan(Date.parse(a.expirationTimestamp));
  });

  it('silent refresh of 5-second tokens (msal-node refresh token)', async () => {
    const env = freshConfig();
    expect((await deviceLogin(entraArgs(shortLived, shortCaFile), env, shortLived)).code).to.equal(0);
    const a = execToken(await cli(['get-token', ...entraArgs(shortLived, shortCaFile)], env));
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    const b = execToken(await cli(['get-token', ...entraArgs(shortLived, shortCaFile)], env));
    expect(b.token).to.not.equal(a.token);
    expect(decodeJwt(b.token).oid).to.equal(ALICE);
  });

  it('service principal with a client secret file', async () => {
    const env = freshConfig();
    const secretFile = join(dir, 'ci-app-secret');
    writeFileSync(secretFile, 'ci-app-secret\n', { mode: 0o600 });
    const args = ['--authority', provider.issuer, '--client-id', 'ci-app', '--scope', `${AUDIENCE}/.default`, '--authority-ca-file', caFile];
    const login = await cli(['login', '--client-secret-file', secretFile, ...args], env);
    expect(login.code, login.stderr).to.equal(0);
    expect(readFileSync(join(env.CLUSTERCONNECT_CONFIG_DIR ?? '', 'token-cache.json'), 'utf8'), 'the secret is referenced, not copied').to.not.include('ci-app-secret\n');
    const { token } = execToken(await cli(['get-token', ...args], env));
    expect(decodeJwt(token)).to.include({ aud: AUDIENCE, oid: 'ci-app-oid', idtyp: 'app' });

    const wrong = join(dir, 'wrong-secret');
    writeFileSync(wrong, 'nope');
    const refused = await cli(['login', '--client-secret-file', wrong, ...args], freshConfig());
    expect(refused.code).to.equal(1);
    expect(refused.stderr.trim().split('\n')).to.have.length(1);
  });

  it('service principal with a certificate file (msal signs the client assertion with its key)', async () => {
    const env = freshConfig();
    const file = join(dir, 'cert-app.pem');
    writeFileSync(file, certificatePem, { mode: 0o600 });
    const args = ['--authority', provider.issuer, '--client-id', 'cert-app', '--scope', `${AUDIENCE}/.default`, '--authority-ca-file', caFile];
    const login = await cli(['login', '--certificate-file', file, ...args], env);
    expect(login.code, login.stderr).to.equal(0);
    const { token } = execToken(await cli(['get-token', ...args], env));
    expect(decodeJwt(token)).to.include({ aud: AUDIENCE, oid: 'cert-app-oid' });
  });

  it('federated token file: the client assertion is read from the file (private_key_jwt, as GitHub Actions federation)', async () => {
    const env = freshConfig();
    const tokenFile = join(dir, 'federated-token');
    const assertion = () =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'RS256' })
        .setIssuer('gh-workload')
        .setSubject('gh-workload')
        .setAudience(`${provider.issuer}/token`)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(workloadKey);
    writeFileSync(tokenFile, await assertion());
    const args = ['--authority', provider.issuer, '--client-id', 'gh-workload', '--scope', `${AUDIENCE}/.default`, '--authority-ca-file', caFile];
    const login = await cli(['login', '--federated-token-file', tokenFile, ...args], env);
    expect(login.code, login.stderr).to.equal(0);
    const { token } = execToken(await cli(['get-token', ...args], env));
    expect(decodeJwt(token)).to.include({ aud: AUDIENCE, oid: 'gh-workload-oid' });

    writeFileSync(tokenFile, 'not-a-jwt');
    const refused = await cli(['login', '--federated-token-file', tokenFile, ...args], freshConfig());
    expect(refused.code).to.equal(1);
  });

  it('get-token without a login: one line naming the login command, non-zero exit', async () => {
    const run = await cli(['get-token', ...oidcArgs(provider, caFile)], freshConfig());
    expect(run.code).to.equal(1);
    expect(run.stdout).to.equal('');
    const lines = run.stderr.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(new RegExp(`not logged in to ${provider.issuer.replace(/[.]/g, '\\.')}: run \`clusterconnect login --authority`));
  });

  it('an unreadable token cache is one clear error; logout resets it', async () => {
    const env = freshConfig();
    const cacheDir = env.CLUSTERCONNECT_CONFIG_DIR ?? '';
    await import('node:fs').then((fs) => fs.mkdirSync(cacheDir, { recursive: true }));
    writeFileSync(join(cacheDir, 'token-cache.json'), '{"version": 99, "sessions": []}');
    const run = await cli(['get-token', ...oidcArgs(provider, caFile)], env);
    expect(run.code).to.equal(1);
    expect(run.stderr.trim()).to.match(/^error: token cache .*token-cache\.json is unreadable \(format version 99.*run `clusterconnect logout`/);
    expect((await cli(['logout'], env)).code).to.equal(0);
    expect(existsSync(join(cacheDir, 'token-cache.json'))).to.equal(false);
  });

  describe('with the real kubectl', () => {
    let server: Server;
    let port: number;
    let serverCa: string;
    const authorizations: string[] = [];

    before(async function () {
      if (!existsSync(KUBECTL)) this.skip(); // built by `make binaries` / `make cluster-up`
      const tls = await createSelfSignedCertificate();
      serverCa = tls.certPem;
      server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
        authorizations.push(req.headers.authorization ?? '');
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ major: '1', minor: '34', gitVersion: 'v1.34.0-recorder' }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });

    after(() => server?.close());

    it('kubectl runs get-token from the kubeconfig exec entry and sends its token', async () => {
      const env = freshConfig();
      expect((await deviceLogin(oidcArgs(provider, caFile), env, provider)).code).to.equal(0);
      const target = { authority: provider.issuer, kind: 'oidc' as const, clientId: 'clusterconnect-cli', scopes: [], audience: AUDIENCE, caFile };
      const entries = buildKubeconfigEntries({
        contextName: 'e2e-cluster',
        port,
        caPem: serverCa,
        tlsServerName: 'localhost',
        user: { kind: 'exec', command: process.execPath, args: [CLI, ...getTokenArgs(target)] },
      });
      const kubeconfig = join(dir, `kubeconfig-${port}`);
      writeFileSync(kubeconfig, stringify(standaloneKubeconfig(entries)), { mode: 0o600 });
      const run = await runProcess(KUBECTL, ['--kubeconfig', kubeconfig, 'get', '--raw', '/version'], { env: { ...process.env, ...env } });
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.include('v1.34.0-recorder');
      const bearer = authorizations.at(-1) ?? '';
      expect(bearer).to.match(/^Bearer /);
      expect(decodeJwt(bearer.slice('Bearer '.length))).to.include({ aud: AUDIENCE, oid: ALICE });
    });

    it('kubectl shows the login-needed line when there is no session', async () => {
      const target = { authority: provider.issuer, kind: 'oidc' as const, clientId: 'clusterconnect-cli', scopes: [], audience: AUDIENCE, caFile };
      const entries = buildKubeconfigEntries({
        contextName: 'e2e-nologin',
        port,
        caPem: serverCa,
        tlsServerName: 'localhost',
        user: { kind: 'exec', command: process.execPath, args: [CLI, ...getTokenArgs(target)] },
      });
      const kubeconfig = join(dir, `kubeconfig-nologin-${port}`);
      writeFileSync(kubeconfig, stringify(standaloneKubeconfig(entries)), { mode: 0o600 });
      const run = await runProcess(KUBECTL, ['--kubeconfig', kubeconfig, 'get', '--raw', '/version'], { env: { ...process.env, ...freshConfig() } });
      expect(run.code).to.not.equal(0);
      expect(run.stderr).to.include(`not logged in to ${provider.issuer}: run \`clusterconnect login`);
    });
  });
});
