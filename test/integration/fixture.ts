// Starts real `clusterconnect` processes on loopback for the integration tests: a relay, agents and a client proxy,
// with keys, tokens and certificates in a temp dir.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSelfSignedCertificate } from '../support/oidc/self-signed-cert.js';
import { freePort, startRole } from '../support/role-process.js';
import type { RoleProcess } from '../support/role-process.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { makeKeys } from '../unit/relay/fixtures.js';
import type { TestKeys } from '../unit/relay/fixtures.js';

export interface Workspace {
  dir: string;
  keys: TestKeys;
  relayCertFile: string;
  relayKeyFile: string;
  relayCaPem: string;
  upstreamCaFile: string;
  /** Removes the workspace's files (its dir and the keys' dir): call it after the processes using them have stopped. */
  remove(): void;
}

export async function makeWorkspace(upstreamCaPem: string): Promise<Workspace> {
  const dir = makeTempDir('cc-tunnel-it-');
  const keys = await makeKeys();
  const relayTls = await createSelfSignedCertificate();
  const relayCertFile = join(dir, 'relay.crt');
  const relayKeyFile = join(dir, 'relay.key');
  writeFileSync(relayCertFile, relayTls.certPem);
  writeFileSync(relayKeyFile, relayTls.keyPem, { mode: 0o600 });
  const upstreamCaFile = join(dir, 'upstream-ca.pem');
  writeFileSync(upstreamCaFile, upstreamCaPem);
  const remove = () => {
    removeTempDir(dir);
    removeTempDir(keys.dir);
  };
  return { dir, keys, relayCertFile, relayKeyFile, relayCaPem: relayTls.certPem, upstreamCaFile, remove };
}

export interface RelayOptions {
  port: number;
  insecure?: boolean;
  /** --open-failover-after, e.g. '1s'; the relay's default (3s) when absent. */
  openFailoverAfter?: string;
  nodeOptions?: string[];
  cwd?: string;
  name?: string;
}

export function startRelayProcess(ws: Workspace, options: RelayOptions): RoleProcess {
  const tls = options.insecure ? ['--insecure'] : ['--tls-cert-file', ws.relayCertFile, '--tls-key-file', ws.relayKeyFile];
  const failover = options.openFailoverAfter ? ['--open-failover-after', options.openFailoverAfter] : [];
  return startRole(
    options.name ?? 'relay',
    ['relay', '--listen', `127.0.0.1:${options.port}`, ...tls, '--public-key-file', ws.keys.publicKeyFile, '--ops-host', '127.0.0.1', '--ops-port', '0', '--relay-name', 'relay-it', '--drain-timeout', '5s', ...failover],
    { ...(options.nodeOptions ? { nodeOptions: options.nodeOptions } : {}), ...(options.cwd ? { cwd: options.cwd } : {}) },
  );
}

export async function startAgentProcess(ws: Workspace, name: string, cluster: string, relayUrl: string, upstreamPort: number, extra: string[] = []): Promise<RoleProcess> {
  const tokenFile = await ws.keys.tokenFile('agent', cluster, `${name}.token`);
  // The operator's exact flag set (minus the heartbeat, which needs a cluster; see test/e2e/agent-heartbeat.test.ts).
  return startRole(name, [
    'agent',
    `--cluster-name=${cluster}`,
    `--relay-url=${relayUrl}`,
    `--relay-token-file=${tokenFile}`,
    `--upstream=127.0.0.1:${upstreamPort}`,
    `--upstream-ca-file=${ws.upstreamCaFile}`,
    '--upstream-server-name=localhost',
    '--auth-modes=oidc,serviceaccount',
    '--ops-host=127.0.0.1',
    '--ops-port=0',
    '--drain-timeout=10s',
    ...(relayUrl.startsWith('ws:') ? ['--insecure'] : [`--relay-ca-file=${ws.relayCertFile}`]),
    ...extra,
  ]);
}

export async function startProxyProcess(ws: Workspace, cluster: string, relayUrl: string, port: number): Promise<RoleProcess> {
  const tokenFile = await ws.keys.tokenFile('client', cluster, `client-${cluster}.token`);
  return startRole(`proxy-${cluster}`, [
    'proxy',
    '-n',
    cluster,
    '--relay',
    relayUrl,
    '--port',
    String(port),
    '--relay-token-file',
    tokenFile,
    // Never the developer's ~/.kube/config.
    '--file',
    join(ws.dir, `kubeconfig-${cluster}-${port}`),
    ...(relayUrl.startsWith('ws:') ? ['--insecure'] : ['--relay-ca-file', ws.relayCertFile]),
  ]);
}

export { freePort };
