// End-to-end benchmark (figures, not a timed test). In one run, on the same local cluster: the apiserver directly,
// through `kubectl proxy` (one Go reverse-proxy hop, what people use locally) and through the whole ClusterConnect
// chain (client proxy → relay → agent → kube-aad-proxy). Every path authenticates with the same service-account
// token. Two more paths, kube-aad-proxy's Service and one kube-aad-proxy pod on its own, show how the chain's cost
// splits between the tunnel, the harness's Service forwarder and kube-aad-proxy. Writes bench/results/e2e.json and prints a markdown table with ratios to direct.
// Run: make bench (needs root for the local pod runner, like the e2e suite).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { clusterEndpoint, createTestNamespace, helmPath, kubeconfigForToken, kubectl, kubectlOk, kubectlPath, requireCluster } from '../support/cluster.js';
import { percentile } from '../support/percentile.js';
import { repoPath } from '../support/repo.js';
import { kernelForwardingAvailable } from '../support/pods/kernel-service.js';
import { freePort, startRole } from '../support/role-process.js';
import { withCpu } from '../support/process-cpu.js';
import { requireStrace, syscallsPer, withSyscalls } from '../support/process-syscalls.js';
import { run } from '../support/run.js';
import { startLocalSystem, type LocalSystem } from '../support/system/local-system.js';

const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 300);
/** Requests each path serves before it is measured. The chain's processes were started moments before: V8 compiles
 *  their hot paths only after a few thousand calls, and until then a small GET through them was about 0.3–0.5 ms
 *  slower (a one-off measurement, third session; this bench does not print it). The figures are for a proxy that
 *  has been up a while, as a relay and agent are. */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3000);
const CONCURRENCY = 32;
const PER_CLIENT = Number(process.env.BENCH_PER_CLIENT ?? 40);
const CONFIGMAPS = Number(process.env.BENCH_CONFIGMAPS ?? 5000);
const LIST_RUNS = Number(process.env.BENCH_LIST_RUNS ?? 9);
const WATCHES = Number(process.env.BENCH_WATCHES ?? 1000);
/** Sequential GETs over which each chain process's CPU is read (/proc counts in 10 ms ticks, so not too few). */
const CPU_REQUESTS = Number(process.env.BENCH_CPU_REQUESTS ?? 1000);
const RELEASE = 'clusterconnect';
const SYSTEM_NAMESPACE = 'clusterconnect-system';

interface Path {
  name: string;
  request(path: string): Promise<{ status: number; bytes: number }>;
  /** Opens a watch; resolves `opened` when the response head arrives and `event` on the first event. */
  watch(path: string): { opened: Promise<void>; event: Promise<number>; close(): void };
  close(): void;
}

function makePath(name: string, base: URL, options: { token?: string; ca?: string; servername?: string; maxSockets: number }): Path {
  const secure = base.protocol === 'https:';
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets: options.maxSockets, ca: options.ca, servername: options.servername })
    : new http.Agent({ keepAlive: true, maxSockets: options.maxSockets });
  const headers = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const lib = secure ? https : http;
  const request = (path: string) => new Promise<{ status: number; bytes: number }>((resolve, reject) => {
    const req = lib.request(new URL(path, base), { agent, headers }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
    });
    req.on('error', reject);
    req.end();
  });
  const watchAgent = secure ? new https.Agent({ keepAlive: false, maxSockets: Infinity, ca: options.ca, servername: options.servername }) : new http.Agent({ maxSockets: Infinity });
  const watch = (path: string) => {
    let opened!: () => void;
    let fail!: (e: Error) => void;
    let event!: (t: number) => void;
    const openedP = new Promise<void>((resolve, reject) => { opened = resolve; fail = reject; });
    const eventP = new Promise<number>((resolve) => (event = resolve));
    const req = lib.request(new URL(path, base), { agent: watchAgent, headers }, (res) => {
      // An error answer's body would otherwise count as the event, before the change was even made.
      if (res.statusCode !== 200) return fail(new Error(`${name}: watch answered ${res.statusCode}`));
      opened();
      res.once('data', () => event(performance.now()));
      res.on('error', () => undefined);
    });
    req.on('error', (e) => fail(e));
    req.end();
    return { opened: openedP, event: eventP, close: () => req.destroy() };
  };
  return { name, request, watch, close: () => { agent.destroy(); watchAgent.destroy(); } };
}

