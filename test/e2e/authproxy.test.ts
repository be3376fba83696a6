// kube-aad-proxy against the real apiserver and a real OpenID Provider. The proxy runs with a service account that
// holds ONLY the impersonator ClusterRole (impersonator-rbac.ts), so every right a caller exercises is the caller's
// own. Real kubectl drives the list/deny/exec cases; raw requests attempt every impersonation pitfall from the brief.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import WebSocket from 'ws';
import { stringify } from 'yaml';
import { createHttpsFetch } from '../../proxy/src/authproxy/https-fetch.js';
import { impersonatorClusterRole, impersonatorClusterRoleBinding } from '../../proxy/src/authproxy/impersonator-rbac.js';
import { startAuthProxy } from '../../proxy/src/authproxy/start.js';
import type { RunningAuthProxy } from '../../proxy/src/authproxy/start.js';
import { createLogger } from '../../proxy/src/common/logger.js';
import { createTestNamespace, kubeconfigForToken, kubectl, kubectlOk, requireCluster, staticToken, waitFor } from '../support/cluster.js';
import { GRAPH_AUDIENCE, startGraphStandIn } from '../support/graph-stand-in.js';
import type { GraphStandIn } from '../support/graph-stand-in.js';
import { httpsCall, statusMessage } from '../support/https-call.js';
import type { CallResult } from '../support/https-call.js';
import { createSelfSignedCertificate } from '../support/oidc/self-signed-cert.js';
import { startTestOidcProvider } from '../support/oidc-provider.js';
import type { TestOidcProvider } from '../support/oidc-provider.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const TENANT = '72f988bf-0000-4000-8000-0000000000e2';
const ALICE = 'a11ce000-0000-4000-8000-0000000000e2';
const BOB = 'b0b00000-0000-4000-8000-0000000000e2';
const CAROL = 'ca201000-0000-4000-8000-0000000000e2';
const FUTURE = 'f0000000-0000-4000-8000-0000000000e2';
const UNREACHABLE_ISSUER = 'https://127.0.0.1:1/unreachable/v2.0';

