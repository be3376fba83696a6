// The identity the apiserver would act on for a request, read by Go's own HTTP parser and the apiserver's header
// reading (go-impersonation-reader/main.go), for tests that compare it with what kube-aad-proxy checked. The Go
// program is built once per source into the binary cache outside the checkout (as the Kubernetes binaries are).
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoPath } from './repo.js';
import { run } from './run.js';

/** Values as Go holds them, decoded as UTF-8 (a byte sequence that is not UTF-8 cannot equal a checked value). */
export interface GoReadIdentity {
  error?: string;
  user?: string;
  uid?: string;
  groups: string[];
  extra: Record<string, string[]>;
}

interface WireIdentity {
  error?: string;
  user?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

const SOURCE_DIR = repoPath('test/support/go-impersonation-reader');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Base64 of Go's bytes → the string they are in UTF-8, or a marker no identity value can equal. */
function decode(base64: string): string {
  try {
    return utf8.decode(Buffer.from(base64, 'base64'));
  } catch {
    return `\u0000not UTF-8: ${base64}`;
  }
}

async function buildReader(): Promise<string> {
  const hash = createHash('sha256').update(readFileSync(join(SOURCE_DIR, 'main.go'))).update(readFileSync(join(SOURCE_DIR, 'go.mod'))).digest('hex').slice(0, 12);
  const cache = process.env.CLUSTERCONNECT_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'clusterconnect');
  const binary = join(cache, `go-impersonation-reader-${hash}`, 'reader');
  if (existsSync(binary)) return binary;
  mkdirSync(join(cache, `go-impersonation-reader-${hash}`), { recursive: true });
  const built = await run('go', ['build', '-o', binary, '.'], { cwd: SOURCE_DIR, timeoutMs: 300_000, env: { ...process.env, CGO_ENABLED: '0' } });
  if (built.code !== 0) throw new Error(`go build of the impersonation reader failed (Go 1.24+ is a prerequisite): ${built.stderr.trim()}`);
  return binary;
}

export interface GoImpersonationReader {
  /** What the apiserver would impersonate for these raw request bytes (headers up to the blank line). */
  read(raw: Buffer): Promise<GoReadIdentity>;
  close(): void;
}

export async function startGoImpersonationReader(): Promise<GoImpersonationReader> {
  const child: ChildProcessWithoutNullStreams = spawn(await buildReader(), [], { stdio: ['pipe', 'pipe', 'pipe'] });
  const waiting: Array<(line: string) => void> = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.(line));
  const exited = new Promise<never>((_, reject) => child.on('exit', (code) => reject(new Error(`the impersonation reader exited (${code}): ${stderr.trim()}`))));
  exited.catch(() => undefined);
  return {
    async read(raw) {
      const line = new Promise<string>((resolve) => waiting.push(resolve));
      child.stdin.write(`${JSON.stringify({ raw: raw.toString('base64') })}\n`);
      const wire = JSON.parse(await Promise.race([line, exited])) as WireIdentity;
      if (wire.error !== undefined) return { error: wire.error, groups: [], extra: {} };
      return {
        ...(wire.user !== undefined ? { user: decode(wire.user) } : {}),
        ...(wire.uid !== undefined ? { uid: decode(wire.uid) } : {}),
        groups: (wire.groups ?? []).map(decode),
        extra: Object.fromEntries(Object.entries(wire.extra ?? {}).map(([key, values]) => [key, values.map(decode)])),
      };
    },
    close() {
      child.stdin.end();
      child.kill();
    },
  };
}
