// `clusterconnect proxy` (and other client commands) as a child process with stdout and stderr kept apart, so a
// test can check that stdout holds exactly the ready line (or the YAML) and nothing else.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cliPath } from '../support/role-process.js';

export interface ClientProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the time (ms, performance-free wall clock) when stdout or stderr first matches. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<number>;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startClient(args: string[], env: NodeJS.ProcessEnv): ClientProcess {
  const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const text = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  for (const name of ['stdout', 'stderr'] as const) {
    child[name].setEncoding('utf8').on('data', (chunk: string) => {
      text[name] += chunk;
      for (const waiter of waiters) waiter();
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    exited,
    waitFor(stream, pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(text[stream])) return;
          cleanup();
          resolve(Date.now());
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${stream} match for ${String(pattern)} within ${timeoutMs} ms; stderr:\n${text.stderr.slice(-2000)}`));
        }, timeoutMs);
        const onExit = (code: number | null) => {
          setImmediate(() => {
            if (!waiters.has(check)) return;
            cleanup();
            reject(new Error(`exited (${code}) before ${stream} matched ${String(pattern)}; stderr:\n${text.stderr.slice(-2000)}`));
          });
        };
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('close', onExit);
        };
        waiters.add(check);
        child.once('close', onExit);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs a command to completion. */
export async function runClient(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = startClient(args, env);
  const code = await proc.exited;
  return { code, stdout: proc.stdout(), stderr: proc.stderr() };
}
