// A `clusterconnect <role>` child process for integration tests: its JSON log lines (stderr) collected, helpers
// to wait for a log message, and its exit code.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { repoPath } from './repo.js';

export interface RoleProcess {
  name: string;
  child: ChildProcess;
  /** Every stderr line so far (JSON log lines, plus anything else the process printed). */
  lines: string[];
  waitForLog(pattern: RegExp | string, timeoutMs?: number, fromLine?: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export const cliPath = repoPath('dist/proxy/src/cli/main.js');

export function startRole(name: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; nodeOptions?: string[] } = {}): RoleProcess {
  return startCommand(name, process.execPath, [...(options.nodeOptions ?? []), cliPath, ...args], {
    env: { ...process.env, LOG_LEVEL: 'debug', ...options.env },
    cwd: options.cwd,
  });
}

/** Any command, with the same log collection; `env` is its whole environment. */
export function startCommand(name: string, command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): RoleProcess {
  const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  const onChunk = (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts.filter((line) => line !== ''));
    for (const waiter of waiters) waiter();
  };
  child.stderr?.setEncoding('utf8').on('data', onChunk);
  child.stdout?.setEncoding('utf8').on('data', onChunk);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const matches = (pattern: RegExp | string, line: string) => (typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line));
  return {
    name,
    child,
    lines,
    exited,
    waitForLog(pattern, timeoutMs = 20_000, fromLine = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = lines.slice(fromLine).find((l) => matches(pattern, l));
          if (!line) return;
          cleanup();
          try {
            resolve(JSON.parse(line) as Record<string, unknown>);
          } catch {
            resolve({ line });
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${name}: no log line matching ${String(pattern)} within ${timeoutMs} ms; last lines:\n${lines.slice(-8).join('\n')}`));
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          reject(new Error(`${name} exited before logging ${String(pattern)}; last lines:\n${lines.slice(-8).join('\n')}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('exit', onExit);
        };
        waiters.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A port that was free a moment ago (for processes that must come back on the same port). */
export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
