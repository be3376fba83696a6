// One HTTPS request with exact control of the header lines (order, case, duplicates), as an attacker would send
// them; the response body is collected. For the auth proxy's pitfall tests and the benchmark.
import { request } from 'node:https';
import type { Agent } from 'node:https';

export interface CallResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface CallOptions {
  method?: string;
  /** Header lines sent exactly as given. */
  headers?: [string, string][];
  body?: string;
  ca: string | Buffer;
  agent?: Agent;
}

export function httpsCall(url: string, options: CallOptions): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const flat = (options.headers ?? []).flat();
    const target = new URL(url);
    if (!(options.headers ?? []).some(([name]) => name.toLowerCase() === 'host')) flat.unshift('Host', target.host);
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: flat, setHost: false, ca: options.ca, agent: options.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The message of a Kubernetes Status body, or the raw body when it is not one. */
export function statusMessage(result: CallResult): string {
  try {
    const parsed = JSON.parse(result.body) as { kind?: string; message?: string };
    return parsed.kind === 'Status' ? (parsed.message ?? '') : result.body;
  } catch {
    return result.body;
  }
}
