// CPU time of child processes, read from /proc: on a shared 2-core machine wall-clock figures swing with whatever
// else runs, while CPU per unit of work is what a change to the code moves.
import { readFileSync } from 'node:fs';

/** CPU seconds (user + system) a process has used; USER_HZ is 100 on Linux. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs `work` and reports the CPU seconds each named process spent meanwhile. */
export async function withCpu<T>(processes: { name: string; pid: number }[], work: () => Promise<T>): Promise<{ result: T; cpuSeconds: Record<string, number> }> {
  const before = processes.map((p) => cpuSeconds(p.pid));
  const result = await work();
  const cpu = Object.fromEntries(processes.map((p, i) => [p.name, Number((cpuSeconds(p.pid) - (before[i] ?? 0)).toFixed(2))]));
  return { result, cpuSeconds: cpu };
}
