// The seeds' walkthrough through the whole product with the real kubectl: kubectl → clusterconnect proxy → relay
// → agent → kube-aad-proxy → apiserver, every hop a real process, the cluster side exactly what the operator wrote.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { expect } from 'chai';
import { createTestNamespace, kubectl, kubectlOk, kubectlPath, requireCluster, stateDir, waitFor } from '../support/cluster.js';
import { startTestOidcProvider, type TestOidcProvider } from '../support/oidc-provider.js';
import { cliPath, freePort, runRole } from '../support/role-process.js';
import { repoPath } from '../support/repo.js';
import { run } from '../support/run.js';
import { startLocalSystem, type LocalSystem } from '../support/system/local-system.js';
import { OPERATOR_SERVICE_ACCOUNT, SYSTEM_NAMESPACE } from './setup.js';


interface ChainCaller {
  kubeconfig: string;
  ns: string;
  /** The username the apiserver sees. */
  username: string;
  /** `kubectl create rolebinding` subject flag for the caller. */
  subject: string;
}

/** The kubectl checks issue 7 asks of each path: get -A, watch, a 1 MB apply, can-i, an intact 403, exec, logs -f and
 *  port-forward, all through client proxy → relay → agent → kube-aad-proxy → apiserver. */
function kubectlThroughTheChain(c: () => ChainCaller): void {
  const tunnel = (args: string[], input?: string) => kubectl(args, { kubeconfig: c().kubeconfig, ...(input ? { input } : {}) });

  it('kubectl get pods -A answers through the tunnel, as the caller', async () => {
    const whoami = JSON.parse((await tunnel(['auth', 'whoami', '-o', 'json'])).stdout) as { status: { userInfo: { username: string } } };
    expect(whoami.status.userInfo.username).to.equal(c().username);
    const pods = await tunnel(['get', 'pods', '-A']);
    expect(pods.code, pods.stderr).to.equal(0);
    expect(pods.stdout).to.contain('-kube-aad-proxy-');
  });

  it('a watch receives an event through the tunnel', async () => {
    const watch = spawn(kubectlPath, ['--kubeconfig', c().kubeconfig, 'get', 'configmaps', '-n', c().ns, '--watch', '-o', 'name']);
    let seen = '';
    watch.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await kubectlOk(['create', 'configmap', 'watched', '-n', c().ns, '--from-literal=a=b']);
      await waitFor('the watch to print the new ConfigMap', () => Promise.resolve(seen.includes('configmap/watched') ? true : undefined), 15_000, 100);
    } finally {
      watch.kill();
    }
  });

  it('applies a 1 MB ConfigMap, answers auth can-i, and carries the apiserver’s 403 intact', async () => {
    const big = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big', namespace: c().ns }, data: { blob: 'x'.repeat(1_000_000) } };
    // Server-side: client-side apply would copy 1 MB into the last-applied annotation (limit 256 KiB).
    const apply = await tunnel(['apply', '--server-side', '-f', '-'], JSON.stringify(big));
    expect(apply.code, apply.stderr).to.equal(0);
    const stored = JSON.parse(await kubectlOk(['get', 'configmap', 'big', '-n', c().ns, '-o', 'json'])) as { data: { blob: string } };
    expect(stored.data.blob).to.have.length(1_000_000);
    expect((await tunnel(['auth', 'can-i', 'create', 'configmaps', '-n', c().ns])).stdout.trim()).to.equal('yes');
    expect((await tunnel(['auth', 'can-i', 'delete', 'nodes'])).stdout.trim()).to.equal('no');
    const denied = await tunnel(['get', 'secrets', '-n', 'kube-system']);
    expect(denied.code).to.equal(1);
    expect(denied.stderr).to.contain(`Error from server (Forbidden): secrets is forbidden: User "${c().username}" cannot list resource "secrets" in API group "" in the namespace "kube-system"`);
  });

  describe('streaming through every hop (kwok runs exec on this host, serves logs from a file, forwards a port)', () => {
    let pod: string;
    before(async () => {
      pod = (await kubectlOk(['get', 'pods', '-n', c().ns, '-l', 'app.kubernetes.io/component=agent', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
      await kubectlOk(['create', 'rolebinding', 'caller-admin', '-n', c().ns, '--clusterrole=admin', c().subject]);
    });

    it('kubectl exec runs a command and carries stdin and stdout (WebSocket v5 upgrade)', async () => {
      const computed = await tunnel(['exec', '-n', c().ns, pod, '--', 'sh', '-c', 'echo $((6 * 7))']);
      expect(computed.code, computed.stderr).to.equal(0);
      expect(computed.stdout.trim()).to.equal('42');
      // `head -n 1` ends by itself: kwok's exec server does not pass stdin's end on, so `cat` would never return.
      const echoed = await tunnel(['exec', '-i', '-n', c().ns, pod, '--', 'head', '-n', '1'], 'through every hop\n');
      expect(echoed.code, echoed.stderr).to.equal(0);
      expect(echoed.stdout).to.equal('through every hop\n');
    });

    it('kubectl logs -f streams lines as they are written', async () => {
      const logFile = join(stateDir, 'pod.log');
      const follow = spawn(kubectlPath, ['--kubeconfig', c().kubeconfig, 'logs', '-f', '-n', c().ns, pod]);
      let seen = '';
      follow.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()));
      try {
        for (const n of [1, 2, 3]) {
          appendFileSync(logFile, `${new Date().toISOString()} stdout F streamed line ${n}\n`);
          await waitFor(`log line ${n} through the tunnel`, () => Promise.resolve(seen.includes(`streamed line ${n}`) ? true : undefined), 10_000, 100);
        }
      } finally {
        follow.kill();
      }
    });

    it('kubectl port-forward carries a TCP conversation to the pod port', async () => {
      const target = Number(readFileSync(join(stateDir, 'port-forward-target'), 'utf8'));
      const server = createServer((req, res) => res.end(`answered ${req.url}`));
      await new Promise<void>((resolve) => server.listen(target, '127.0.0.1', resolve));
      const local = await freePort();
      const forward = spawn(kubectlPath, ['--kubeconfig', c().kubeconfig, 'port-forward', '-n', c().ns, pod, `${local}:8080`]);
      try {
        const body = await waitFor('an answer through port-forward', async () => {
          const response = await fetch(`http://127.0.0.1:${local}/through-the-tunnel`).catch(() => undefined);
          return response?.ok ? response.text() : undefined;
        }, 15_000, 200);
        expect(body).to.equal('answered /through-the-tunnel');
      } finally {
        forward.kill();
        server.close();
      }
    });
  });

}

