// Tunnel benchmark (not a timed test): relay, agent and client proxy as real processes on loopback, compared in
// the same run with a plain Node TCP pipe (one forwarding process). Writes bench/results/tunnel.json and prints a
// table, then the CPU seconds each process spent on a second, warm run of the throughput, 1-stream and 64-stream
// workloads (read from /proc) and what they imply. Run: npm run build && node dist/test/bench/tunnel.js
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile } from '../support/percentile.js';
import { repoPath } from '../support/repo.js';
import { freePort, startRole } from '../support/role-process.js';
import type { RoleProcess } from '../support/role-process.js';
import { makeWorkspace } from '../integration/fixture.js';
import { withCpu } from '../support/process-cpu.js';
import { requireStrace, syscallsPer, withSyscalls } from '../support/process-syscalls.js';
import { testCaPem } from '../unit/relay/fixtures.js';

const THROUGHPUT_BYTES = Number(process.env.BENCH_BYTES ?? 256 * 1024 * 1024);
const REQUEST_SIZE = 1024;
const SEQUENTIAL_REQUESTS = 2000;
const CONCURRENT_STREAMS = 64;
const REQUESTS_PER_CONCURRENT_STREAM = 100;
const MANY_STREAMS = 1000;
const IDLE_AGENTS = Number(process.env.BENCH_IDLE_AGENTS ?? 1000);
const AGENT_CONNECTIONS_METRIC = 'clusterconnect_relay_agent_connections';
/** Set to a directory to write a --cpu-prof profile of the relay, agent and client proxy (stopped with SIGTERM). */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
/** Extra node flags for the relay, agent and client proxy only (e.g. GC settings under test), space-separated. */
const ROLE_NODE_OPTIONS = (process.env.BENCH_ROLE_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
/** Comma-separated subset of throughput,latency1,latency64,streams,idle (default: all), e.g. for profiling one. */
const PHASES = new Set((process.env.BENCH_ONLY ?? 'throughput,latency1,latency64,streams,idle').split(','));
/** BENCH_RELAY_TLS=1: the relay serves wss (as in production) instead of plain ws, to show what TLS costs per hop. */
const RELAY_TLS = process.env.BENCH_RELAY_TLS === '1';
/** Set to a directory to keep each role's output (e.g. with BENCH_ROLE_NODE_OPTIONS=--trace-gc) as NAME.log. */
const ROLE_LOG_DIR = process.env.BENCH_ROLE_LOG_DIR;

/** BENCH_ECHO_DELAY_MS: the upstream answers after a pause, as an apiserver does, so every hop sleeps between requests. */
const ECHO_DELAY_MS = Number(process.env.BENCH_ECHO_DELAY_MS ?? 0);

async function echoServer(): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    if (ECHO_DELAY_MS > 0) socket.on('data', (chunk: Buffer) => setTimeout(() => socket.write(chunk), ECHO_DELAY_MS));
    else socket.pipe(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

/** The baseline: a separate Node process that pipes each connection to the upstream. */
async function pipeProcess(listenPort: number, upstreamPort: number): Promise<ReturnType<typeof spawn>> {
  const script = `const net=require('net');net.createServer({allowHalfOpen:true},c=>{c.setNoDelay(true);const u=net.connect(${upstreamPort},'127.0.0.1');u.setNoDelay(true);c.pipe(u);u.pipe(c);c.on('error',()=>u.destroy());u.on('error',()=>c.destroy());}).listen(${listenPort},'127.0.0.1',()=>console.log('ready'));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout, 'data');
  return child;
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  socket.setNoDelay(true);
  await once(socket, 'connect');
  return socket;
}

async function throughput(port: number): Promise<number> {
  const socket = await connect(port);
  const chunk = Buffer.alloc(64 * 1024, 7);
  let received = 0;
  const start = performance.now();
  const done = new Promise<void>((resolve) => {
    socket.on('data', (data: Buffer) => {
      received += data.length;
      if (received >= THROUGHPUT_BYTES) resolve();
    });
  });
  let sent = 0;
  while (sent < THROUGHPUT_BYTES) {
    sent += chunk.length;
    if (!socket.write(chunk)) await once(socket, 'drain');
  }
  await done;
  const seconds = (performance.now() - start) / 1000;
  socket.destroy();
  return THROUGHPUT_BYTES / seconds / 1e6;
}

/** Sequential 1 KB request/response round trips on one connection; returns each latency in ms. */
async function roundTrips(port: number, count: number): Promise<number[]> {
  const socket = await connect(port);
  const request = Buffer.alloc(REQUEST_SIZE, 1);
  const latencies: number[] = [];
  let pending = 0;
  let wake: (() => void) | undefined;
  let fail: ((error: Error) => void) | undefined;
  socket.on('data', (data: Buffer) => {
    pending -= data.length;
    if (pending <= 0) wake?.();
  });
  // A refused stream (no agent yet) arrives as a reset: fail instead of waiting forever.
  socket.on('error', (error) => fail?.(error));
  socket.on('close', () => fail?.(new Error('connection closed')));
  for (let i = 0; i < count; i++) {
    pending = REQUEST_SIZE;
    const start = performance.now();
    const answered = new Promise<void>((resolve, reject) => {
      wake = resolve;
      fail = reject;
    });
    socket.write(request);
    await answered;
    latencies.push(performance.now() - start);
  }
  socket.destroy();
  return latencies;
}

async function latency(port: number, streams: number, perStream: number) {
  const all = (await Promise.all(Array.from({ length: streams }, () => roundTrips(port, perStream)))).flat();
  return { p50: percentile(all, 50), p99: percentile(all, 99) };
}

async function manyStreams(port: number): Promise<{ ok: number; seconds: number }> {
  const start = performance.now();
  const sockets = await Promise.all(Array.from({ length: MANY_STREAMS }, () => connect(port)));
  const results = await Promise.all(sockets.map(async (socket) => {
    socket.on('error', () => undefined);
    const answer = new Promise<boolean>((resolve) => {
      let got = 0;
      socket.on('data', (d: Buffer) => {
        got += d.length;
        if (got >= REQUEST_SIZE) resolve(true);
      });
      socket.on('close', () => resolve(got >= REQUEST_SIZE));
    });
    socket.write(Buffer.alloc(REQUEST_SIZE, 2));
    return answer;
  }));
  const seconds = (performance.now() - start) / 1000;
  for (const socket of sockets) socket.destroy();
  return { ok: results.filter(Boolean).length, seconds };
}

/** The tunnel processes, as withCpu takes them. */
const cpuOf = (roles: RoleProcess[]) => roles.map((r) => ({ name: r.name, pid: r.child.pid ?? 0 }));

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** The relay's `clusterconnect_relay_agent_connections` gauge (agent sessions it holds), from its ops /metrics. */
async function relayAgentConnections(opsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${AGENT_CONNECTIONS_METRIC} `));
  if (line === undefined) throw new Error(`the relay's /metrics has no ${AGENT_CONNECTIONS_METRIC}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function idleAgentMemory(ws: Awaited<ReturnType<typeof makeWorkspace>>): Promise<{ held: number; rssBefore: number; rssAfter: number; perAgentKiB: number }> {
  const [port, opsPort] = [await freePort(), await freePort()];
  const relay = startRole('relay-idle', ['relay', '--listen', `127.0.0.1:${port}`, '--insecure', '--public-key-file', ws.keys.publicKeyFile, '--ops-host', '127.0.0.1', '--ops-port', String(opsPort)], { env: { LOG_LEVEL: 'warn' } });
  try {
    // LOG_LEVEL=warn hides "relay listening"; the INSECURE warning comes right before it.
    await relay.waitForLog('INSECURE');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const clusters = 100;
    for (let i = 0; i < clusters; i++) writeFileSync(join(ws.dir, `bench-${i}.token`), await ws.keys.token('agent', `bench-${i}`));
    writeFileSync(join(ws.dir, 'upstream-ca.pem'), await testCaPem());
    const rssBefore = rssBytes(relay.child.pid ?? 0);
    const agents = spawn(process.execPath, [repoPath('dist/test/bench/idle-agents.js'), `ws://127.0.0.1:${port}`, ws.dir, String(IDLE_AGENTS), String(clusters)], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await once(agents.stdout, 'data');
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const rssAfter = rssBytes(relay.child.pid ?? 0);
      // The figure is per agent the relay holds: its own gauge, read after the RSS, rather than the spawner's count.
      const held = await relayAgentConnections(opsPort);
      if (held < IDLE_AGENTS) throw new Error(`the relay holds ${held} agent connections, not ${IDLE_AGENTS}: the per-agent figure would be wrong`);
      return { held, rssBefore, rssAfter, perAgentKiB: (rssAfter - rssBefore) / held / 1024 };
    } finally {
      agents.kill('SIGKILL');
    }
  } finally {
    await relay.stop('SIGKILL');
  }
}

