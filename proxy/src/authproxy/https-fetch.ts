// A minimal fetch over node:https that trusts a given CA. Global fetch can only be taught a private CA through
// an undici dispatcher (not a dependency here) or NODE_EXTRA_CA_CERTS (process-wide); issuers with a private CA
// and the tests' self-signed issuer need it per issuer.
import { request } from 'node:https';

/** The subset of fetch the verifier (plain GETs) and the Graph group resolver (a JSON POST) use. */
export type FetchLike = (
  url: string,
  init?: { method?: string; headers?: Headers | Record<string, string>; body?: string; signal?: AbortSignal; redirect?: 'follow' | 'manual' | 'error' },
) => Promise<Response>;

export interface HttpsFetchOptions {
  /** PEM bundle to trust instead of Node's default roots. */
  ca: string | Buffer | Array<string | Buffer>;
  /** Larger bodies are refused: a discovery document or JWKS is a few KiB, a hostile endpoint could stream forever. */
  maxBodyBytes?: number;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export function createHttpsFetch(options: HttpsFetchOptions): FetchLike {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
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
      const req = request(target, { method: init.method ?? 'GET', headers, ca: options.ca, signal: init.signal }, (res) => {
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