describe('kube-aad-proxy against the real apiserver and OpenID Provider', function () {
  this.timeout(60_000);
  let namespace: string;
  let provider: TestOidcProvider;
  let shortLived: TestOidcProvider;
  let stranger: TestOidcProvider;
  let graph: GraphStandIn;
  let proxy: RunningAuthProxy;
  let proxyCa: string;
  let proxyKubeconfig: string;
  let proxyToken: string;
  let tlsDir: string;
  const logLines: string[] = [];
  const tokensSeen: string[] = [];
  const clusterScoped: string[] = [];

  const tokenFor = async (clientId: string, resource?: string, from = provider) => {
    const token = await from.token(clientId, resource);
    tokensSeen.push(token);
    return token;
  };

  /** A kubeconfig whose server is the proxy, trusting its certificate, with a bearer token. */
  const viaProxy = (token: string, url = proxy.url, ca = proxyCa): string => {
    const dir = makeTempDir('cc-authproxy-kc-');
    const path = join(dir, 'kubeconfig');
    writeFileSync(
      path,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'proxy', cluster: { server: url, 'certificate-authority-data': Buffer.from(ca).toString('base64') } }],
        users: [{ name: 'caller', user: { token } }],
        contexts: [{ name: 'proxy', context: { cluster: 'proxy', user: 'caller' } }],
        'current-context': 'proxy',
      }),
      { mode: 0o600 },
    );
    return path;
  };

  const call = (path: string, headers: [string, string][], options: { method?: string; body?: string } = {}): Promise<CallResult> =>
    httpsCall(`${proxy.url}${path}`, { ca: proxyCa, headers, ...options });

  const whoami = async (headers: [string, string][]) => {
    const result = await call('/apis/authentication.k8s.io/v1/selfsubjectreviews', [...headers, ['Content-Type', 'application/json']], {
      method: 'POST',
      body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
    });
    expect(result.status, result.body).to.equal(201);
    return (JSON.parse(result.body) as { status: { userInfo: { username: string; groups?: string[]; extra?: Record<string, string[]> } } }).status.userInfo;
  };

  const applyJson = (object: unknown) => kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(object) });

  before(async function () {
    this.timeout(60_000);
    requireCluster();
    namespace = await createTestNamespace('authproxy');

    [provider, shortLived, stranger] = await Promise.all([
      startTestOidcProvider({
        otherAudiences: ['api://some-other-api', GRAPH_AUDIENCE],
        principals: [
          { clientId: 'alice', clientSecret: 'alice-secret', kind: 'user', oid: ALICE, tid: TENANT, upn: 'alice@contoso.test', groups: ['cc-e2e-people'] },
          { clientId: 'bob', clientSecret: 'bob-secret', kind: 'user', oid: BOB, tid: TENANT, groups: [`cc-e2e-readers-${namespaceSuffix()}`] },
          { clientId: 'carol', clientSecret: 'carol-secret', kind: 'user', oid: CAROL, tid: TENANT, groupsOverage: true },
          { clientId: 'future', clientSecret: 'future-secret', kind: 'user', oid: FUTURE, tid: TENANT, notBeforeOffsetSeconds: 600 },
          { clientId: 'kube-aad-proxy', clientSecret: 'proxy-app-secret', kind: 'servicePrincipal', oid: 'proxy-app', tid: TENANT },
        ],
      }),
      startTestOidcProvider({ accessTokenTtlSeconds: 1, principals: [{ clientId: 'alice', clientSecret: 's', kind: 'user', oid: ALICE, tid: TENANT }] }),
      startTestOidcProvider({ principals: [{ clientId: 'alice', clientSecret: 's', kind: 'user', oid: ALICE, tid: TENANT }] }),
    ]);
    graph = await startGraphStandIn(provider, { users: { [CAROL]: [`cc-e2e-readers-${namespaceSuffix()}`, 'some-other-group'] } });

    // The proxy's own identity: a service account holding nothing but the impersonator ClusterRole.
    const roleName = `cc-e2e-impersonator-${namespace}`;
    clusterScoped.push(`clusterrole/${roleName}`, `clusterrolebinding/${roleName}`, `clusterrole/cc-e2e-pod-user-${namespace}`, `clusterrolebinding/cc-e2e-alice-${namespace}`);
    await kubectlOk(['create', 'serviceaccount', 'kube-aad-proxy', '-n', namespace]);
    await applyJson(impersonatorClusterRole({ name: roleName }));
    await applyJson(impersonatorClusterRoleBinding({ name: 'kube-aad-proxy', namespace }, roleName));
    proxyToken = (await kubectlOk(['create', 'token', 'kube-aad-proxy', '-n', namespace, '--duration', '1h'])).trim();
    tokensSeen.push(proxyToken);
    proxyKubeconfig = kubeconfigForToken(proxyToken, 'kube-aad-proxy');

    // Callers' rights: alice by user (her oid), bob and carol through a group, a service account by its own binding.
    await applyJson({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: `cc-e2e-pod-user-${namespace}` },
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get'] },
      ],
    });
    await kubectlOk(['create', 'clusterrolebinding', `cc-e2e-alice-${namespace}`, `--clusterrole=cc-e2e-pod-user-${namespace}`, `--user=${ALICE}`]);
    await kubectlOk(['create', 'rolebinding', 'readers', '-n', namespace, '--clusterrole=view', `--group=cc-e2e-readers-${namespaceSuffix()}`]);
    await kubectlOk(['create', 'serviceaccount', 'probe', '-n', namespace]);
    await kubectlOk(['create', 'rolebinding', 'probe', '-n', namespace, '--clusterrole=view', `--serviceaccount=${namespace}:probe`]);
    await kubectlOk(['run', 'target', '-n', namespace, '--image=registry.example/target:1']);

    const tls = await createSelfSignedCertificate('kube-aad-proxy.test');
    proxyCa = tls.certPem;
    tlsDir = makeTempDir('cc-authproxy-tls-');
    writeFileSync(join(tlsDir, 'tls.crt'), tls.certPem);
    writeFileSync(join(tlsDir, 'tls.key'), tls.keyPem, { mode: 0o600 });

    const logStream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
        done();
      },
    });
    proxy = await startAuthProxy({
      listenHost: '127.0.0.1',
      listenPort: 0,
      opsHost: '127.0.0.1',
      opsPort: 0,
      tlsCertFile: join(tlsDir, 'tls.crt'),
      tlsKeyFile: join(tlsDir, 'tls.key'),
      tlsReloadIntervalMs: 3_600_000, // the test calls reloadTls() itself
      upstream: { kind: 'kubeconfig', path: proxyKubeconfig },
      oidc: [
        { issuerURL: provider.issuer, audience: provider.audience, fetch: createHttpsFetch({ ca: provider.caPem }), allowedTenants: [TENANT], jwksRefetchCooldownMs: 500 },
        { issuerURL: shortLived.issuer, audience: shortLived.audience, fetch: createHttpsFetch({ ca: shortLived.caPem }), clockSkewSeconds: 0 },
        { issuerURL: UNREACHABLE_ISSUER, audience: 'api://kube-aad-proxy', httpTimeoutMs: 2_000 },
      ],
      serviceAccountTokens: true,
      graph: {
        graphURL: graph.url,
        graphResource: GRAPH_AUDIENCE,
        authority: provider.issuer,
        clientId: 'kube-aad-proxy',
        credential: { kind: 'secret', secret: 'proxy-app-secret' },
        ca: [provider.caPem, graph.caPem].join('\n'),
      },
      drainMs: 1_000,
      logger: createLogger('auth-proxy', { stream: logStream }),
    });
    await waitFor('pod target to run', async () => ((await kubectlOk(['get', 'pod', 'target', '-n', namespace, '-o', 'jsonpath={.status.phase}'])) === 'Running' ? true : undefined), 30_000);
  });

  /** A per-run suffix so group names of parallel runs never meet; derived before `namespace` exists. */
  function namespaceSuffix(): string {
    return (globalThis as { __ccSuffix?: string }).__ccSuffix ??= Date.now().toString(36);
  }

  after(async () => {
    await proxy?.close();
    if (tlsDir) removeTempDir(tlsDir);
    await Promise.all([provider?.close(), shortLived?.close(), stranger?.close(), graph?.close()]);
    for (const object of clusterScoped) await kubectl(['delete', object, '--ignore-not-found', '--wait=false']);
    if (namespace) await kubectl(['delete', 'namespace', namespace, '--wait=false']);
  });

  describe('identity and authorization', () => {
    it('lets an OIDC user bound by ClusterRoleBinding (username = oid) list pods with kubectl, and relays the apiserver\'s own 403 for secrets', async () => {
      const kubeconfig = viaProxy(await tokenFor('alice'));
      const pods = await kubectlOk(['get', 'pods', '-n', namespace, '-o', 'name'], { kubeconfig });
      expect(pods.trim()).to.equal('pod/target');
      const denied = await kubectl(['get', 'secrets', '-n', namespace], { kubeconfig });
      expect(denied.code).to.equal(1);
      expect(denied.stderr).to.contain(`Error from server (Forbidden): secrets is forbidden: User "${ALICE}" cannot list resource "secrets" in API group "" in the namespace "${namespace}"`);
    });

    it('impersonates exactly the token\'s identity: oid, groups, tenant extra', async () => {
      const user = await whoami([['Authorization', `Bearer ${await tokenFor('alice')}`]]);
      expect(user.username).to.equal(ALICE);
      expect(user.groups).to.have.members(['cc-e2e-people', 'system:authenticated']);
      expect(user.extra).to.deep.equal({ 'clusterconnect.io/tid': [TENANT] });
    });

    it('grants through a group binding, and denies the rest with the apiserver\'s message', async () => {
      const kubeconfig = viaProxy(await tokenFor('bob'));
      expect((await kubectlOk(['get', 'pods', '-n', namespace, '-o', 'name'], { kubeconfig })).trim()).to.equal('pod/target');
      const denied = await kubectl(['get', 'pods', '-n', 'default'], { kubeconfig });
      expect(denied.stderr).to.contain(`User "${BOB}" cannot list resource "pods" in API group "" in the namespace "default"`);
    });

    it('resolves group overage through Microsoft Graph (msal app token, stand-in) and grants through the group', async () => {
      const kubeconfig = viaProxy(await tokenFor('carol'));
      expect((await kubectlOk(['get', 'pods', '-n', namespace, '-o', 'name'], { kubeconfig })).trim()).to.equal('pod/target');
      expect(graph.log()).to.include(`POST /v1.0/users/${CAROL}/getMemberObjects 200`);
      const user = await whoami([['Authorization', `Bearer ${await tokenFor('carol')}`]]);
      expect(user.groups).to.include.members([`cc-e2e-readers-${namespaceSuffix()}`, 'some-other-group']);
      expect(graph.calls()).to.equal(1); // the second request came from the per-principal cache
    });

    it('passes a TokenRequest service-account token through unchanged: the apiserver authenticates it, no proxy credentials', async () => {
      const token = (await kubectlOk(['create', 'token', 'probe', '-n', namespace, '--duration', '10m'])).trim();
      tokensSeen.push(token);
      const kubeconfig = viaProxy(token);
      const review = JSON.parse(await kubectlOk(['auth', 'whoami', '-o', 'json'], { kubeconfig })) as { status: { userInfo: { username: string } } };
      expect(review.status.userInfo.username).to.equal(`system:serviceaccount:${namespace}:probe`);
      expect((await kubectlOk(['get', 'pods', '-n', namespace, '-o', 'name'], { kubeconfig })).trim()).to.equal('pod/target');
    });

    it('never lends its own impersonation right to a passthrough caller', async () => {
      const result = await call('/api/v1/namespaces/default/secrets', [
        ['Authorization', `Bearer ${staticToken('nobody')}`],
        ['Impersonate-User', 'system:admin'],
        ['Impersonate-Group', 'system:masters'],
      ]);
      expect(result.status).to.equal(403);
      expect(statusMessage(result)).to.contain('User "clusterconnect-test-nobody" cannot impersonate resource "users"');
    });

    it('runs with least privilege: its own service account can impersonate and nothing else', async () => {
      const own = kubeconfigForToken(proxyToken);
      expect((await kubectl(['auth', 'can-i', 'impersonate', 'users'], { kubeconfig: own })).stdout.trim()).to.equal('yes');
      for (const check of [['list', 'pods', '-A'], ['get', 'secrets', '-A'], ['create', 'pods/exec', '-n', namespace], ['create', 'tokenreviews']]) {
        expect((await kubectl(['auth', 'can-i', ...check], { kubeconfig: own })).stdout.trim(), check.join(' ')).to.equal('no');
      }
    });
  });

  describe('impersonation pitfalls (each attempted end to end)', () => {
    let alice: string;
    before(async () => {
      alice = await tokenFor('alice');
    });
    const secretsOfNamespace = () => `/api/v1/namespaces/${namespace}/secrets`;

    const refusedHeaderSets: [string, [string, string][]][] = [
      ['Impersonate-User', [['Impersonate-User', 'system:admin']]],
      ['an appended Impersonate-Group', [['Impersonate-Group', 'system:masters']]],
      ['Impersonate-Uid', [['Impersonate-Uid', 'uid-of-admin']]],
      ['Impersonate-Extra-*', [['Impersonate-Extra-Scopes', 'everything']]],
      ['mixed-case names', [['iMpErSoNaTe-uSeR', 'system:admin']]],
      ['underscore spelling', [['Impersonate_Group', 'system:masters']]],
      ['duplicate Impersonate-Group lines', [['Impersonate-Group', 'cc-e2e-people'], ['Impersonate-Group', 'system:masters']]],
      ['Connection-header smuggling (CVE-2021-31999)', [['Connection', 'keep-alive, Impersonate-User, Impersonate-Group']]],
    ];
    for (const [what, extra] of refusedHeaderSets) {
      it(`refuses ${what} from an OIDC caller with 403 and forwards nothing`, async () => {
        const result = await call(secretsOfNamespace(), [['Authorization', `Bearer ${alice}`], ...extra]);
        expect(result.status).to.equal(403);
        expect(JSON.parse(result.body)).to.include({ kind: 'Status', reason: 'Forbidden', code: 403 });
        expect(statusMessage(result)).to.contain('impersonation is not allowed through this proxy');
      });
    }

    it('refuses two Authorization headers with 401', async () => {
      const result = await call(secretsOfNamespace(), [['Authorization', `Bearer ${alice}`], ['Authorization', `Bearer ${staticToken('nobody')}`]]);
      expect(result.status).to.equal(401);
      expect(statusMessage(result)).to.contain('more than one Authorization header');
    });

    it('strips X-Remote-*, X-Forwarded-* and Authorization look-alikes: the request runs as the token\'s user only', async () => {
      const user = await whoami([
        ['Authorization', `Bearer ${alice}`],
        ['X-Remote-User', 'system:admin'],
        ['X-Remote-Group', 'system:masters'],
        ['X-Forwarded-For', '203.0.113.66'],
        ['Connection', 'keep-alive'],
      ]);
      expect(user.username).to.equal(ALICE);
      expect(user.groups).not.to.include('system:masters');
      const audit = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === true);
      expect(audit.some((l) => l.remote === '203.0.113.66')).to.equal(false);
    });

    const expectRejected = async (token: string, status: number, message: RegExp) => {
      const result = await call(`/api/v1/namespaces/${namespace}/pods`, [['Authorization', `Bearer ${token}`]]);
      expect(result.status, result.body).to.equal(status);
      expect(JSON.parse(result.body)).to.include({ kind: 'Status', code: status });
      expect(statusMessage(result)).to.match(message);
    };

    it('rejects alg none, HS256 signed with the issuer\'s public key, a bad signature and an unknown kid', async () => {
      const claims = decodeJwt(alice);
      const { kid } = decodeProtectedHeader(alice);
      const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      await expectRejected(`${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`, 401, /algorithm "none" is not allowed/);

      const jwks = (await (await createHttpsFetch({ ca: provider.caPem })(`${provider.issuer}/jwks`)).json()) as { keys: Record<string, unknown>[] };
      const publicPem = createPublicKey({ key: jwks.keys[0] as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      const hs256 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid }).sign(Buffer.from(publicPem));
      await expectRejected(hs256, 401, /algorithm "HS256" is not allowed/);

      const [header, , signature] = alice.split('.');
      await expectRejected(`${header}.${encode({ ...claims, groups: ['system:masters'] })}.${signature}`, 401, /signature does not verify/);

      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const rogue = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'rogue-kid' }).sign(privateKey);
      await expectRejected(rogue, 401, /not publish \(kid "rogue-kid"\)/);
    });

    it('rejects an expired token, a future nbf, a wrong audience and a wrong tenant-less issuer token', async () => {
      const shortToken = await tokenFor('alice', undefined, shortLived);
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      await expectRejected(shortToken, 401, /token expired at \d{4}-\d\d-\d\dT/);
      await expectRejected(await tokenFor('future'), 401, /not valid before/);
      await expectRejected(await tokenFor('alice', 'api://some-other-api'), 401, /audience "api:\/\/some-other-api" is not/);
    });

    it('sends a token of an unconfigured issuer (wrong iss) to the apiserver unimpersonated, which rejects it', async () => {
      const result = await call(`/api/v1/namespaces/${namespace}/pods`, [['Authorization', `Bearer ${await tokenFor('alice', undefined, stranger)}`]]);
      expect(result.status).to.equal(401);
      expect(JSON.parse(result.body)).to.include({ kind: 'Status', reason: 'Unauthorized' });
    });

    it('answers 401 for a missing token, 503 when the issuer is unreachable, 431 for oversized headers', async () => {
      const missing = await call('/api/v1/pods', []);
      expect(missing.status).to.equal(401);
      expect(missing.headers['www-authenticate']).to.equal('Bearer');

      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const now = Math.floor(Date.now() / 1000);
      const forged = await new SignJWT({ iss: UNREACHABLE_ISSUER, aud: 'api://kube-aad-proxy', oid: ALICE, exp: now + 600 }).setProtectedHeader({ alg: 'RS256', kid: 'k' }).sign(privateKey);
      await expectRejected(forged, 503, /unreachable/);

      const big = await call('/api/v1/pods', [['Authorization', `Bearer ${alice}`], ['X-Padding', 'x'.repeat(80 * 1024)]]);
      expect(big.status).to.equal(431);
      expect(JSON.parse(big.body)).to.include({ kind: 'Status', reason: 'RequestHeaderFieldsTooLarge' });
    });

    it('accepts tokens signed with a rotated key (JWKS refetched on the unknown kid)', async () => {
      await new Promise((resolve) => setTimeout(resolve, 600)); // past the refetch cooldown
      await provider.rotateKeys({ retirePrevious: true });
      const fresh = await tokenFor('alice');
      expect(decodeProtectedHeader(fresh).kid).to.equal(provider.currentKid());
      expect((await whoami([['Authorization', `Bearer ${fresh}`]])).username).to.equal(ALICE);
    });
  });

  describe('streaming and upgrades', () => {
    it('delivers watch events as they happen (no buffering)', async () => {
      const token = await tokenFor('alice');
      const received = new Promise<string>((resolve, reject) => {
        const req = request(`${proxy.url}/api/v1/namespaces/${namespace}/pods?watch=true&fieldSelector=metadata.name%3Dwatched`, { ca: proxyCa, headers: { Authorization: `Bearer ${token}` } }, (res) => {
          if (res.statusCode !== 200) reject(new Error(`watch answered ${res.statusCode}`));
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString('utf8');
            if (text.includes('"type":"ADDED"')) {
              resolve(text);
              req.destroy();
            }
          });
        });
        req.on('error', () => undefined);
        req.end();
        // Created once the watch is established, so the event can only arrive through the open stream.
        req.on('response', () => void kubectlOk(['run', 'watched', '-n', namespace, '--image=registry.example/w:1']).catch(reject));
      });
      const text = await received;
      expect(text).to.contain('"name":"watched"');
    });

    it('runs kubectl exec through the proxy: the WebSocket upgrade reaches the kwok kubelet as the impersonated user', async () => {
      // The local cluster's kwok runs exec commands on this host (test/cluster/cluster.sh): real output proves the
      // upgraded stream got there and back.
      const result = await kubectl(['exec', 'target', '-n', namespace, '--', 'echo', 'through-the-proxy'], { kubeconfig: viaProxy(await tokenFor('alice')) });
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout.trim()).to.equal('through-the-proxy');
    });

    it('carries a v5.channel.k8s.io WebSocket both ways, and relays a refused upgrade\'s 403 unchanged', async () => {
      const open = (token: string) =>
        new Promise<{ protocol?: string; messages: string[]; status?: number; body?: string }>((resolve, reject) => {
          const ws = new WebSocket(`${proxy.url.replace('https', 'wss')}/api/v1/namespaces/${namespace}/pods/target/exec?command=echo&command=v5-works&stdout=true&stderr=true`, ['v5.channel.k8s.io'], {
            ca: proxyCa,
            headers: { Authorization: `Bearer ${token}` },
          });
          const messages: string[] = [];
          ws.on('message', (data: Buffer) => messages.push(`${data[0]}:${data.subarray(1).toString()}`));
          ws.on('close', () => resolve({ protocol: ws.protocol, messages }));
          ws.on('unexpected-response', (_req, res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ messages, status: res.statusCode, body }));
          });
          ws.on('error', reject);
        });
      const allowed = await open(await tokenFor('alice'));
      expect(allowed.protocol).to.equal('v5.channel.k8s.io');
      expect(allowed.messages.some((m) => m.startsWith('1:') && m.includes('v5-works')), allowed.messages.join(' | ')).to.equal(true);

      const refused = await open(await tokenFor('bob'));
      expect(refused.status).to.equal(403);
      expect(refused.body).to.contain(`User \\"${BOB}\\" cannot`);
    });

    it('switches SPDY/3.1 upgrades too (101 from the apiserver arrives unchanged)', async () => {
      const token = await tokenFor('alice');
      const status = await new Promise<{ code: number; upgrade?: string }>((resolve, reject) => {
        const req = request(`${proxy.url}/api/v1/namespaces/${namespace}/pods/target/exec?command=ls&stdout=true`, {
          method: 'POST',
          ca: proxyCa,
          headers: { Authorization: `Bearer ${token}`, Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' },
        });
        req.on('upgrade', (res, socket) => {
          socket.destroy();
          resolve({ code: res.statusCode ?? 0, upgrade: res.headers.upgrade });
        });
        req.on('response', (res) => resolve({ code: res.statusCode ?? 0 }));
        req.on('error', reject);
        req.end();
      });
      expect(status).to.deep.equal({ code: 101, upgrade: 'SPDY/3.1' });
    });
  });

  describe('operations', () => {
    it('writes one audit line per request, with user, groups, verb, status and mode — never a token', () => {
      const audit = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === true);
      const list = audit.find((l) => l.user === ALICE && l.verb === 'list' && l.path === `/api/v1/namespaces/${namespace}/pods` && l.status === 200);
      expect(list).to.include({ authMode: 'oidc', upgrade: 'no' });
      expect(list?.groups).to.deep.equal(['cc-e2e-people']);
      expect(audit.some((l) => l.upgrade === 'yes' && l.status === 101 && l.user === ALICE)).to.equal(true);
      expect(audit.some((l) => l.authMode === 'passthrough' && l.status === 200)).to.equal(true);
      expect(audit.some((l) => l.reason === 'expired' && l.status === 401)).to.equal(true);
      const all = logLines.join('\n');
      for (const token of tokensSeen) expect(all).not.to.contain(token.split('.')[2] ?? token);
      expect(all).not.to.contain('proxy-app-secret');
    });

    it('exports request, failure and upstream latency metrics; /healthz and /readyz answer', async () => {
      const metrics = await (await fetch(`${proxy.opsUrl}/metrics`)).text();
      expect(metrics).to.match(/clusterconnect_authproxy_requests_total\{code="200",auth_mode="oidc",upgrade="no"\} \d+/);
      expect(metrics).to.match(/clusterconnect_authproxy_requests_total\{code="101",auth_mode="oidc",upgrade="yes"\} \d+/);
      expect(metrics).to.match(/clusterconnect_authproxy_token_validation_failures_total\{reason="impersonation_refused"\} \d+/);
      expect(metrics).to.match(/clusterconnect_authproxy_token_validation_failures_total\{reason="unknown_kid"\} 1/);
      expect(metrics).to.match(/clusterconnect_authproxy_upstream_latency_seconds_count\{auth_mode="passthrough"\} \d+/);
      expect(metrics).to.match(/clusterconnect_authproxy_group_resolutions_total\{result="ok"\} 1/);
      expect((await fetch(`${proxy.opsUrl}/healthz`)).status).to.equal(200);
      expect((await fetch(`${proxy.opsUrl}/readyz`)).status).to.equal(200);
    });

    it('serves a rotated certificate once the files change, without a restart', async () => {
      const next = await createSelfSignedCertificate('kube-aad-proxy-rotated.test');
      writeFileSync(join(tlsDir, 'tls.crt'), next.certPem);
      expect(await proxy.reloadTls()).to.equal(false); // certificate and key do not match yet: the old pair stays
      writeFileSync(join(tlsDir, 'tls.key'), next.keyPem);
      expect(await proxy.reloadTls()).to.equal(true);
      const token = await tokenFor('alice');
      expect((await httpsCall(`${proxy.url}/version`, { ca: next.certPem, headers: [['Authorization', `Bearer ${token}`]] })).status).to.equal(200);
      const stale = await httpsCall(`${proxy.url}/version`, { ca: proxyCa, headers: [] }).catch((error: unknown) => error);
      expect(stale).to.be.instanceOf(Error);
      proxyCa = next.certPem;
    });

    it('runs as `clusterconnect auth-proxy` (child process): serves kubectl, then stops on SIGTERM', async function () {
      const providerCa = join(tlsDir, 'issuer-ca.pem');
      writeFileSync(providerCa, provider.caPem);
      const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [
        'dist/proxy/src/cli/main.js', 'auth-proxy',
        '--address', '127.0.0.1', '--port', '0', '--ops-host', '127.0.0.1', '--ops-port', '0',
        '--tls-cert-file', join(tlsDir, 'tls.crt'), '--tls-key-file', join(tlsDir, 'tls.key'),
        '--kubeconfig', proxyKubeconfig,
        '--oidc-issuer-url', provider.issuer, '--oidc-audience', provider.audience, '--oidc-ca-file', providerCa,
        '--oidc-allowed-tenants', TENANT, '--drain-seconds', '1',
      ], { stdio: 'pipe' });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        const url = await waitFor('the child proxy to listen', () => Promise.resolve(/"auth proxy listening".*?"url":"(https:[^"]+)"|"url":"(https:[^"]+)".*?"auth proxy listening"/.exec(stderr)?.slice(1).find(Boolean)), 15_000, 50);
        const review = JSON.parse(await kubectlOk(['auth', 'whoami', '-o', 'json'], { kubeconfig: viaProxy(await tokenFor('alice'), url) })) as { status: { userInfo: { username: string } } };
        expect(review.status.userInfo.username).to.equal(ALICE);
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).to.equal(0);
      expect(stderr).to.contain('auth proxy stopped');
    });
  });
});
