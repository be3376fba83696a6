// `clusterconnect proxy` as users run it, with real processes on loopback: a TLS relay (relay client tokens and
// OIDC tokens for its own audience), agents, an HTTPS stand-in for kube-aad-proxy that records the Authorization
// header, the real OpenID Provider, and the real kubectl reading the kubeconfig the proxy wrote.
import { expect } from 'chai';
import { once } from 'node:events';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { parse, stringify } from 'yaml';
import { createSelfSignedCertificate } from '../support/oidc/self-signed-cert.js';
import { startTestOidcProvider } from '../support/oidc-provider.js';
import type { TestOidcProvider } from '../support/oidc-provider.js';
import { repoPath } from '../support/repo.js';
import { run, type RunResult } from '../support/run.js';
import { cliPath, runRole, startRole } from '../support/role-process.js';
import type { RoleProcess } from '../support/role-process.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { freePort, makeWorkspace, startAgentProcess } from './fixture.js';
import type { Workspace } from './fixture.js';
import { startKubeStandIn, VERSION } from './kube-stand-in.js';
import type { KubeStandIn } from './kube-stand-in.js';

const KUBECTL = repoPath('.cache/cluster/bin/kubectl');
const RELAY_AUDIENCE = 'api://clusterconnect-relay';
const KUBE_AUDIENCE = 'api://kube-aad-proxy';
const TOKEN_TTL_S = 5;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface KubeconfigDoc {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
  contexts: { name: string; context: { cluster: string; user: string } }[];
  'current-context': string;
}

function kubectl(kubeconfig: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return run(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, ...env } });
}

async function version(kubeconfig: string, context: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const run = await kubectl(kubeconfig, ['--context', context, 'get', '--raw', '/version'], env);
  expect(run.code, run.stderr).to.equal(0);
  expect(JSON.parse(run.stdout)).to.deep.include({ gitVersion: VERSION.gitVersion });
}

const readKubeconfig = (file: string) => parse(readFileSync(file, 'utf8')) as KubeconfigDoc;

