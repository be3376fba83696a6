// Added latency of kube-aad-proxy versus the apiserver directly, for GET (one object) and LIST (50 objects),
// measured in one run against the local control plane: direct with a service-account token, through the proxy
// as an OIDC user (verify + impersonate), and through the proxy's passthrough path. Keep-alive connections on
// every path, so connection setup is not what is measured. Prints p50/p99 and ratios, and the proxy's CPU per
// small GET (it runs as its own `clusterconnect auth-proxy` process at the default log level, so its CPU is read
// from /proc apart from the client's) on three paths: passthrough; OIDC with one token for every request, which the
// proxy's verified-token cache (10 s) answers after the first; and OIDC with a new token per request (minted before
// the timing), which it verifies every time. For both OIDC phases it prints the cache's hits and misses, read from
// the proxy's own /metrics before and after. Writes bench/results/authproxy.json. Run: node dist/test/bench/authproxy.js
// (needs `make cluster-up`). BENCH_AUTHPROXY_CPU_PROF=<dir> writes the proxy's --cpu-prof profile there;
// BENCH_AUTHPROXY_LOG_LEVEL=warn turns the audit lines off, to see what they cost.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { impersonatorClusterRole, impersonatorClusterRoleBinding } from '../../proxy/src/authproxy/impersonator-rbac.js';
import { clusterEndpoint, createTestNamespace, kubeconfigForToken, kubectl, kubectlOk, requireCluster, waitFor } from '../support/cluster.js';
import { httpsCall } from '../support/https-call.js';
import { createSelfSignedCertificate } from '../support/oidc/self-signed-cert.js';
import { startTestOidcProvider } from '../support/oidc-provider.js';
import { percentile } from '../support/percentile.js';
import { withCpu } from '../support/process-cpu.js';
import { repoPath } from '../support/repo.js';
import { freePort, startRole } from '../support/role-process.js';
import { makeTempDir } from '../support/temp-dir.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 400);
const WARMUP = 40;
/** Sequential GETs per CPU phase: at /proc's 10 ms resolution, 2,000 × ~0.5 ms is about 1 % precision. */
const CPU_REQUESTS = Number(process.env.BENCH_CPU_REQUESTS ?? 2000);
/** GETs in the new-token phase, each with a token of its own (minted beforehand, so the provider's work is not timed). */
const NEW_TOKEN_REQUESTS = Number(process.env.BENCH_NEW_TOKENS ?? 1000);
const CPU_PROFILE_DIR = process.env.BENCH_AUTHPROXY_CPU_PROF;
const USER_OID = 'be4c0000-0000-4000-8000-00000000be4c';
const CACHE_METRIC = 'clusterconnect_authproxy_token_cache_lookups_total';

/** The proxy's verified-token cache counters, from its ops /metrics. */
async function tokenCacheLookups(opsPort: number): Promise<{ hit: number; miss: number }> {
  const response = await fetch(`http://127.0.0.1:${opsPort}/metrics`);
  const text = await response.text();
  const value = (result: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${CACHE_METRIC}{result="${result}"}`));
    if (line === undefined) throw new Error(`kube-aad-proxy's /metrics has no ${CACHE_METRIC}{result="${result}"}`);
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  return { hit: value('hit'), miss: value('miss') };
}

/** Tokens from the test provider, a few requests at a time. */
async function mintTokens(mint: () => Promise<string>, count: number): Promise<string[]> {
  const tokens: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < count) tokens[next++] = await mint();
  }));
  if (new Set(tokens).size !== count) throw new Error(`the provider minted ${new Set(tokens).size} distinct tokens of ${count}: the new-token phase would hit the cache`);
  return tokens;
}

function getter(url: string, token: string, ca: string, agent: Agent): () => Promise<void> {
  return async () => {
    const result = await httpsCall(url, { ca, agent, headers: [['Authorization', `Bearer ${token}`], ['Accept', 'application/json']] });
    if (result.status !== 200) throw new Error(`${url} answered ${result.status}: ${result.body.slice(0, 200)}`);
  };
}

async function measure(url: string, token: string, ca: string, agent: Agent): Promise<{ p50: number; p99: number; mean: number }> {
  const once = getter(url, token, ca, agent);
  for (let i = 0; i < WARMUP; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const start = performance.now();
    await once();
    samples.push(performance.now() - start);
  }
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return { p50: round(percentile(samples, 50)), p99: round(percentile(samples, 99)), mean: round(samples.reduce((a, b) => a + b, 0) / samples.length) };
}

