// System calls per unit of work, counted by attaching strace to running processes (BENCH_STRACE=1). On this kind of
// machine a hop's cost is mostly wake-ups and syscalls, so the count says what a change to the framing moved.
import { spawn } from 'node:child_process';

/** Runs `work` with `strace -c -f` attached to each process; returns each process's syscall totals by name. */
export async function withSyscalls<T>(processes: { name: string; pid: number }[], work: () => Promise<T>): Promise<{ result: T; syscalls: Record<string, Record<string, number>> }> {
  const tracers = processes.map((p) => {
    const child = spawn('strace', ['-c', '-f', '-p', String(p.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const done = new Promise<string>((resolve) => child.on('close', () => resolve(text)));
    return { name: p.name, child, done };
  });
  await new Promise((resolve) => setTimeout(resolve, 500)); // strace attaches to every thread
  const result = await work();
  for (const t of tracers) t.child.kill('SIGINT');
  const syscalls: Record<string, Record<string, number>> = {};
  for (const t of tracers) {
    const counts: Record<string, number> = {};
    for (const line of (await t.done).split('\n')) {
      const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line);
      if (m) counts[m[2]!] = Number(m[1]);
    }
    syscalls[t.name] = counts;
  }
  return { result, syscalls };
}

/** "read 2.05, write 2.01, …": each call seen at least `minCalls` times, divided by the units of work done. */
export function syscallsPer(counts: Record<string, number>, units: number, minCalls: number, digits: number): string {
  return Object.entries(counts).filter(([, n]) => n >= minCalls).map(([call, n]) => `${call} ${(n / units).toFixed(digits)}`).join(', ');
}
