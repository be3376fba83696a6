// Runs `clusterconnect <role> …` (the built CLI) as a child process, the way it runs in a pod, and collects its
// JSON log lines so tests can wait for what it says.
import { spawn, type ChildProcess } from 'node:child_process';
import { repoPath } from './repo.js';

export interface CliProcess {
  child: ChildProcess;
  logs: string[];
  /** Resolves with the first log line matching, or rejects after the timeout naming what was awaited. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM (or the given signal) and wait for exit; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export const cliMain = repoPath('dist/proxy/src/cli/main.js');

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  return startProcess(process.execPath, [cliMain, ...args], { ...process.env, ...env });
}

/** Any command, with the same log collection; `env` is the whole environment. */
export function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      logs.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.pattern.test(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    logs,
    waitForLog(pattern, timeoutMs = 20_000) {
      const seen = logs.find((line) => pattern.test(line));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for a log line matching ${String(pattern)}; last lines:\n${logs.slice(-5).join('\n')}`)), timeoutMs);
        waiters.push({ pattern, resolve: (line) => { clearTimeout(timer); resolve(line); } });
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}
