// A minimal fetch over node:https that trusts a given CA. Global fetch can only be taught a private CA through
// an undici dispatcher (not a dependency here) or NODE_EXTRA_CA_CERTS (process-wide); issuers with a private CA
// and the tests' self-signed issuer need it per issuer.
import { Agent, request } from 'node:https';
import { createSecureContext } from 'node:tls';

/** The subset of fetch the verifier (plain GETs) and the Graph group resolver (a JSON POST) use. */
export type FetchLike = (
  url: string,
  init?: { method?: string; headers?: Headers | Record<string, string>; body?: string; signal?: AbortSignal; redirect?: 'follow' | 'manual' | 'error' },
) => Promise<Response>;

/** A PEM bundle, or several, as Node's `ca` option takes it. */
export type CaBundle = string | Buffer | Array<string | Buffer>;

/**
 * A keep-alive agent of its own that trusts exactly `ca`. Its TLS context is built on the first request and then
 * kept: with Node's default roots in the bundle (defaultRootsPlus) building one costs ~20 ms of CPU, too much to
 * repeat per connection, and to spend at startup for a trust that may never be used (an Entra authority's discovery
 * fetch, the OpenID path of a login that never asks msal). Share one between the users of the same trust (a fetch
 * and msal's network client) so they build one context. A private agent never hands a socket verified under one
 * trust set to a caller with another.
 */
export class TrustingAgent {
  private built: Agent | undefined;

  constructor(private readonly ca: CaBundle) {}

  get agent(): Agent {
    return (this.built ??= new Agent({ keepAlive: true, secureContext: createSecureContext({ ca: this.ca }) }));
  }
}

export type HttpsFetchOptions = (
  | {
      /** Exactly the PEM bundle trusted: Node's `ca` replaces its default roots. --oidc-ca-file means that (the
       *  file alone); a flag that adds to the roots (--graph-ca-file) passes defaultRootsPlus(file) (common/ca-trust.ts). */
      ca: CaBundle;
    }
  | {
      /** The agent, when its trust is shared with another client (msal-network-client.ts). */
      trust: TrustingAgent;
    }
) & {
  /** Larger bodies are refused: a discovery document or JWKS is a few KiB, a hostile endpoint could stream forever. */
  maxBodyBytes?: number;
};

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Builds nothing until its first request (see TrustingAgent). */
export function createHttpsFetch(options: HttpsFetchOptions): FetchLike {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const trust = 'trust' in options ? options.trust : new TrustingAgent(options.ca);
  return (url, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      if (target.protocol !== 'https:') {
        reject(new TypeError(`refusing to fetch ${target.protocol} URL: only https is allowed`));
        return;
      }
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, name) => {
        headers[name] = value;
      });
      // Redirects are never followed (jose asks for 'manual'); the caller sees the 3xx and treats it as a failure.
      const req = request(target, { method: init.method ?? 'GET', headers, agent: trust.agent, signal: init.signal }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBodyBytes) {
            res.destroy(new Error(`response from ${target.origin} exceeds ${maxBodyBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined) continue;
            for (const one of Array.isArray(value) ? value : [value]) responseHeaders.append(name, one);
          }
          const status = res.statusCode ?? 502;
          const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
          resolve(new Response(body, { status, headers: responseHeaders }));
        });
      });
      req.on('error', reject);
      req.end(init.body);
    });
}