async function smallGets(path: Path, url: string, clients: number, perClient: number): Promise<{ p50: number; p99: number }> {
  await Promise.all(Array.from({ length: clients }, () => path.request(url))); // opens each client's connection
  const times: number[] = [];
  await Promise.all(Array.from({ length: clients }, async () => {
    for (let i = 0; i < perClient; i++) {
      const t0 = performance.now();
      const { status } = await path.request(url);
      if (status !== 200) throw new Error(`${path.name}: GET ${url} answered ${status}`);
      times.push(performance.now() - t0);
    }
  }));
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

/**
 * LIST throughput of every path, measured in turns (one LIST per path per round) so that a slow patch of the
 * apiserver or the machine lands on all paths alike rather than on whichever was being measured; the median per path.
 */
async function listThroughputs(paths: Path[], url: string): Promise<Map<Path, { mbPerSecond: number; bytes: number }>> {
  const rates = new Map<Path, number[]>(paths.map((p) => [p, []]));
  const sizes = new Map<Path, number>();
  for (let round = 0; round < LIST_RUNS; round++) {
    for (const path of paths) {
      const t0 = performance.now();
      const { status, bytes } = await path.request(url);
      if (status !== 200) throw new Error(`${path.name}: LIST answered ${status}`);
      sizes.set(path, bytes);
      rates.get(path)!.push(bytes / 1e6 / ((performance.now() - t0) / 1000));
    }
  }
  return new Map(paths.map((p) => [p, { mbPerSecond: percentile(rates.get(p)!, 50), bytes: sizes.get(p) ?? 0 }]));
}

async function watchLatency(path: Path, ns: string): Promise<{ p50: number; p99: number; watches: number }> {
  const rv = JSON.parse((await kubectlOk(['get', 'configmap', 'probe', '-n', ns, '-o', 'json']))) as { metadata: { resourceVersion: string } };
  const url = `/api/v1/namespaces/${ns}/configmaps?watch=1&fieldSelector=metadata.name%3Dprobe&resourceVersion=${rv.metadata.resourceVersion}`;
  const watches = [];
  for (let i = 0; i < WATCHES; i += 100) {
    const batch = Array.from({ length: Math.min(100, WATCHES - i) }, () => path.watch(url));
    await Promise.all(batch.map((w) => w.opened));
    watches.push(...batch);
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  const t0 = performance.now();
  await kubectlOk(['patch', 'configmap', 'probe', '-n', ns, '--type=merge', '-p', JSON.stringify({ data: { at: String(Date.now()) } })]);
  const latencies = (await Promise.all(watches.map((w) => w.event))).map((t) => t - t0);
  for (const w of watches) w.close();
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), watches: watches.length };
}

