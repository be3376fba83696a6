// The relay's plain JSON endpoints as the client sees them: what a cluster's agents announced
// (GET /v1/clusters/NAME) and which clusters the relay knows (GET /v1/clusters). Errors keep the relay's own
// sentence and say which kind of failure it was, so the CLI can pick a message and an exit code.
import http from 'node:http';
import https from 'node:https';
import { HttpConnectTunnelAgent, HttpsConnectTunnelAgent } from '../common/connect-tunnel-agent.js';
import { egressProxyFor } from '../common/egress-proxy.js';
import { relayEndpoint } from '../common/relay-url.js';
import { validateClusterInfo } from '../relay/cluster-info.js';
import type { ClusterConnectionInfo } from '../relay/cluster-info.js';
import type { ClusterSummary } from '../relay/agent-registry.js';

export type RelayApiFailure = 'unreachable' | 'no-agent' | 'unauthorized' | 'forbidden' | 'unavailable' | 'invalid';

export class RelayApiError extends Error {
  override readonly name = 'RelayApiError';
  constructor(
    message: string,
    readonly failure: RelayApiFailure,
    readonly status?: number,
  ) {
    super(message);
  }

  /** Worth another attempt: the relay (or what sits in front of it) may be back shortly. */
  get retryable(): boolean {
    return this.failure === 'unreachable' || this.failure === 'unavailable';
  }
}

export interface RelayApiOptions {
  /** The relay as given to the proxy: wss://host[:port] (ws:// with --insecure). */
  relayUrl: URL;
  token: string;
  caPem?: string;
  timeoutMs?: number;
  /** Where HTTPS_PROXY/NO_PROXY are read (default process.env), as for the WebSocket dial. */
  env?: NodeJS.ProcessEnv;
}

export interface ClusterInfoAnswer extends ClusterConnectionInfo {
  agents: number;
  relay: string;
}

export interface ClustersAnswer {
  relay: string;
  clusters: ClusterSummary[];
}

const MAX_BODY = 1024 * 1024;

/** The HTTPS (or, for a ws:// test relay, HTTP) URL of an API path on the relay. */
export function relayApiUrl(relayUrl: URL, path: string): URL {
  const url = relayEndpoint(relayUrl, path);
  url.protocol = url.protocol === 'ws:' ? 'http:' : 'https:';
  return url;
}

function failureFor(status: number, code: string | undefined): RelayApiFailure {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404 && code === 'no_agent') return 'no-agent';
  if (status === 502 || status === 503 || status === 504) return 'unavailable';
  return 'invalid';
}

export function relayGetJson(options: RelayApiOptions, path: string): Promise<unknown> {
  const url = relayApiUrl(options.relayUrl, path);
  const where = options.relayUrl.origin;
  const secure = url.protocol === 'https:';
  const transport = secure ? https : http;
  // The same egress proxy as the tunnel's WebSocket, so both reach the relay the way the network allows.
  const proxy = egressProxyFor(url, options.env ?? process.env);
  const agent = proxy ? (secure ? new HttpsConnectTunnelAgent(proxy) : new HttpConnectTunnelAgent(proxy)) : undefined;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      url,
      {
        method: 'GET',
        headers: { authorization: `Bearer ${options.token}`, accept: 'application/json' },
        timeout: options.timeoutMs ?? 10_000,
        ...(options.caPem ? { ca: options.caPem } : {}),
        ...(agent ? { agent } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_BODY) chunks.push(chunk);
        });
        res.on('error', (error) => reject(new RelayApiError(`relay ${where} could not be read: ${error.message}`, 'unreachable')));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status === 200 && body !== undefined) return resolve(body);
          const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
          const message = error?.message ?? (text.trim().slice(0, 200) || res.statusMessage || 'no answer');
          reject(new RelayApiError(`relay ${where} answered HTTP ${status}: ${message}`, status === 200 ? 'invalid' : failureFor(status, error?.code), status));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms`)));
    req.on('error', (error) => reject(new RelayApiError(`relay ${where} could not be reached: ${error.message}`, 'unreachable')));
    req.end();
  });
}

export async function fetchClusterInfo(options: RelayApiOptions, cluster: string): Promise<ClusterInfoAnswer> {
  const body = (await relayGetJson(options, `/v1/clusters/${encodeURIComponent(cluster)}`)) as Record<string, unknown>;
  try {
    const info = validateClusterInfo(body);
    return { ...info, agents: typeof body.agents === 'number' ? body.agents : 0, relay: typeof body.relay === 'string' ? body.relay : options.relayUrl.host };
  } catch (error) {
    throw new RelayApiError(`relay answered with unusable connection info for ${cluster}: ${(error as Error).message}`, 'invalid', 200);
  }
}

export async function fetchClusters(options: RelayApiOptions): Promise<ClustersAnswer> {
  const body = (await relayGetJson(options, '/v1/clusters')) as Partial<ClustersAnswer>;
  if (!Array.isArray(body.clusters)) throw new RelayApiError('relay answered GET /v1/clusters without a clusters list', 'invalid', 200);
  return { relay: typeof body.relay === 'string' ? body.relay : options.relayUrl.host, clusters: body.clusters };
}