/**
 * What this machine allows at all, from the CPU figures above: when every process is busy, throughput is cores ÷
 * CPU per byte summed over the processes on the path, and a round trip's wait grows by the extra CPU the streams
 * in flight queue for. Computed for a tunnel whose three processes each cost what the one pipe process costs.
 */
function cpuBoundLines(results: { throughputCpu: Record<string, number>; throughputPipeCpu: Record<string, number>; throughputMBps: { pipe: number }; latency64Cpu: Record<string, number>; latency64PipeCpu: Record<string, number> }, cores: number): string[] {
  const lines: string[] = [];
  const { pipe, bench } = results.throughputPipeCpu;
  if (pipe && bench) {
    const ratios = Object.entries(results.throughputCpu).map(([k, v]) => `${k} x${(v / pipe).toFixed(2)}`).join(', ');
    const mb = THROUGHPUT_BYTES / 1e6;
    const ceiling = (cores * mb) / (bench + 3 * pipe);
    lines.push(`\nEach tunnel process's CPU for the echo vs the pipe process's: ${ratios}.`);
    lines.push(`CPU-bound ceiling here: ${cores} cores / (bench ${bench.toFixed(2)} s + 3 x pipe ${pipe.toFixed(2)} s) per ${mb.toFixed(0)} MB = ${ceiling.toFixed(0)} MB/s, ` +
      `${((ceiling / results.throughputMBps.pipe) * 100).toFixed(0)} % of the pipe, for three processes each as cheap as the pipe (the pipe alone computes to ${((cores * mb) / (bench + pipe)).toFixed(0)} MB/s).`);
  }
  const pipe64 = results.latency64PipeCpu.pipe;
  if (pipe64) {
    const roundTrips = CONCURRENT_STREAMS * REQUESTS_PER_CONCURRENT_STREAM;
    const perTrip = (seconds: number) => (seconds * 1e6) / roundTrips;
    const tunnelUs = Object.values(results.latency64Cpu).reduce((a, b) => a + perTrip(b), 0);
    // Little's law with every stream waiting on busy cores: the added wait is streams x added CPU per trip / cores.
    const added = (extraUs: number) => (CONCURRENT_STREAMS * extraUs) / cores / 1000;
    lines.push(`${CONCURRENT_STREAMS} streams: CPU per round trip, pipe process ${perTrip(pipe64).toFixed(0)} µs, the three tunnel processes ${tunnelUs.toFixed(0)} µs; ` +
      `with every core busy that predicts +${added(tunnelUs - perTrip(pipe64)).toFixed(2)} ms per trip, and +${added(2 * perTrip(pipe64)).toFixed(2)} ms for three processes each as cheap as the pipe.`);
  }
  return lines;
}