async function createConfigMaps(ns: string): Promise<void> {
  for (let i = 0; i < CONFIGMAPS; i += 500) {
    const items = Array.from({ length: Math.min(500, CONFIGMAPS - i) }, (_, j) => ({
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i + j}`, namespace: ns }, data: { payload: 'x'.repeat(200) },
    }));
    await kubectlOk(['apply', '--server-side', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
  }
}

async function proxyReadyTime(system: LocalSystem, clusterName: string, token: string): Promise<number> {
  const port = await freePort();
  const tokenFile = `${system.dir}/startup-sa.token`;
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const t0 = performance.now();
  const proxy = startRole('proxy-startup', ['proxy', '-n', clusterName, '--relay', system.relayUrl, '--relay-ca-file', system.relayCaFile, '--relay-token-file', system.clientTokenFile,
    '--port', String(port), '--file', `${system.dir}/startup-kubeconfig`, '--token-file', tokenFile], { env: { LOG_LEVEL: 'warn' } });
  const path = makePath('startup', new URL(`https://127.0.0.1:${port}`), { token, ca: system.caBundle, servername: system.serverName, maxSockets: 1 });
  try {
    for (;;) {
      const ok = await path.request('/version').then((r) => r.status === 200, () => false);
      if (ok) return performance.now() - t0;
      if (performance.now() - t0 > 30_000) throw new Error('clusterconnect proxy did not serve within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    path.close();
    await proxy.stop();
  }
}

async function main(): Promise<void> {
  requireCluster();
  if (process.env.BENCH_STRACE === '1') requireStrace(); // before minutes of work, not at the strace phase
  const install = await run(helmPath, ['upgrade', '--install', RELEASE, repoPath('helm/clusterconnect-agent'), '-n', SYSTEM_NAMESPACE, '--create-namespace', '--kubeconfig', repoPath('.cache/cluster/kubeconfig'), '--wait']);
  if (install.code !== 0) throw new Error(`helm install failed: ${install.stderr}`);
  const ns = await createTestNamespace('bench');
  let system: LocalSystem | undefined;
  let kubectlProxy: ChildProcess | undefined;
  const paths: Path[] = [];
  try {
    await kubectlOk(['create', 'serviceaccount', 'bench', '-n', ns]);
    await kubectlOk(['create', 'rolebinding', 'bench-edit', '-n', ns, '--clusterrole=edit', `--serviceaccount=${ns}:bench`]);
    await kubectlOk(['create', 'configmap', 'small', '-n', ns, '--from-literal=a=b']);
    await kubectlOk(['create', 'configmap', 'probe', '-n', ns, '--from-literal=at=0']);
    console.log(`creating ${CONFIGMAPS} ConfigMaps…`);
    await createConfigMaps(ns);
    const token = (await kubectlOk(['create', 'token', 'bench', '-n', ns, '--duration', '2h'])).trim();
    console.log('starting the whole chain…');
    // A real cluster forwards a Service in the kernel (kube-proxy); so does the bench when it can, else a userspace
    // stand-in adds a process hop the product doesn't have.
    const serviceForwarding = kernelForwardingAvailable() ? 'kernel' : 'userspace';
    if (serviceForwarding === 'userspace') console.log('note: no iptables (or not root): kube-aad-proxy\'s Service is a userspace forwarder here, one hop more than a real cluster');
    system = await startLocalSystem({ namespace: ns, clusterName: 'bench', operatorServiceAccount: { name: `${RELEASE}-operator`, namespace: SYSTEM_NAMESPACE }, serviceForwarding });

    const { server, caPem } = clusterEndpoint();
    const proxyPort = await freePort();
    kubectlProxy = spawn(kubectlPath, ['proxy', '--port', String(proxyPort), '--kubeconfig', kubeconfigForToken(token)], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => kubectlProxy!.stdout!.once('data', resolve));
    paths.push(
      makePath('direct', new URL(server), { token, ca: caPem, maxSockets: WATCHES + CONCURRENCY }),
      makePath('kubectl proxy', new URL(`http://127.0.0.1:${proxyPort}`), { maxSockets: WATCHES + CONCURRENCY }),
      makePath('ClusterConnect', new URL(`https://127.0.0.1:${system.proxyPort}`), { token, ca: system.caBundle, servername: system.serverName, maxSockets: WATCHES + CONCURRENCY }),
    );
    // Splits the chain's cost: kube-aad-proxy's Service (then a pod), and one kube-aad-proxy pod on its own. The
    // tunnel is the rest.
    const authProxyPort = system.pods.find((p) => p.labels['app.kubernetes.io/component'] === 'kube-aad-proxy')?.hostPorts.get('https');
    paths.push(makePath(`Service (${serviceForwarding}) + kube-aad-proxy`, new URL(`https://${system.authProxyServiceAddress}:443`), { token, ca: system.caBundle, servername: system.serverName, maxSockets: WATCHES + CONCURRENCY }));
    if (authProxyPort) {
      paths.push(makePath('kube-aad-proxy only', new URL(`https://127.0.0.1:${authProxyPort}`), { token, ca: system.caBundle, servername: system.serverName, maxSockets: WATCHES + CONCURRENCY }));
    }
    const small = `/api/v1/namespaces/${ns}/configmaps/small`;
    const list = `/api/v1/namespaces/${ns}/configmaps`;
    const results: Record<string, Record<string, number>> = {};
    for (const path of paths) {
      console.log(`measuring ${path.name}…`);
      await Promise.all(Array.from({ length: 4 }, async () => {
        for (let i = 0; i < WARMUP / 4; i++) await path.request(small);
      }));
      for (let i = 0; i < 2; i++) await path.request(list);
      const one = await smallGets(path, small, 1, SEQUENTIAL);
      const many = await smallGets(path, small, CONCURRENCY, PER_CLIENT);
      const watched = await watchLatency(path, ns);
      results[path.name] = {
        getP50_1: one.p50, getP99_1: one.p99, getP50_32: many.p50, getP99_32: many.p99, watchP50: watched.p50, watchP99: watched.p99, watches: watched.watches,
      };
    }
    console.log(`LIST, ${LIST_RUNS} rounds across the paths…`);
    for (const [path, listed] of await listThroughputs(paths, list)) Object.assign(results[path.name]!, { listMBps: listed.mbPerSecond, listBytes: listed.bytes });
    // What each process of the chain spends per request (sequential small GETs), summed over a role's replicas.
    const chainProcesses = [
      { name: 'client proxy', role: 'client proxy', pid: system.proxy.child.pid ?? 0 },
      { name: 'relay', role: 'relay', pid: system.relay.child.pid ?? 0 },
      ...system.pods.map((p) => ({ name: p.name, role: p.labels['app.kubernetes.io/component'] ?? p.name, pid: p.process.child.pid ?? 0 })),
    ];
    const chainPath = paths.find((p) => p.name === 'ClusterConnect')!;
    const { cpuSeconds: chainCpu } = await withCpu(chainProcesses, () => smallGets(chainPath, small, 1, CPU_REQUESTS));
    const cpuPerRequestUs: Record<string, number> = {};
    for (const { name, role } of chainProcesses) cpuPerRequestUs[role] = (cpuPerRequestUs[role] ?? 0) + Math.round(((chainCpu[name] ?? 0) * 1e6) / CPU_REQUESTS);
    const listOnce = async () => { for (let i = 0; i < LIST_RUNS; i++) await chainPath.request(list); };
    const { cpuSeconds: listCpu } = await withCpu(chainProcesses, listOnce);
    const cpuPerListMs: Record<string, number> = {};
    for (const { name, role } of chainProcesses) cpuPerListMs[role] = (cpuPerListMs[role] ?? 0) + ((listCpu[name] ?? 0) * 1e3) / LIST_RUNS;
    if (process.env.BENCH_STRACE === '1') {
      const { syscalls: listSyscalls } = await withSyscalls(chainProcesses, listOnce);
      for (const [name, counts] of Object.entries(listSyscalls)) {
        console.log(`syscalls per LIST, ${name}: ${syscallsPer(counts, LIST_RUNS, LIST_RUNS, 0)}`);
      }
      const { syscalls } = await withSyscalls(chainProcesses, () => smallGets(chainPath, small, 1, CPU_REQUESTS));
      for (const [name, counts] of Object.entries(syscalls)) {
        console.log(`syscalls per request, ${name}: ${syscallsPer(counts, CPU_REQUESTS, CPU_REQUESTS / 10, 2)}`);
      }
    }
    const readyMs = await proxyReadyTime(system, 'bench', token);
    const d = results.direct!;
    const f = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
    const row = (label: string, key: string, unit: string, higherIsBetter = false) =>
      `| ${label} | ${paths.map((p) => `${f(results[p.name]![key]!)} ${unit}${p.name === 'direct' ? '' : ` (${higherIsBetter ? `${f((results[p.name]![key]! / d[key]!) * 100, 0)} %` : `+${f(results[p.name]![key]! - d[key]!)} ${unit}`})`}`).join(' | ')} |`;
    const table = [
      `| measure | ${paths.map((p) => p.name).join(' | ')} |`,
      `| --- | ${paths.map(() => '---').join(' | ')} |`,
      row('small GET p50, 1 client', 'getP50_1', 'ms'),
      row('small GET p99, 1 client', 'getP99_1', 'ms'),
      row(`small GET p50, ${CONCURRENCY} clients`, 'getP50_32', 'ms'),
      row(`small GET p99, ${CONCURRENCY} clients`, 'getP99_32', 'ms'),
      row(`LIST ${CONFIGMAPS} ConfigMaps (${f(d.listBytes! / 1e6, 1)} MB)`, 'listMBps', 'MB/s', true),
      row(`event latency p50, ${WATCHES} watches`, 'watchP50', 'ms'),
      row(`event latency p99, ${WATCHES} watches`, 'watchP99', 'ms'),
      `| clusterconnect proxy start → first answer | | | ${f(readyMs, 0)} ms |${' |'.repeat(paths.length - 3)}`,
    ].join('\n');
    const cc = results.ClusterConnect!;
    const kp = results['kubectl proxy']!;
    const verdicts = [
      `small GET p50 ≤ direct + 1 ms: ${cc.getP50_1! - d.getP50_1! <= 1 ? 'met' : 'missed'} (+${f(cc.getP50_1! - d.getP50_1!)} ms)`,
      `LIST ≥ 80 % of direct: ${cc.listMBps! / d.listMBps! >= 0.8 ? 'met' : 'missed'} (${f((cc.listMBps! / d.listMBps!) * 100, 0)} %)`,
      `proxy ready < 1 s: ${readyMs < 1000 ? 'met' : 'missed'} (${f(readyMs, 0)} ms)`,
      `ahead of kubectl proxy on added latency (p50, 1 client): ${cc.getP50_1! <= kp.getP50_1! ? 'yes' : 'no'} (+${f(cc.getP50_1! - d.getP50_1!)} vs +${f(kp.getP50_1! - d.getP50_1!)} ms)`,
    ];
    const cpuLine = `CPU per request through the chain, ${CPU_REQUESTS} sequential small GETs: ${Object.entries(cpuPerRequestUs).map(([k, v]) => `${k} ${v} µs`).join(', ')}\n` +
      `CPU per LIST through the chain (${LIST_RUNS} LISTs): ${Object.entries(cpuPerListMs).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(', ')}`;
    console.log(`\n${table}\n\n${cpuLine}\n\n${verdicts.map((v) => `- ${v}`).join('\n')}\n\nRelay RSS per idle agent at 1,000 agents: make bench-tunnel (same relay code).`);
    mkdirSync(repoPath('bench/results'), { recursive: true });
    writeFileSync(repoPath('bench/results/e2e.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, results, cpuPerRequestUs, cpuPerListMs, proxyReadyMs: readyMs, verdicts }, null, 2));
    console.log(`wrote ${repoPath('bench/results/e2e.json')}`);
  } finally {
    for (const p of paths) p.close();
    kubectlProxy?.kill();
    await system?.stop();
    await kubectl(['delete', 'namespace', ns, '--wait=false']);
  }
}

main().catch((error: unknown) => {
  console.error('bench-e2e failed:', error instanceof Error ? (error.stack ?? error) : error);
  process.exit(1);
});