describe('clusterconnect proxy with real processes and the real kubectl', function () {
  this.timeout(90_000);
  let kube: KubeStandIn;
  let ws: Workspace;
  let provider: TestOidcProvider;
  let relayPort: number;
  let relay: RoleProcess;
  let issuerCaFile: string;
  const roles: RoleProcess[] = [];
  const clients: RoleProcess[] = [];
  const homes: string[] = [];
  const relayUrl = () => `wss://127.0.0.1:${relayPort}`;

  /** A fresh HOME and KUBECONFIG holding one unrelated context, made current (removed in after(), once the proxies
   *  that write to it have stopped). */
  function home(): { dir: string; kubeconfig: string; env: NodeJS.ProcessEnv } {
    const dir = makeTempDir('cc-proxy-home-');
    homes.push(dir);
    const kubeconfig = join(dir, 'config');
    const other = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'other', cluster: { server: 'https://other.example:6443' } }],
      users: [{ name: 'other-user', user: { token: 'other-token' } }],
      contexts: [{ name: 'other', context: { cluster: 'other', user: 'other-user' } }],
      'current-context': 'other',
    };
    writeFileSync(kubeconfig, stringify(other), { mode: 0o600 });
    return { dir, kubeconfig, env: { HOME: dir, KUBECONFIG: kubeconfig, CLUSTERCONNECT_CONFIG_DIR: join(dir, 'cc-config'), LOG_LEVEL: 'info' } };
  }

  async function clientTokenArgs(cluster: string): Promise<string[]> {
    return ['--relay-token-file', await ws.keys.tokenFile('client', cluster, `client-${cluster}.token`), '--relay-ca-file', ws.relayCertFile];
  }

  /** `proxy -n CLUSTER --relay URL --port PORT` with the cluster's relay client token, then `extra`. */
  async function proxyArgs(cluster: string, extra: string[], port: number, relay = relayUrl()): Promise<string[]> {
    return ['proxy', '-n', cluster, '--relay', relay, '--port', String(port), ...(await clientTokenArgs(cluster)), ...extra];
  }

  async function proxy(cluster: string, env: NodeJS.ProcessEnv, extra: string[] = [], port?: number): Promise<{ proc: RoleProcess; port: number }> {
    const listen = port ?? (await freePort());
    const proc = startRole('proxy', await proxyArgs(cluster, extra, listen), { env });
    clients.push(proc);
    return { proc, port: listen };
  }

  before(async () => {
    kube = await startKubeStandIn();
    ws = await makeWorkspace(kube.caPem);
    provider = await startTestOidcProvider({
      principals: [{ clientId: 'ci-app', clientSecret: 'ci-app-secret', kind: 'servicePrincipal', oid: 'ci-app-oid', tid: 'tenant-1' }],
      otherAudiences: [RELAY_AUDIENCE],
      accessTokenTtlSeconds: TOKEN_TTL_S,
    });
    issuerCaFile = join(ws.dir, 'issuer-ca.pem');
    writeFileSync(issuerCaFile, provider.caPem);
    relayPort = await freePort();
    relay = startRole('relay', [
      'relay', '--listen', `127.0.0.1:${relayPort}`, '--tls-cert-file', ws.relayCertFile, '--tls-key-file', ws.relayKeyFile,
      '--public-key-file', ws.keys.publicKeyFile, '--oidc-issuer-url', provider.issuer, '--oidc-audience', RELAY_AUDIENCE,
      '--oidc-ca-file', issuerCaFile, '--ops-host', '127.0.0.1', '--ops-port', '0', '--relay-name', 'relay-it', '--drain-timeout', '2s',
    ]);
    roles.push(relay);
    await relay.waitForLog('relay listening');
    for (const cluster of ['c1', 'c2']) {
      const agent = await startAgentProcess(ws, `agent-${cluster}`, cluster, relayUrl(), kube.port);
      roles.push(agent);
      await agent.waitForLog('connected to the relay');
    }
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.stop('SIGKILL')));
    await Promise.all(roles.map((r) => r.stop('SIGKILL')));
    await Promise.all([kube?.close(), provider?.close()]);
    for (const dir of homes) removeTempDir(dir);
    ws?.remove();
  });

  it('ready line on stdout within 1 s of the relay answering; merged kubeconfig with other contexts kept; --token goes into the user entry', async () => {
    const h = home();
    const started = Date.now();
    const { proc, port } = await proxy('c1', h.env, ['--output', 'json', '--token', 'sa-token-for-c1']);
    const readyAt = await proc.waitFor('stdout', /\n$/);
    const answeredAt = await proc.waitFor('stderr', /relay answered with the cluster connection info/);
    expect(readyAt - answeredAt, 'ready after the relay answered').to.be.lessThan(1_000);
    expect(readyAt - started, 'whole start, node boot included').to.be.lessThan(5_000);
    const lines = proc.stdout().split('\n').filter(Boolean);
    expect(lines).to.have.length(1);
    expect(JSON.parse(lines[0] ?? '')).to.deep.equal({ status: 'ready', cluster: 'c1', context: 'c1', listen: `127.0.0.1:${port}`, kubeconfig: h.kubeconfig });

    // No polling: kubectl works on its first try right after the ready line.
    await version(h.kubeconfig, 'c1');
    expect(kube.authorizations.at(-1)).to.equal('Bearer sa-token-for-c1');
    const doc = readKubeconfig(h.kubeconfig);
    expect(doc['current-context']).to.equal('c1');
    expect(doc.contexts.map((c) => c.name)).to.have.members(['other', 'c1']);
    expect(doc.users.find((u) => u.name === 'other-user')?.user).to.deep.equal({ token: 'other-token' });
    const cluster = doc.clusters.find((c) => c.name === 'c1')?.cluster;
    expect(cluster).to.include({ server: `https://127.0.0.1:${port}`, 'tls-server-name': 'localhost' });
    expect(Buffer.from(String(cluster?.['certificate-authority-data']), 'base64').toString()).to.equal(kube.caPem);
    expect(statSync(h.kubeconfig).mode & 0o777).to.equal(0o600);
    expect(proc.stderr(), 'the SA token is only in the kubeconfig').to.not.include('sa-token-for-c1');
  });

  it('--file - prints the kubeconfig YAML on stdout and the human lines on stderr', async () => {
    const h = home();
    const { proc, port } = await proxy('c1', h.env, ['--file', '-', '--token', 'sa']);
    await proc.waitFor('stderr', /Press Ctrl\+C to stop/);
    const doc = parse(proc.stdout()) as KubeconfigDoc;
    expect(doc['current-context']).to.equal('c1');
    expect(doc.clusters[0]?.cluster).to.include({ server: `https://127.0.0.1:${port}`, 'tls-server-name': 'localhost' });
    expect(proc.stderr()).to.include(`listening on 127.0.0.1:${port}`);
    const file = join(h.dir, 'from-stdout');
    writeFileSync(file, proc.stdout());
    await version(file, 'c1');
    expect(readKubeconfig(h.kubeconfig)['current-context'], 'the default kubeconfig is untouched').to.equal('other');
    expect(await proc.stop()).to.equal(0);
  });

  it('SIGTERM: closes, removes its entries, restores the previous current-context, exits 0 (--keep-kubeconfig keeps them)', async () => {
    const h = home();
    const { proc } = await proxy('c1', h.env, ['--token', 'sa', '--kube-context', 'c1-ctx']);
    await proc.waitFor('stdout', /Press Ctrl\+C to stop/);
    expect(proc.stdout()).to.include(`Merged "c1-ctx" as current context in ${h.kubeconfig}`);
    expect(readKubeconfig(h.kubeconfig)['current-context']).to.equal('c1-ctx');
    expect(await proc.stop('SIGTERM')).to.equal(0);
    const after = readKubeconfig(h.kubeconfig);
    expect(after['current-context']).to.equal('other');
    expect(after.contexts.map((c) => c.name)).to.deep.equal(['other']);
    expect(after.clusters.map((c) => c.name)).to.deep.equal(['other']);
    expect(after.users.map((u) => u.name)).to.deep.equal(['other-user']);

    const kept = await proxy('c1', h.env, ['--token', 'sa', '--keep-kubeconfig']);
    await kept.proc.waitFor('stdout', /Press Ctrl\+C to stop/);
    expect(await kept.proc.stop('SIGINT')).to.equal(0);
    expect(readKubeconfig(h.kubeconfig).contexts.map((c) => c.name)).to.have.members(['other', 'c1']);
  });

  it('two proxies at once on two ports, one kubeconfig, no shared state; stopping one leaves the other', async () => {
    const h = home();
    const a = await proxy('c1', h.env, ['--token', 'sa-1', '--output', 'json']);
    await a.proc.waitFor('stdout', /"ready"/);
    const b = await proxy('c2', h.env, ['--token', 'sa-2', '--output', 'json']);
    await b.proc.waitFor('stdout', /"ready"/);
    const doc = readKubeconfig(h.kubeconfig);
    expect(doc.contexts.map((c) => c.name)).to.have.members(['other', 'c1', 'c2']);
    expect(doc['current-context']).to.equal('c2');
    await version(h.kubeconfig, 'c1');
    expect(kube.authorizations.at(-1)).to.equal('Bearer sa-1');
    await version(h.kubeconfig, 'c2');
    expect(kube.authorizations.at(-1)).to.equal('Bearer sa-2');
    // Each process restores the context that was current when it started: c2's proxy gives c1 back.
    expect(await b.proc.stop()).to.equal(0);
    const afterB = readKubeconfig(h.kubeconfig);
    expect(afterB.contexts.map((c) => c.name)).to.have.members(['other', 'c1']);
    expect(afterB['current-context']).to.equal('c1');
    await version(h.kubeconfig, 'c1');
    expect(await a.proc.stop()).to.equal(0);
    expect(readKubeconfig(h.kubeconfig)['current-context']).to.equal('other');
  });

  it('a taken port: "port N is in use; pass --port", exit 1, kubeconfig untouched', async () => {
    const h = home();
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as AddressInfo).port;
    try {
      const run = await runRole('proxy', await proxyArgs('c1', [], port), { env: h.env });
      expect(run.code).to.equal(1);
      expect(run.stderr.trim()).to.equal(`error: port ${port} is in use; pass --port`);
      expect(readKubeconfig(h.kubeconfig)['current-context']).to.equal('other');
    } finally {
      blocker.close();
    }
  });

  it('--certificate-authority that differs from the relay-served CA: refused naming both fingerprints, exit 5', async () => {
    const h = home();
    const other = join(h.dir, 'pinned.pem');
    writeFileSync(other, (await createSelfSignedCertificate('localhost')).certPem);
    const run = await runRole('proxy', await proxyArgs('c1', ['--certificate-authority', other], await freePort()), { env: h.env });
    expect(run.code, run.stderr).to.equal(5);
    const errors = run.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/relay serves a CA for cluster c1 \(SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}\) that differs from --certificate-authority .*\(SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}\)/);
    expect(readKubeconfig(h.kubeconfig)['current-context']).to.equal('other');

    // The matching pin is accepted and written instead of the relay's copy.
    const pinned = join(h.dir, 'right.pem');
    writeFileSync(pinned, kube.caPem);
    const { proc } = await proxy('c1', h.env, ['--certificate-authority', pinned, '--token', 'sa', '--output', 'json']);
    await proc.waitFor('stdout', /"ready"/);
    await version(h.kubeconfig, 'c1');
  });

  it('unknown cluster and a cluster whose agent left: one line each (last seen for the latter), exit 3', async () => {
    const h = home();
    const unknown = await runRole('proxy', await proxyArgs('nope', [], await freePort()), { env: h.env });
    expect(unknown.code).to.equal(3);
    expect(unknown.stderr).to.match(/error: .*no agent is connected for cluster nope at relay relay-it \(this relay has not seen one since it started\)/);

    const agent = await startAgentProcess(ws, 'agent-gone', 'gone', relayUrl(), kube.port);
    roles.push(agent);
    await agent.waitForLog('connected to the relay');
    await agent.stop('SIGKILL');
    await sleep(300);
    const gone = await runRole('proxy', await proxyArgs('gone', [], await freePort()), { env: h.env });
    expect(gone.code).to.equal(3);
    expect(gone.stderr).to.match(/no agent is connected for cluster gone at relay relay-it \(last seen \d{4}-\d\d-\d\dT/);
  });

  it('relay unreachable: retries with backoff, saying so each time, then gives up with exit 1', async () => {
    const h = home();
    const closed = await freePort();
    const run = await runRole('proxy', await proxyArgs('c1', ['--relay-wait', '3s'], await freePort(), `wss://127.0.0.1:${closed}`), { env: h.env });
    expect(run.code).to.equal(1);
    expect(run.stderr.match(/could not be reached: .*; retrying in \d+\.\d s/g) ?? []).to.have.length.greaterThan(1);
    expect(run.stderr).to.match(/error: .*gave up after \d+ attempts/);
  });

  it('a 401 from the relay is one clear line, exit 4', async () => {
    const h = home();
    const bad = join(h.dir, 'bad.token');
    writeFileSync(bad, `${await ws.keys.token('client', 'c1', -60)}\n`);
    const run = await runRole('proxy', ['proxy', '-n', 'c1', '--relay', relayUrl(), '--relay-ca-file', ws.relayCertFile, '--relay-token-file', bad, '--port', String(await freePort())], { env: h.env });
    expect(run.code).to.equal(4);
    expect(run.stderr).to.match(/error: relay wss:\/\/127\.0\.0\.1:\d+ answered HTTP 401/);
  });

  it(`OIDC relay credential and exec-plugin user from the login cache; ${TOKEN_TTL_S} s tokens renewed, kubectl keeps working across 2× their lifetime`, async () => {
    const h = home();
    const secretFile = join(h.dir, 'ci-app-secret');
    writeFileSync(secretFile, 'ci-app-secret\n', { mode: 0o600 });
    const issuer = ['--authority', provider.issuer, '--client-id', 'ci-app', '--authority-ca-file', issuerCaFile];
    for (const scope of [`${RELAY_AUDIENCE}/.default`, `${KUBE_AUDIENCE}/.default`]) {
      const login = await runRole('login', ['login', '--client-secret-file', secretFile, ...issuer, '--scope', scope], { env: h.env });
      expect(login.code, login.stderr).to.equal(0);
    }
    const port = await freePort();
    const proc = startRole(
      'proxy',
      ['proxy', '-n', 'c1', '--relay', relayUrl(), '--relay-ca-file', ws.relayCertFile, '--port', String(port), '--output', 'json', '--relay-scope', `${RELAY_AUDIENCE}/.default`, ...issuer, '--scope', `${KUBE_AUDIENCE}/.default`],
      { env: h.env },
    );
    clients.push(proc);
    await proc.waitFor('stdout', /"ready"/);
    const user = readKubeconfig(h.kubeconfig).users.find((u) => u.name === 'clusterconnect-c1')?.user as { exec: { command: string; args: string[] } };
    expect(user.exec.args).to.include.members(['get-token', '--scope', `${KUBE_AUDIENCE}/.default`]);
    expect(user.exec.args[0]).to.equal(cliPath);

    // A long-lived connection opened before any renewal must survive them (its streams drain on the old session).
    const held = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: kube.caPem });
    held.on('error', () => undefined);
    await once(held, 'secureConnect');

    const deadline = Date.now() + 2 * TOKEN_TTL_S * 1000 + 1_500;
    let requests = 0;
    while (Date.now() < deadline) {
      await version(h.kubeconfig, 'c1', h.env);
      requests++;
      await sleep(500);
    }
    // Each kubectl run spawns get-token, which fetches a new 5-second token: about one request a second.
    expect(requests).to.be.greaterThanOrEqual(4);
    const renewals = proc.stderr().match(/relay credential renewed/g) ?? [];
    expect(renewals.length, proc.stderr().slice(-1500)).to.be.greaterThanOrEqual(2);
    const kubeTokens = kube.authorizations.slice(-requests).map((a) => decodeJwt(a.replace(/^Bearer /, '')));
    expect(kubeTokens.every((claims) => claims.aud === KUBE_AUDIENCE), 'kubectl sent kube-audience tokens').to.equal(true);
    expect(new Set(kubeTokens.map((c) => c.jti ?? c.iat)).size, 'kubectl got fresh tokens from get-token').to.be.greaterThan(1);
    // The TLS session opened before every renewal still carries a request end to end.
    held.write('GET /version HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    let answer = '';
    for await (const chunk of held) answer += (chunk as Buffer).toString();
    expect(answer).to.match(/^HTTP\/1\.1 200/).and.to.include(VERSION.gitVersion);
    expect(proc.stderr()).to.not.match(/eyJ[A-Za-z0-9_-]{10,}\./);
    expect(await proc.stop()).to.equal(0);
    expect(existsSync(h.kubeconfig)).to.equal(true);
    expect(readKubeconfig(h.kubeconfig)['current-context']).to.equal('other');
  });

  it('clusters: the relay\'s clusters with connected agents and last seen, as a table or JSON', async () => {
    const h = home();
    const args = ['clusters', '--relay', relayUrl(), '--relay-ca-file', ws.relayCertFile, '--relay-token-file', await ws.keys.tokenFile('client', 'c1', 'list.token')];
    const json = await runRole('clusters', [...args, '--output', 'json'], { env: h.env });
    expect(json.code, json.stderr).to.equal(0);
    const answer = JSON.parse(json.stdout) as { relay: string; clusters: { name: string; agents: number; lastSeen: string }[] };
    expect(answer.relay).to.equal('relay-it');
    // A cluster-scoped client token sees only its own cluster.
    expect(answer.clusters.map((c) => [c.name, c.agents])).to.deep.equal([['c1', 1]]);
    const table = await runRole('clusters', args, { env: h.env });
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout.split('\n')[0]).to.match(/^NAME\s+AGENTS\s+READY\s+LAST SEEN$/);
    expect(table.stdout).to.match(/\nc1\s+1\s+1\s+now\n/);
  });

  it('kubectl plugin: `kubectl clusterconnect proxy --help` runs the same program under that name, with exit codes', async () => {
    const bin = makeTempDir('cc-plugin-');
    const plugin = join(bin, 'kubectl-clusterconnect');
    writeFileSync(plugin, `#!/bin/sh\nexec "${process.execPath}" "${repoPath('dist/proxy/src/cli/kubectl-plugin.js')}" "$@"\n`, { mode: 0o755 });
    // kubectl refuses flags before a plugin's name, so no --kubeconfig here.
    const help = await run(KUBECTL, ['clusterconnect', 'proxy', '--help'], { env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` } });
    removeTempDir(bin);
    expect(help.code, help.stderr).to.equal(0);
    expect(help.stdout).to.include('Usage: kubectl clusterconnect proxy [options]');
    expect(help.stdout).to.match(/Exit codes:[\s\S]*5 {2}--certificate-authority/);
  });
});