async function main(): Promise<void> {
  if (process.env.BENCH_STRACE === '1') requireStrace(); // before minutes of work, not at the strace phase
  const cpus = (await import('node:os')).cpus().length;
  const upstream = await echoServer();
  const upstreamPort = (upstream.address() as AddressInfo).port;
  const ws = await makeWorkspace(await testCaPem());
  const [pipePort, relayPort, proxyPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const pipe = await pipeProcess(pipePort, upstreamPort);
  const processes: RoleProcess[] = [];
  try {
    const quiet = { LOG_LEVEL: 'warn' };
    const profile = (name: string) => (PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, '--cpu-prof-name', `${name}.cpuprofile`] : []);
    const roleOptions = (name: string) => ({ env: quiet, nodeOptions: [...ROLE_NODE_OPTIONS, ...profile(name)] });
    const relayTls = RELAY_TLS ? ['--tls-cert-file', ws.relayCertFile, '--tls-key-file', ws.relayKeyFile] : ['--insecure'];
    const relayCaFile = join(ws.dir, 'relay-ca.pem');
    writeFileSync(relayCaFile, ws.relayCaPem);
    const dialerTls = RELAY_TLS ? [`--relay-ca-file=${relayCaFile}`] : ['--insecure'];
    const relay = startRole('relay', ['relay', '--listen', `127.0.0.1:${relayPort}`, ...relayTls, '--public-key-file', ws.keys.publicKeyFile, '--ops-host', '127.0.0.1', '--ops-port', '0'], roleOptions('relay'));
    processes.push(relay);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const agentToken = await ws.keys.tokenFile('agent', 'bench');
    const clientToken = await ws.keys.tokenFile('client', 'bench');
    const relayUrl = `${RELAY_TLS ? 'wss' : 'ws'}://127.0.0.1:${relayPort}`;
    const agent = startRole('agent', ['agent', '--cluster-name=bench', `--relay-url=${relayUrl}`, `--relay-token-file=${agentToken}`, `--upstream=127.0.0.1:${upstreamPort}`, `--upstream-ca-file=${ws.upstreamCaFile}`, '--upstream-server-name=localhost', '--ops-host=127.0.0.1', '--ops-port=0', ...dialerTls], roleOptions('agent'));
    processes.push(agent);
    const proxyArgs = ['proxy', '-n', 'bench', '--relay', relayUrl, '--port', String(proxyPort), '--relay-token-file', clientToken, ...dialerTls, '--file', join(ws.dir, 'kubeconfig')];
    // The proxy needs the agent's connection info from the relay, so it exits with 3 until the agent is there.
    let proxy = startRole('proxy', proxyArgs, roleOptions('proxy'));
    for (;;) {
      const outcome = await Promise.race([proxy.waitForLog('Press Ctrl+C').then(() => 'ready' as const), proxy.exited]);
      if (outcome === 'ready') break;
      if (outcome !== 3) throw new Error(`clusterconnect proxy exited with ${outcome}: ${proxy.lines.slice(-3).join(' | ')}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      proxy = startRole('proxy', proxyArgs, roleOptions('proxy'));
    }
    processes.push(proxy);
    // Wait until a round trip works through the whole chain.
    for (;;) {
      const ok = await roundTrips(proxyPort, 1).then(() => true, () => false);
      if (ok) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const skipped = { p50: NaN, p99: NaN };
    // The pipe process and this one (client and echo server) on the baseline path, to compare CPU per unit of work.
    const baselineProcesses = [{ name: 'pipe', pid: pipe.pid ?? 0 }, { name: 'bench', pid: process.pid }];
    const phase = async <T>(name: string, run: () => Promise<T>, none: T): Promise<T> => (PHASES.has(name) ? run() : none);
    // Two runs per path and workload, on purpose: the first gives the figure and warms the processes up (V8 compiles
    // the hot paths), and the CPU is read on the second. Read on a first run, the CPU would mix in that compilation
    // (a fresh pipe process spent 0.41-0.68 s on its first 256 MB, 0.34-0.53 s on later ones) and the ratios with it.
    const pipeAndTunnel = async <T>(work: (port: number) => Promise<T>) => {
      const figures = { pipe: await work(pipePort), tunnel: await work(proxyPort) };
      const pipeCpu = (await withCpu(baselineProcesses, () => work(pipePort))).cpuSeconds;
      const tunnelCpu = (await withCpu(cpuOf(processes), () => work(proxyPort))).cpuSeconds;
      return { figures, tunnelCpu, pipeCpu };
    };
    const notRun = <T>(figure: T) => ({ figures: { pipe: figure, tunnel: figure }, tunnelCpu: {} as Record<string, number>, pipeCpu: {} as Record<string, number> });
    const throughputRun = await phase('throughput', () => pipeAndTunnel(throughput), notRun(NaN));
    // strace slows every process it is attached to, so syscalls are counted on runs of their own.
    const throughputSyscalls = process.env.BENCH_STRACE === '1' ? await phase('throughput', async () => ({
      ...(await withSyscalls(cpuOf(processes), () => throughput(proxyPort))).syscalls,
      ...(await withSyscalls(baselineProcesses.slice(0, 1), () => throughput(pipePort))).syscalls,
    }), {}) : {};
    const latency1Run = await phase('latency1', () => pipeAndTunnel((port) => latency(port, 1, SEQUENTIAL_REQUESTS)), notRun(skipped));
    const latency64Run = await phase('latency64', () => pipeAndTunnel((port) => latency(port, CONCURRENT_STREAMS, REQUESTS_PER_CONCURRENT_STREAM)), notRun(skipped));
    const results = {
      date: new Date().toISOString(),
      node: process.version,
      cpus,
      // BENCH_ONLY runs a subset; the phases left out hold placeholders (NaN, 0), so say which ran.
      phases: [...PHASES],
      note: RELAY_TLS ? 'relay serving wss (TLS on both tunnel hops)' : 'relay with --insecure (plain ws): measures framing and multiplexing, not the relay TLS layer',
      // Each *Cpu figure is read on a second, warm run of the workload whose figure sits above it.
      throughputMBps: throughputRun.figures,
      throughputCpu: throughputRun.tunnelCpu,
      throughputPipeCpu: throughputRun.pipeCpu,
      throughputSyscalls,
      latency1: latency1Run.figures,
      latency1Cpu: latency1Run.tunnelCpu,
      latency1PipeCpu: latency1Run.pipeCpu,
      latency64: latency64Run.figures,
      latency64Cpu: latency64Run.tunnelCpu,
      latency64PipeCpu: latency64Run.pipeCpu,
      concurrentStreams: await phase('streams', async () => ({ pipe: await manyStreams(pipePort), tunnel: await manyStreams(proxyPort) }), { pipe: { ok: 0, seconds: NaN }, tunnel: { ok: 0, seconds: NaN } }),
      idleAgents: await phase('idle', () => idleAgentMemory(ws), { held: 0, rssBefore: 0, rssAfter: 0, perAgentKiB: NaN }),
    };
    mkdirSync(repoPath('bench/results'), { recursive: true });
    writeFileSync(repoPath('bench/results/tunnel.json'), `${JSON.stringify(results, null, 2)}\n`);

    const f = (n: number, digits = 2) => n.toFixed(digits);
    const rows: [string, string, string, string, string][] = [
      ['single-stream throughput (MB/s, echo)', f(results.throughputMBps.pipe, 0), f(results.throughputMBps.tunnel, 0), `${f((results.throughputMBps.tunnel / results.throughputMBps.pipe) * 100, 0)} %`, '>= 50 %'],
      ['1 KB req/resp p50, 1 stream (ms)', f(results.latency1.pipe.p50, 3), f(results.latency1.tunnel.p50, 3), `+${f(results.latency1.tunnel.p50 - results.latency1.pipe.p50, 3)} ms`, '<= +0.5 ms'],
      ['1 KB req/resp p99, 1 stream (ms)', f(results.latency1.pipe.p99, 3), f(results.latency1.tunnel.p99, 3), `x${f(results.latency1.tunnel.p99 / results.latency1.pipe.p99)}`, ''],
      ['1 KB req/resp p50, 64 streams (ms)', f(results.latency64.pipe.p50, 3), f(results.latency64.tunnel.p50, 3), `+${f(results.latency64.tunnel.p50 - results.latency64.pipe.p50, 3)} ms`, '<= +0.5 ms'],
      ['1 KB req/resp p99, 64 streams (ms)', f(results.latency64.pipe.p99, 3), f(results.latency64.tunnel.p99, 3), `x${f(results.latency64.tunnel.p99 / results.latency64.pipe.p99)}`, ''],
      [`${MANY_STREAMS} concurrent streams (ok / s)`, `${results.concurrentStreams.pipe.ok} / ${f(results.concurrentStreams.pipe.seconds)}`, `${results.concurrentStreams.tunnel.ok} / ${f(results.concurrentStreams.tunnel.seconds)}`, '', `all ${MANY_STREAMS}`],
      [`relay RSS per idle agent (${results.idleAgents.held} agents held)`, '', `${f(results.idleAgents.perAgentKiB, 1)} KiB`, '', '<= 50 KB'],
    ];
    const widths = [44, 14, 14, 12, 12];
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 10)).join(' ');
    console.log(line(['measure', 'TCP pipe', 'tunnel', 'ratio', 'target']));
    for (const row of rows) console.log(line(row));
    const cpu = (c: Record<string, number>) => Object.entries(c).map(([k, v]) => `${k} ${f(v)}`).join(', ');
    console.log(`\nCPU seconds, ${f(THROUGHPUT_BYTES / 1e6, 0)} MB echo through the tunnel (a second run): ${cpu(results.throughputCpu)}`);
    console.log(`CPU seconds, the same echo through the TCP pipe: ${cpu(results.throughputPipeCpu)}`);
    for (const [name, counts] of Object.entries(results.throughputSyscalls)) {
      console.log(`syscalls per MB echoed (BENCH_STRACE, a run of its own), ${name}: ${syscallsPer(counts, THROUGHPUT_BYTES / 1e6, 101, 1)}`);
    }
    console.log(`CPU seconds, ${SEQUENTIAL_REQUESTS} sequential 1 KB round trips through the tunnel (a second run): ${cpu(results.latency1Cpu)}`);
    console.log(`CPU seconds, the same round trips through the TCP pipe: ${cpu(results.latency1PipeCpu)}`);
    console.log(`CPU seconds, ${CONCURRENT_STREAMS} streams x ${REQUESTS_PER_CONCURRENT_STREAM} 1 KB round trips through the tunnel (a second run): ${cpu(results.latency64Cpu)}`);
    console.log(`CPU seconds, the same round trips through the TCP pipe: ${cpu(results.latency64PipeCpu)}`);
    for (const line of cpuBoundLines(results, cpus)) console.log(line);
    console.log(`\nwrote ${repoPath('bench/results/tunnel.json')}`);
  } finally {
    pipe.kill('SIGKILL');
    // SIGTERM lets a profiled process exit normally, which is when --cpu-prof writes its file.
    await Promise.all(processes.map((p) => p.stop(PROFILE_DIR ? 'SIGTERM' : 'SIGKILL')));
    if (ROLE_LOG_DIR) for (const p of processes) writeFileSync(join(ROLE_LOG_DIR, `${p.name}.log`), `${p.lines.join('\n')}\n`);
    upstream.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('bench-tunnel failed:', error instanceof Error ? (error.stack ?? error) : error);
    process.exit(1);
  },
);
