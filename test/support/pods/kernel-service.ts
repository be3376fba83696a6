// A Service port forwarded in the kernel, as kube-proxy's iptables mode does: a nat OUTPUT DNAT from the Service's
// loopback address to the pods' ports, spread at random. The benchmark uses it so that the chain it measures has no
// userspace hop a real cluster lacks. Needs root and iptables (`make bench-e2e` installs it from Debian).
import { execFileSync, spawnSync } from 'node:child_process';
import type { Endpoint } from './services.js';

const CHAIN_PREFIX = 'CCSVC-';
/** Numbers this process's chains (CCSVC-<pid>-<n>) across every LocalServices in it, so two never share a name. */
let chainsMade = 0;
/** How often endpoints are re-read: the pod runner may restart a pod on a new host port. */
const REFRESH_MS = 250;

export function kernelForwardingAvailable(): boolean {
  return process.getuid?.() === 0 && spawnSync('iptables', ['-t', 'nat', '-L', 'OUTPUT', '-n'], { stdio: 'ignore' }).status === 0;
}

/** Deletes the chains of runs whose process is gone (a killed bench cannot clean up after itself). */
export function removeStaleKernelServices(): void {
  const rules = execFileSync('iptables', ['-t', 'nat', '-S'], { encoding: 'utf8' });
  const chains = new Set([...rules.matchAll(new RegExp(`^-N (${CHAIN_PREFIX}(\\d+)-\\d+)$`, 'gm'))].filter((m) => !processAlive(Number(m[2]))).map((m) => m[1]!));
  for (const chain of chains) deleteChain(chain, rules);
}

export class KernelServicePort {
  private readonly chain: string;
  private installed = '';
  private readonly timer: NodeJS.Timeout;

  constructor(address: string, port: number, private readonly endpoints: () => Endpoint[]) {
    this.chain = `${CHAIN_PREFIX}${process.pid}-${chainsMade++}`;
    iptables(['-N', this.chain]);
    iptables(['-A', 'OUTPUT', '-d', address, '-p', 'tcp', '--dport', String(port), '-j', this.chain]);
    this.refresh();
    this.timer = setInterval(() => {
      // A failed rewrite keeps the old rules and is tried again next tick; it must not kill the run.
      try {
        this.refresh();
      } catch (error) {
        console.error(`kernel Service ${address}:${port}: rewriting the DNAT rules failed, retrying: ${(error as Error).message}`);
      }
    }, REFRESH_MS).unref();
  }

  close(): void {
    clearInterval(this.timer);
    deleteChain(this.chain, execFileSync('iptables', ['-t', 'nat', '-S'], { encoding: 'utf8' }));
  }

  /** Rewrites the chain in one iptables-restore transaction when the endpoints changed. */
  private refresh(): void {
    const targets = this.endpoints().filter((e) => e.port > 0);
    const key = JSON.stringify(targets);
    if (key === this.installed) return;
    // kube-proxy's spread: rule i of n matches with probability 1/(n-i), so each endpoint gets 1/n.
    const rules = targets.map((t, i) => {
      const chance = i < targets.length - 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', (1 / (targets.length - i)).toFixed(5)] : [];
      return ['-A', this.chain, '-p', 'tcp', ...chance, '-j', 'DNAT', '--to-destination', `${t.host}:${t.port}`].join(' ');
    });
    execFileSync('iptables-restore', ['--noflush'], { input: ['*nat', `:${this.chain} - [0:0]`, ...rules, 'COMMIT', ''].join('\n') });
    this.installed = key;
  }
}

function iptables(args: string[]): void {
  execFileSync('iptables', ['-t', 'nat', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function deleteChain(chain: string, rules: string): void {
  for (const jump of rules.split('\n').filter((line) => line.startsWith('-A OUTPUT ') && line.endsWith(`-j ${chain}`))) {
    iptables(['-D', ...jump.slice(3).split(' ')]);
  }
  iptables(['-F', chain]);
  iptables(['-X', chain]);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
