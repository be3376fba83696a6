// The local control plane from `make cluster-up`, seen by tests through the real kubectl it was built with.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { repoPath } from './repo.js';
import { run, type RunResult } from './run.js';
import { makeTempDir } from './temp-dir.js';

export const stateDir = repoPath('.cache/cluster');
export const adminKubeconfig = join(stateDir, 'kubeconfig');
export const kubectlPath = join(stateDir, 'bin/kubectl');
export const helmPath = join(stateDir, 'bin/helm');

export function requireCluster(): void {
  if (!existsSync(adminKubeconfig) || !existsSync(kubectlPath)) {
    throw new Error(`no local cluster at ${stateDir}: run 'make cluster-up' first`);
  }
}

/** Runs kubectl against the cluster, as the admin unless another kubeconfig is given. */
export function kubectl(args: readonly string[], options: { kubeconfig?: string; input?: string } = {}): Promise<RunResult> {
  return run(kubectlPath, ['--kubeconfig', options.kubeconfig ?? adminKubeconfig, ...args], { input: options.input });
}

/** Like kubectl(), but fails the test with kubectl's own message when the command fails. */
export async function kubectlOk(args: readonly string[], options: { kubeconfig?: string; input?: string } = {}): Promise<string> {
  const result = await kubectl(args, options);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}

interface Kubeconfig {
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string } }[];
}

/** The apiserver URL and CA of the admin kubeconfig. */
export function clusterEndpoint(): { server: string; caPem: string } {
  const config = parse(readFileSync(adminKubeconfig, 'utf8')) as Kubeconfig;
  const cluster = config.clusters[0]?.cluster;
  if (!cluster) throw new Error(`${adminKubeconfig} has no cluster entry`);
  const caPem = cluster['certificate-authority-data']
    ? Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8')
    : readFileSync(cluster['certificate-authority'] ?? '', 'utf8');
  return { server: cluster.server, caPem };
}

/** A kubeconfig that authenticates with a bearer token only (no client certificate that would win over it), written
 *  to `dir/kubeconfig-<user>`, else to a new temp dir that is removed when the test process exits. */
export function kubeconfigForToken(token: string, user = 'token-user', dir?: string): string {
  const { server, caPem } = clusterEndpoint();
  const path = dir ? join(dir, `kubeconfig-${user}`) : join(makeTempDir('cc-kubeconfig-'), 'kubeconfig');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: 'local', context: { cluster: 'local', user } }],
    'current-context': 'local',
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}

/** A static-token user of the test cluster (see test/cluster/cluster.sh). */
export function staticToken(user: 'nobody'): string {
  return readFileSync(join(stateDir, 'tokens', user), 'utf8').trim();
}

/** Polls until `check` returns a value other than undefined, or fails naming what it waited for. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Creates a namespace with a unique name for one test file; delete it in after(). */
export async function createTestNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
  await kubectlOk(['create', 'namespace', name]);
  return name;
}
