// A `clusterconnect <role>` (or any) child process for tests: its output collected both as lines (JSON log lines)
// and as separate stdout and stderr text, helpers to wait for a log line or a stream match, and its exit code.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { repoPath } from './repo.js';
import { run, type RunResult } from './run.js';

export interface RoleProcess {
  name: string;
  child: ChildProcess;
  /** Every stdout and stderr line so far (JSON log lines, plus anything else the process printed); after the
   *  process closes, also a last line that had no newline. */
  lines: string[];
  /** All stdout text so far, as printed. */
  stdout: () => string;
  /** All stderr text so far, as printed. */
  stderr: () => string;
  /** Resolves with the first line (parsed as JSON if it is JSON) from `fromLine` on that matches. */
  waitForLog(pattern: RegExp | string, timeoutMs?: number, fromLine?: number): Promise<Record<string, unknown>>;
  /** Resolves with the time (ms, performance-free wall clock) when the stream's whole text first matches. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<number>;
  /** The exit code, once the process has exited and its stdout and stderr are drained ('close'). */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export const cliPath = repoPath('dist/proxy/src/cli/main.js');

interface RoleOptions {
  /** Laid over this process's environment (and LOG_LEVEL=debug, which it may override). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  nodeOptions?: string[];
}

/** node [nodeOptions] main.js args, and its environment: this process's, LOG_LEVEL=debug, then `options.env`. */
const roleCommand = (args: string[], options: RoleOptions) => ({
  args: [...(options.nodeOptions ?? []), cliPath, ...args],
  env: { ...process.env, LOG_LEVEL: 'debug', ...options.env },
});

export function startRole(name: string, args: string[], options: RoleOptions = {}): RoleProcess {
  const command = roleCommand(args, options);
  return startCommand(name, process.execPath, command.args, { env: command.env, cwd: options.cwd });
}

/** Runs a command (`clusters`, a `proxy` that fails, `login`, `relay keygen`) to completion with run(): stdout and
 *  stderr stay apart, so a test can check that stdout holds exactly the ready line, the YAML or the table; killed
 *  after run()'s default timeout (60 s), and then its code is null. */
export async function runRole(name: string, args: string[], options: RoleOptions = {}): Promise<RunResult> {
  const command = roleCommand(args, options);
  try {
    return await run(process.execPath, command.args, { env: command.env, cwd: options.cwd });
  } catch (error) {
    throw new Error(`${name}: clusterconnect did not start: ${(error as Error).message}`, { cause: error });
  }
}

/** Any command, with the same log collection; `env` is its whole environment. */
export function startCommand(name: string, command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): RoleProcess {
  const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const text = { stdout: '', stderr: '' };
  // Per stream, so that a partial line on one stream is not glued to a chunk of the other.
  const buffered = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of waiters) waiter();
  };
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream].setEncoding('utf8').on('data', (chunk: string) => {
      text[stream] += chunk;
      const parts = (buffered[stream] + chunk).split('\n');
      buffered[stream] = parts.pop() ?? '';
      lines.push(...parts.filter((line) => line !== ''));
      wake();
    });
  }
  // 'close' (not 'exit'): it fires only after stdout and stderr have been drained, so no last line is missed.
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      for (const stream of ['stderr', 'stdout'] as const) {
        if (buffered[stream] !== '') lines.push(buffered[stream]);
        buffered[stream] = '';
      }
      wake();
      resolve(code);
    }),
  );
  const tail = () => `last lines:\n${lines.slice(-8).join('\n')}`;
  const matches = (pattern: RegExp | string, line: string) => (typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line));

  /** Resolves once `found` returns a value; rejects on timeout, or when the process closes without a match. */
  function waitUntil<T>(found: () => T | undefined, timeoutMs: number, describe: (closed: boolean, code?: number | null) => string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = found();
        if (value === undefined) return;
        cleanup();
        resolve(value);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(describe(false)));
      }, timeoutMs);
      const onClose = (code: number | null) => {
        // After the close handler above has flushed the last line and woken the waiters.
        setImmediate(() => {
          if (!waiters.has(check)) return;
          cleanup();
          reject(new Error(describe(true, code)));
        });
      };
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
        child.off('close', onClose);
      };
      waiters.add(check);
      child.once('close', onClose);
      check();
    });
  }

  return {
    name,
    child,
    lines,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    exited,
    waitForLog(pattern, timeoutMs = 20_000, fromLine = 0) {
      return waitUntil(
        () => {
          const line = lines.slice(fromLine).find((l) => matches(pattern, l));
          if (line === undefined) return undefined;
          try {
            return JSON.parse(line) as Record<string, unknown>;
          } catch {
            return { line };
          }
        },
        timeoutMs,
        (closed, code) =>
          closed
            ? `${name} exited (${code}) before logging ${String(pattern)}; ${tail()}`
            : `${name}: no log line matching ${String(pattern)} within ${timeoutMs} ms; ${tail()}`,
      );
    },
    waitFor(stream, pattern, timeoutMs = 20_000) {
      return waitUntil(
        () => (pattern.test(text[stream]) ? Date.now() : undefined),
        timeoutMs,
        (closed, code) =>
          `${name}: ${closed ? `exited (${code}) before ${stream} matched` : `no ${stream} match for`} ${String(pattern)}${closed ? '' : ` within ${timeoutMs} ms`}; stderr:\n${text.stderr.slice(-2000)}`,
      );
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
