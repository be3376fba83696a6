// msal-node's HTTP client trusts only Node's roots plus NODE_EXTRA_CA_CERTS (read at process start). An authority
// with a private CA — the tests' OpenID Provider, an on-premises issuer — gets this client instead: msal's own
// documented `system.networkClient` seam, over node:https with exactly the given trust, which callers share with their
// discovery fetch: the issuer's (its --oidc-ca-file alone), or the default roots plus --graph-ca-file or
// --authority-ca-file (defaultRootsPlus).
import type { Agent } from 'node:https';
import { request } from 'node:https';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import type { TrustingAgent } from './https-fetch.js';

const MAX_BODY_BYTES = 1024 * 1024;

function send<T>(method: 'GET' | 'POST', url: string, agent: Agent, options: NetworkRequestOptions | undefined, timeoutMs: number): Promise<NetworkResponse<T>> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers: options?.headers ?? {}, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) res.destroy(new Error('token endpoint response too large'));
        else chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = {};
        try {
          body = text ? JSON.parse(text) : {};
        } catch {
          // msal reports a non-JSON body as a server error; hand it an empty object as its own client does.
        }
        resolve({ headers, body: body as T, status: res.statusCode ?? 0 });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`request to ${new URL(url).origin} timed out`)));
    req.on('error', reject);
    req.end(method === 'POST' ? options?.body : undefined);
  });
}

/** Its TLS context is the trust's, built on the first request (https-fetch.ts). */
export function createMsalNetworkClient(trust: TrustingAgent, timeoutMs = 10_000): INetworkModule {
  return {
    sendGetRequestAsync: <T>(url: string, options?: NetworkRequestOptions, timeout?: number) => send<T>('GET', url, trust.agent, options, timeout ?? timeoutMs),
    sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => send<T>('POST', url, trust.agent, options, timeoutMs),
  };
}
