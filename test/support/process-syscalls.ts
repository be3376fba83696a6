// System calls per unit of work, counted by attaching strace to running processes (BENCH_STRACE=1). On this kind of
// machine a hop's cost is mostly wake-ups and syscalls, so the count says what a change to the framing moved.
import { spawn, spawnSync } from 'node:child_process';

const INSTALL_HINT = 'install it (apt-get install strace, or `BENCH_STRACE=1 test/install-bench-tools.sh` as root) or unset BENCH_STRACE';

/** Throws a one-line error naming the fix when strace cannot be run. A bench with BENCH_STRACE=1 calls it at start,
 *  before its work and before any withSyscalls(). */
export function requireStrace(): void {
  const probe = spawnSync('strace', ['-V'], { stdio: 'ignore' });
  if (probe.error) {
    const code = (probe.error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `BENCH_STRACE=1 needs strace, which is not on PATH: ${INSTALL_HINT}` : `BENCH_STRACE=1: strace cannot run (${probe.error.message}): ${INSTALL_HINT}`);
  }
}

/** Runs `work` with `strace -c -f` attached to each process; returns each process's syscall totals by name. The
 *  caller has checked for strace with requireStrace() at its start. */
export async function withSyscalls<T>(processes: { name: string; pid: number }[], work: () => Promise<T>): Promise<{ result: T; syscalls: Record<string, Record<string, number>> }> {
  const tracers = processes.map((p) => {
    const child = spawn('strace', ['-c', '-f', '-p', String(p.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    // 'error' (strace gone between the check and here, or not executable) fails the run instead of crashing it.
    const done = new Promise<string>((resolve, reject) => {
      child.once('error', (error) => reject(new Error(`BENCH_STRACE=1: strace for ${p.name} did not start (${error.message}): ${INSTALL_HINT}`)));
      child.once('close', () => resolve(text));
    });
    done.catch(() => undefined); // awaited below; this only keeps an early failure from being unhandled meanwhile
    return { name: p.name, child, done };
  });
  await new Promise((resolve) => setTimeout(resolve, 500)); // strace attaches to every thread
  const result = await work();
  for (const t of tracers) t.child.kill('SIGINT');
  const syscalls: Record<string, Record<string, number>> = {};
  for (const t of tracers) {
    const text = await t.done;
    const counts: Record<string, number> = {};
    for (const line of text.split('\n')) {
      const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line);
      if (m && m[2] !== 'total') counts[m[2]!] = Number(m[1]);
    }
    // strace runs but cannot attach (no ptrace rights): it prints why and no table; a silent empty count would mislead.
    if (!/Process \d+ attached/.test(text)) throw new Error(`BENCH_STRACE=1: strace could not attach to ${t.name}: ${text.trim().split('\n')[0] ?? 'no output'}`);
    syscalls[t.name] = counts;
  }
  return { result, syscalls };
}

/** "total 66.0: read 2.05, write 2.01, …": every call counted, then each call seen at least `minCalls` times, all
 *  divided by the units of work done. */
export function syscallsPer(counts: Record<string, number>, units: number, minCalls: number, digits: number): string {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const calls = Object.entries(counts).filter(([, n]) => n >= minCalls).map(([call, n]) => `${call} ${(n / units).toFixed(digits)}`);
  return `total ${(total / units).toFixed(digits)}: ${calls.join(', ')}`;
}