async function main(): Promise<void> {
  requireCluster();
  const namespace = await createTestNamespace('bench-authproxy');
  const roleName = `cc-bench-impersonator-${namespace}`;
  const provider = await startTestOidcProvider({ principals: [{ clientId: 'bench-user', clientSecret: 'bench-secret', kind: 'user', oid: USER_OID, tid: 'bench-tenant' }] });
  let stop: () => Promise<unknown> = () => Promise.resolve();
  try {
    await kubectlOk(['create', 'serviceaccount', 'kube-aad-proxy', '-n', namespace]);
    await kubectlOk(['create', 'serviceaccount', 'reader', '-n', namespace]);
    await kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(impersonatorClusterRole({ name: roleName })) });
    await kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(impersonatorClusterRoleBinding({ name: 'kube-aad-proxy', namespace }, roleName)) });
    await kubectlOk(['create', 'rolebinding', 'user-view', '-n', namespace, '--clusterrole=view', `--user=${USER_OID}`, `--serviceaccount=${namespace}:reader`]);
    const items = Array.from({ length: 50 }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace }, data: { value: 'x'.repeat(256) } }));
    await kubectlOk(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });

    const proxyToken = (await kubectlOk(['create', 'token', 'kube-aad-proxy', '-n', namespace, '--duration', '1h'])).trim();
    const readerToken = (await kubectlOk(['create', 'token', 'reader', '-n', namespace, '--duration', '1h'])).trim();
    const userToken = await provider.token('bench-user');

    const tls = await createSelfSignedCertificate('kube-aad-proxy.bench');
    const dir = makeTempDir('cc-bench-authproxy-'); // removed when the benchmark exits, after the proxy process
    writeFileSync(join(dir, 'tls.crt'), tls.certPem);
    writeFileSync(join(dir, 'tls.key'), tls.keyPem);
    writeFileSync(join(dir, 'issuer-ca.crt'), provider.caPem);
    // Its own process at the production log level (an audit line per request), so its CPU is its own.
    const [port, opsPort] = [await freePort(), await freePort()];
    const proxyProcess = startRole(
      'kube-aad-proxy',
      [
        'auth-proxy', '--address', '127.0.0.1', '--port', String(port), '--ops-host', '127.0.0.1', '--ops-port', String(opsPort),
        '--tls-cert-file', join(dir, 'tls.crt'), '--tls-key-file', join(dir, 'tls.key'), '--kubeconfig', kubeconfigForToken(proxyToken, 'kube-aad-proxy', dir),
        '--oidc-issuer-url', provider.issuer, '--oidc-audience', provider.audience, '--oidc-ca-file', join(dir, 'issuer-ca.crt'),
      ],
      { env: { LOG_LEVEL: process.env.BENCH_AUTHPROXY_LOG_LEVEL ?? 'info' }, nodeOptions: CPU_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROFILE_DIR] : [] },
    );
    stop = () => proxyProcess.stop();
    // Ready once the ops endpoint answers (it starts after the listener); no log line is needed, so any level works.
    await waitFor('kube-aad-proxy to start', () => fetch(`http://127.0.0.1:${opsPort}/readyz`).then((r) => (r.ok ? true : undefined)), 20_000, 100);
    const proxy = { url: `https://127.0.0.1:${port}` };

    const { server, caPem } = clusterEndpoint();
    const paths = { GET: `/api/v1/namespaces/${namespace}/configmaps/cm-0`, LIST: `/api/v1/namespaces/${namespace}/configmaps` };
    const results: Record<string, Record<string, { p50: number; p99: number; mean: number }>> = {};
    for (const [name, path] of Object.entries(paths)) {
      const agents = [new Agent({ keepAlive: true }), new Agent({ keepAlive: true }), new Agent({ keepAlive: true })] as const;
      results[name] = {
        direct: await measure(`${server}${path}`, readerToken, caPem, agents[0]),
        proxyOidc: await measure(`${proxy.url}${path}`, userToken, tls.certPem, agents[1]),
        proxyPassthrough: await measure(`${proxy.url}${path}`, readerToken, tls.certPem, agents[2]),
      };
      agents.forEach((agent) => agent.destroy());
    }

    // CPU the proxy process spends per small GET, each path on its own keep-alive connection after a warm-up:
    // passthrough; OIDC with one token throughout (the cached path, once verified); OIDC with a new token for
    // every request (verified every time). The tokens for the last are minted now, before anything is timed.
    const freshTokens = await mintTokens(() => provider.token('bench-user'), WARMUP + NEW_TOKEN_REQUESTS);
    const cpuPerRequestUs: Record<string, number> = {};
    const tokenCache: Record<string, { hit: number; miss: number }> = {};
    // token(i): the bearer of the i-th request, warm-up (i < WARMUP) included.
    const phases = [
      { name: 'passthrough', token: () => readerToken, requests: CPU_REQUESTS },
      { name: 'OIDC', token: () => userToken, requests: CPU_REQUESTS },
      { name: 'OIDC, new token', token: (i: number) => freshTokens[i]!, requests: NEW_TOKEN_REQUESTS },
    ];
    for (const { name, token, requests } of phases) {
      const agent = new Agent({ keepAlive: true });
      const get = (i: number) => getter(`${proxy.url}${paths.GET}`, token(i), tls.certPem, agent)();
      for (let i = 0; i < WARMUP; i++) await get(i);
      const before = await tokenCacheLookups(opsPort);
      const { cpuSeconds } = await withCpu([{ name, pid: proxyProcess.child.pid ?? 0 }], async () => {
        for (let i = WARMUP; i < WARMUP + requests; i++) await get(i);
      });
      const after = await tokenCacheLookups(opsPort);
      cpuPerRequestUs[name] = Math.round(((cpuSeconds[name] ?? 0) * 1e6) / requests);
      tokenCache[name] = { hit: after.hit - before.hit, miss: after.miss - before.miss };
      agent.destroy();
    }

    const rows: string[] = [];
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    for (const [name, r] of Object.entries(results)) {
      const direct = r.direct;
      if (!direct) continue;
      for (const [path, m] of Object.entries(r)) {
        rows.push(`${name.padEnd(5)} ${path.padEnd(17)} p50 ${m.p50.toFixed(2).padStart(7)} ms  p99 ${m.p99.toFixed(2).padStart(7)} ms  ×p50 ${ratio(m.p50, direct.p50).toFixed(2)}  ×p99 ${ratio(m.p99, direct.p99).toFixed(2)}`);
      }
    }
    console.log(`kube-aad-proxy added latency, ${ITERATIONS} sequential requests per row (after ${WARMUP} warm-up), keep-alive:`);
    console.log(rows.join('\n'));
    const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
    const cache = (name: string) => `token cache ${count(tokenCache[name]?.hit ?? 0, 'hit', 'hits')}, ${count(tokenCache[name]?.miss ?? 0, 'miss', 'misses')}`;
    console.log(`CPU per request, kube-aad-proxy (sequential GETs, from /proc; cache counts from its /metrics around each phase):`);
    console.log(`  passthrough GET ${cpuPerRequestUs.passthrough} µs (${CPU_REQUESTS} GETs)`);
    console.log(`  OIDC GET, one token for all ${cpuPerRequestUs.OIDC} µs (${CPU_REQUESTS} GETs; ${cache('OIDC')})`);
    console.log(`  OIDC GET, a new token per request ${cpuPerRequestUs['OIDC, new token']} µs (${NEW_TOKEN_REQUESTS} GETs; ${cache('OIDC, new token')})`);
    const out = repoPath('bench/results/authproxy.json');
    mkdirSync(repoPath('bench/results'), { recursive: true });
    writeFileSync(
      out,
      JSON.stringify({ benchmark: 'authproxy', date: new Date().toISOString(), node: process.version, iterations: ITERATIONS, warmup: WARMUP, unit: 'ms', listItems: items.length, results, cpuRequests: CPU_REQUESTS, newTokenRequests: NEW_TOKEN_REQUESTS, cpuPerRequestUs, tokenCache }, null, 2) + '\n',
    );
    console.log(`wrote ${out}`);
  } finally {
    await stop();
    await provider.close();
    await kubectl(['delete', 'clusterrole', roleName, '--ignore-not-found']);
    await kubectl(['delete', 'clusterrolebinding', roleName, '--ignore-not-found']);
    await kubectl(['delete', 'namespace', namespace, '--wait=false']);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench-authproxy failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