describe('the whole chain with real kubectl (service-account token path)', function () {
  this.timeout(240_000);
  let ns: string;
  let system: LocalSystem | undefined;
  let kubeconfig: string;
  const tunnel = (args: string[], input?: string) => kubectl(args, { kubeconfig, ...(input ? { input } : {}) });

  before(async function () {
    requireCluster();
    if (process.getuid?.() !== 0) this.skip(); // the pod runner needs a private mount namespace
    ns = await createTestNamespace('chain');
    await kubectlOk(['create', 'serviceaccount', 'deployer', '-n', ns]);
    system = await startLocalSystem({
      namespace: ns,
      clusterName: 'chain',
      operatorServiceAccount: { name: OPERATOR_SERVICE_ACCOUNT, namespace: SYSTEM_NAMESPACE },
      access: [
        { name: 'deployer-view', clusterRole: 'view', serviceAccounts: [`${ns}/deployer`] },
        { name: 'deployer-edit', clusterRole: 'edit', namespace: ns, serviceAccounts: [`${ns}/deployer`] },
      ],
    });
    kubeconfig = system.kubeconfigThroughTunnel((await kubectlOk(['create', 'token', 'deployer', '-n', ns, '--duration', '1h'])).trim());
  });

  after(async () => {
    await system?.stop();
    if (ns) await kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  kubectlThroughTheChain(() => ({ kubeconfig, ns, username: `system:serviceaccount:${ns}:deployer`, subject: `--serviceaccount=${ns}:deployer` }));

  it('serves a second real client: the Python kubernetes package lists pods with the same kubeconfig', async () => {
    const result = await run('/usr/bin/python3', [repoPath('test/e2e/python/list_pods.py'), kubeconfig]);
    expect(result.code, result.stderr).to.equal(0);
    const pods = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as string);
    expect(pods.some((p) => p.startsWith(`${ns}/chain-kube-aad-proxy-`))).to.equal(true);
  });

  it('survives one of two agents being killed: no new request fails', async () => {
    const agents = system!.pods.filter((p) => p.labels['app.kubernetes.io/component'] === 'agent');
    await agents[0]!.stop('SIGKILL');
    const results = [];
    for (let i = 0; i < 10; i++) results.push(await tunnel(['get', 'configmaps', '-n', ns, '-o', 'name']));
    expect(results.map((r) => r.code)).to.deep.equal(Array(10).fill(0), results.map((r) => r.stderr).join('\n'));
  });

  it('converges after the operator is killed while the spec changes', async () => {
    await system!.restartOperator(async () => {
      await kubectlOk(['patch', 'clusterconnect', 'chain', '-n', ns, '--type=merge', '-p', '{"spec":{"agent":{"replicas":3}}}']);
    });
    await waitFor('the new operator to apply the change and report it', async () => {
      const cc = JSON.parse(await kubectlOk(['get', 'clusterconnect', 'chain', '-n', ns, '-o', 'json'])) as { metadata: { generation: number }; status: { observedGeneration: number; desiredAgents: number } };
      const replicas = (await kubectlOk(['get', 'deploy', 'chain-agent', '-n', ns, '-o', 'jsonpath={.spec.replicas}'])).trim();
      return cc.status.observedGeneration === cc.metadata.generation && cc.status.desiredAgents === 3 && replicas === '3' ? true : undefined;
    }, 20_000);
    expect((await tunnel(['get', 'namespaces', ns, '-o', 'name'])).code).to.equal(0);
  });

  it('the relay killed mid-watch and restarted: the next kubectl command succeeds within 5 s of its return', async () => {
    const watch = spawn(kubectlPath, ['--kubeconfig', kubeconfig, 'get', 'configmaps', '-n', ns, '--watch', '-o', 'name']);
    let seen = '';
    watch.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    try {
      await waitFor('the watch to list what exists', () => Promise.resolve(seen.includes('configmap/') ? true : undefined), 15_000, 100);
      await system!.restartRelay();
      const back = Date.now();
      await waitFor('kubectl through the restarted relay', async () => ((await tunnel(['get', 'namespaces', ns, '-o', 'name'])).code === 0 ? true : undefined), 5_000, 200);
      expect(Date.now() - back).to.be.lessThan(5_000);
    } finally {
      watch.kill();
    }
  });
});

/** Identity values that a parser on the way may change (Go trims SP and HTAB around header values), each signed by
 *  the issuer into a token: `exact` ones must reach the apiserver byte for byte, the others be refused with `refused`. */
const TRICKY_IDENTITIES: { what: string; oid?: string; group?: string; tid?: string; refused?: string }[] = [
  { what: 'a group with a leading space', group: ' system:masters', refused: 'token claim "groups" holds " system:masters", which has leading or trailing whitespace' },
  { what: 'a group with a trailing space', group: 'system:masters ', refused: 'which has leading or trailing whitespace' },
  { what: 'a group with a leading tab', group: '\tsystem:masters', refused: 'which holds a control character' },
  { what: 'a group with a leading NBSP', group: '\u00a0system:masters', refused: '"\\u00a0system:masters", which has leading or trailing whitespace' },
  { what: 'a group with an em space', group: '\u2003ops', refused: 'which has leading or trailing whitespace' },
  { what: 'a group with an ideographic space', group: 'ops\u3000', refused: 'which has leading or trailing whitespace' },
  { what: 'a group with a byte-order mark', group: '\ufeffops', refused: 'which has leading or trailing whitespace' },
  { what: 'a group with a lone surrogate', group: '\ud800ops', refused: 'which holds a lone UTF-16 surrogate' },
  { what: 'a group with a C1 control (NEL)', group: 'ops\u0085x', refused: 'which holds a control character' },
  { what: 'a mixed-case System: group', group: 'System:masters', refused: 'token maps to group "System:masters", which is reserved for Kubernetes itself' },
  { what: 'an upper-case SYSTEM: group', group: 'SYSTEM:MASTERS', refused: 'which is reserved for Kubernetes itself' },
  { what: 'a group of 1,025 characters', group: 'g'.repeat(1025), refused: 'which is 1025 characters long (at most 1024)' },
  { what: 'a username with a leading space (another user)', oid: ' alice-oid', refused: 'token claim "oid" holds " alice-oid", which has leading or trailing whitespace' },
  { what: 'a username with a leading space (system:admin)', oid: ' system:admin', refused: 'which has leading or trailing whitespace' },
  { what: 'a username with a leading space (a service account)', oid: ' system:serviceaccount:kube-system:default', refused: 'which has leading or trailing whitespace' },
  { what: 'a tenant extra with a trailing space', tid: 'tenant-1 ', refused: 'token claim "tid" holds "tenant-1 ", which has leading or trailing whitespace' },
  { what: 'a group with a comma and a reserved name after it', group: 'ops, system:masters' },
  { what: 'a group with commas', group: 'a,b,c' },
  { what: 'a group with % escapes', group: '100%25 %2F%' },
  { what: 'a non-ASCII group', group: 'Zoë Ünïcødé 名前 😀' },
  { what: 'a group with a zero-width space inside', group: 'ops\u200bteam' },
  { what: 'a group of 1,024 characters', group: 'g'.repeat(1024) },
  { what: 'a non-ASCII username with inner spaces', oid: 'Zoë O\'Brien 名前' },
];

describe('the whole chain with real kubectl (OIDC path: an identity-provider user, exec credential plugin)', function () {
  this.timeout(240_000);
  const AUDIENCE = 'api://kube-aad-proxy';
  let ns: string;
  let provider: TestOidcProvider | undefined;
  let system: LocalSystem | undefined;
  let kubeconfig: string;
  const tunnel = (args: string[]) => kubectl(args, { kubeconfig });

  before(async function () {
    requireCluster();
    if (process.getuid?.() !== 0) this.skip();
    provider = await startTestOidcProvider({
      audience: AUDIENCE,
      accessTokenTtlSeconds: 6,
      principals: [
        { clientId: 'alice', clientSecret: 'alice-secret', kind: 'user', oid: 'alice-oid', tid: 'tenant-1', upn: 'alice@example.com', groups: ['g-devs', 'g-all'] },
        ...TRICKY_IDENTITIES.map((c, i) => ({ clientId: `tricky-${i}`, clientSecret: 's', kind: 'user' as const, oid: c.oid ?? `tricky-oid-${i}`, tid: c.tid ?? 'tenant-1', groups: c.group === undefined ? [] : [c.group] })),
      ],
    });
    ns = await createTestNamespace('chain-oidc');
    system = await startLocalSystem({
      namespace: ns,
      clusterName: 'chain-oidc',
      operatorServiceAccount: { name: OPERATOR_SERVICE_ACCOUNT, namespace: SYSTEM_NAMESPACE },
      oidc: { issuerURL: provider.issuer, audience: AUDIENCE, caBundle: provider.caPem },
      access: [
        { name: 'alice-view', clusterRole: 'view', users: ['alice-oid'] },
        { name: 'devs-edit', clusterRole: 'edit', namespace: ns, groups: ['g-devs'] },
      ],
    });
    // `clusterconnect login` as a service principal would, then kubectl runs `clusterconnect get-token` itself.
    const configDir = mkdtempSync(join(system.dir, 'login-'));
    const caFile = join(configDir, 'issuer-ca.pem');
    const secretFile = join(configDir, 'secret');
    writeFileSync(caFile, provider.caPem);
    writeFileSync(secretFile, 'alice-secret', { mode: 0o600 });
    const target = ['--authority', provider.issuer, '--client-id', 'alice', '--scope', `${AUDIENCE}/.default`, '--authority-ca-file', caFile];
    const login = await runRole('login', ['login', '--client-secret-file', secretFile, ...target], { env: { CLUSTERCONNECT_CONFIG_DIR: configDir } });
    expect(login.code, login.stderr).to.equal(0);
    kubeconfig = system.kubeconfigThroughTunnel({
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [cliPath, 'get-token', ...target],
        env: [{ name: 'CLUSTERCONNECT_CONFIG_DIR', value: configDir }], interactiveMode: 'Never',
      },
    }, 'oidc');
  });

  after(async () => {
    await system?.stop();
    await provider?.close();
    if (ns) await kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  kubectlThroughTheChain(() => ({ kubeconfig, ns, username: 'alice-oid', subject: '--user=alice-oid' }));

  it('kubectl is the OIDC user (username = oid, groups from the token) through every hop', async () => {
    const whoami = await tunnel(['auth', 'whoami', '-o', 'json']);
    expect(whoami.code, whoami.stderr).to.equal(0);
    const info = (JSON.parse(whoami.stdout) as { status: { userInfo: { username: string; groups: string[]; extra?: Record<string, string[]> } } }).status.userInfo;
    expect(info.username).to.equal('alice-oid');
    expect(info.groups).to.include.members(['g-devs', 'g-all', 'system:authenticated']);
    expect(info.extra?.['clusterconnect.io/tid']).to.deep.equal(['tenant-1']);
  });

  it('gets what spec.access grants the user and the group, and the apiserver’s own 403 beyond it', async () => {
    expect((await tunnel(['get', 'pods', '-A'])).code).to.equal(0); // user binding: view, cluster-wide
    const create = await tunnel(['create', 'configmap', 'from-alice', '-n', ns, '--from-literal=a=b']); // group binding: edit in ns
    expect(create.code, create.stderr).to.equal(0);
    const denied = await tunnel(['get', 'secrets', '-n', 'kube-system']);
    expect(denied.stderr).to.contain('User "alice-oid" cannot list resource "secrets" in API group "" in the namespace "kube-system"');
  });

  it('keeps working while short-lived tokens expire: kubectl gets fresh ones from the exec plugin, nothing fails', async () => {
    const tokenRequestsBefore = provider!.requestCount('/token');
    const until = Date.now() + 13_000; // more than twice the 6 s token lifetime
    const codes: number[] = [];
    while (Date.now() < until) {
      const result = await tunnel(['get', 'configmaps', '-n', ns, '-o', 'name']);
      codes.push(result.code ?? -1);
      if (result.code !== 0) throw new Error(`request ${codes.length} failed: ${result.stderr}`);
    }
    expect(codes.length).to.be.greaterThan(3);
    // Tokens live 6 s, so over 13 s the exec plugin must have fetched at least two new ones from the issuer (a
    // token cached from before the loop expires within its first 6 s); every kubectl run above succeeded with them.
    const tokenRequests = provider!.requestCount('/token') - tokenRequestsBefore;
    expect(tokenRequests, 'token requests to the issuer during the loop').to.be.greaterThanOrEqual(2);
  });

  describe('tricky identity values: refused by kube-aad-proxy, or exactly what kubectl auth whoami reports', () => {
    interface AuditLine { audit?: boolean; path?: string; status?: number; user?: string; groups?: string[] }
    const auditLines = (): AuditLine[] =>
      system!.pods
        .filter((p) => p.labels['app.kubernetes.io/component'] === 'kube-aad-proxy')
        .flatMap((p) => p.process.lines)
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as AuditLine];
          } catch {
            return [];
          }
        })
        .filter((line) => line.audit === true && line.path === '/apis/authentication.k8s.io/v1/selfsubjectreviews');

    TRICKY_IDENTITIES.forEach((c, i) => {
      it(`${c.what}: ${c.refused === undefined ? 'reaches the apiserver exactly' : 'refused with 401'}`, async () => {
        const whoami = await kubectl(['auth', 'whoami', '-o', 'json'], { kubeconfig: system!.kubeconfigThroughTunnel(await provider!.token(`tricky-${i}`), `tricky-${i}`) });
        if (c.refused !== undefined) {
          expect(whoami.code, whoami.stdout).to.equal(1);
          expect(whoami.stderr).to.contain('You must be logged in to the server');
          expect(whoami.stderr).to.contain(c.refused);
          return;
        }
        expect(whoami.code, whoami.stderr).to.equal(0);
        const info = (JSON.parse(whoami.stdout) as { status: { userInfo: { username: string; groups: string[] } } }).status.userInfo;
        const username = c.oid ?? `tricky-oid-${i}`;
        expect(info.username).to.equal(username);
        expect(info.groups).to.deep.equal([...(c.group === undefined ? [] : [c.group]), 'system:authenticated']);
        // kube-aad-proxy's audit line names the same identity, byte for byte.
        const logged = await waitFor('the audit line of the whoami', () => Promise.resolve(auditLines().find((l) => l.status === 201 && l.user === username)), 5_000, 100);
        expect(logged.groups).to.deep.equal(c.group === undefined ? [] : [c.group]);
      });
    });
  });

  it('refuses kubectl --as for an OIDC caller (no client impersonation through the proxy)', async () => {
    const as = await tunnel(['get', 'pods', '-n', ns, '--as', 'system:admin']);
    expect(as.code).to.equal(1);
    expect(as.stderr).to.match(/Forbidden|forbidden/);
    expect(as.stderr).to.match(/Impersonate/i);
  });
});
