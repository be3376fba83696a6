// Where the proxy sends requests (the apiserver) and with which of its OWN credentials. In a cluster: the pod's
// service-account token (re-read periodically, because the kubelet rotates projected tokens) and CA; outside: a
// kubeconfig, loaded through @kubernetes/client-node so exec plugins and token files work as kubectl's do.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { RequestOptions } from 'node:https';
import type { Logger } from '../common/logger.js';

export type UpstreamSource =
  | {
      kind: 'in-cluster';
      /** Defaults are the standard mount paths and the KUBERNETES_SERVICE_HOST/PORT variables. */
      tokenFile?: string;
      caFile?: string;
      host?: string;
      port?: string;
    }
  | { kind: 'kubeconfig'; path: string; context?: string };

/** The proxy's own identity toward the apiserver. Used on the OIDC path only; passthrough requests never carry it. */
export interface ProxyCredentials {
  bearerToken?: string;
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface UpstreamTarget {
  readonly url: URL;
  /** Trust for the apiserver certificate; undefined means Node's default roots. */
  readonly ca: string | Buffer | undefined;
  /** SNI / certificate name to check, when the URL's host is not it. */
  readonly servername: string | undefined;
  readonly rejectUnauthorized: boolean;
  /** The latest credentials read; refreshed in the background. */
  credentials(): ProxyCredentials;
  /** Called whenever the credentials or CA changed (the proxy rebuilds its connection pool). */
  onChange(listener: () => void): void;
  close(): void;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const DEFAULT_REFRESH_MS = 60_000;

interface Snapshot {
  url: URL;
  ca: string | Buffer | undefined;
  servername: string | undefined;
  rejectUnauthorized: boolean;
  credentials: ProxyCredentials;
}

/** A bearer token goes into a header line: refuse one that could split it. */
function cleanToken(token: string, where: string): string {
  const trimmed = token.trim();
  if (!/^[\x21-\x7e]+$/.test(trimmed)) throw new Error(`the token in ${where} is empty or contains characters not allowed in a header`);
  return trimmed;
}

async function readInCluster(source: Extract<UpstreamSource, { kind: 'in-cluster' }>): Promise<Snapshot> {
  const host = source.host ?? process.env.KUBERNETES_SERVICE_HOST;
  const port = source.port ?? process.env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new Error('KUBERNETES_SERVICE_HOST is not set: not running in a cluster? Give --kubeconfig to run outside one');
  const tokenFile = source.tokenFile ?? `${SA_DIR}/token`;
  const caFile = source.caFile ?? `${SA_DIR}/ca.crt`;
  const [token, ca] = await Promise.all([readFile(tokenFile, 'utf8'), readFile(caFile)]);
  const hostPart = isIP(host) === 6 ? `[${host}]` : host;
  return {
    url: new URL(`https://${hostPart}:${port}`),
    ca,
    servername: undefined,
    rejectUnauthorized: true,
    credentials: { bearerToken: cleanToken(token, tokenFile) },
  };
}

async function readKubeconfig(source: Extract<UpstreamSource, { kind: 'kubeconfig' }>): Promise<Snapshot> {
  // Loaded only here: in a cluster (how the operator runs it) the proxy never needs client-node's 0.5 s import.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  config.loadFromFile(source.path);
  if (source.context) config.setCurrentContext(source.context);
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error(`kubeconfig ${source.path} has no current cluster`);
  const url = new URL(cluster.server);
  if (url.protocol !== 'https:') throw new Error(`kubeconfig ${source.path}: the apiserver must be an https URL, got ${url.protocol}`);
  // client-node resolves files, inline data, token files and exec plugins into request options.
  const options: RequestOptions = {};
  await config.applyToHTTPSOptions(options);
  const headers = (options.headers ?? {}) as Record<string, unknown>;
  const authorization = typeof headers.Authorization === 'string' ? headers.Authorization : typeof headers.authorization === 'string' ? headers.authorization : undefined;
  const bearer = authorization ? /^Bearer\s+(.+)$/i.exec(authorization)?.[1] : undefined;
  if (options.auth) throw new Error(`kubeconfig ${source.path}: basic authentication is not supported for the proxy's own identity`);
  const credentials: ProxyCredentials = {};
  if (bearer) credentials.bearerToken = cleanToken(bearer, source.path);
  if (options.cert && options.key) {
    credentials.cert = options.cert as string | Buffer;
    credentials.key = options.key as string | Buffer;
  }
  if (!credentials.bearerToken && !credentials.cert) {
    throw new Error(`kubeconfig ${source.path}: its user has neither a token nor a client certificate for the proxy to call the apiserver with`);
  }
  return {
    url,
    ca: options.ca as string | Buffer | undefined,
    servername: cluster.tlsServerName,
    rejectUnauthorized: !cluster.skipTLSVerify,
    credentials,
  };
}

function sameSnapshot(a: Snapshot, b: Snapshot): boolean {
  const eq = (x: unknown, y: unknown) => (Buffer.isBuffer(x) || Buffer.isBuffer(y) ? Buffer.from(x as string).equals(Buffer.from(y as string)) : x === y);
  return (
    a.url.href === b.url.href &&
    eq(a.ca, b.ca) &&
    a.servername === b.servername &&
    a.rejectUnauthorized === b.rejectUnauthorized &&
    a.credentials.bearerToken === b.credentials.bearerToken &&
    eq(a.credentials.cert, b.credentials.cert) &&
    eq(a.credentials.key, b.credentials.key)
  );
}

export interface UpstreamOptions {
  refreshMs?: number;
  logger: Logger;
}

/** Reads the credentials once (failing loudly), then refreshes them; a failed refresh keeps the last good ones. */
export async function createUpstream(source: UpstreamSource, options: UpstreamOptions): Promise<UpstreamTarget> {
  const read = () => (source.kind === 'in-cluster' ? readInCluster(source) : readKubeconfig(source));
  let current = await read();
  const listeners: (() => void)[] = [];
  const timer = setInterval(() => {
    read().then(
      (next) => {
        if (next.url.href !== current.url.href) {
          // Switching apiservers under live traffic is not a refresh; it needs a restart.
          options.logger.warn('upstream apiserver URL changed in the credentials source; restart the proxy to use it', { from: current.url.href, to: next.url.href });
          next = { ...next, url: current.url };
        }
        if (sameSnapshot(current, next)) return;
        current = next;
        options.logger.info('upstream credentials reloaded', { source: source.kind });
        for (const listener of listeners) listener();
      },
      (error: unknown) => options.logger.warn('could not refresh upstream credentials; keeping the previous ones', { error: error instanceof Error ? error.message : String(error) }),
    );
  }, options.refreshMs ?? DEFAULT_REFRESH_MS);
  timer.unref();
  return {
    get url() {
      return current.url;
    },
    get ca() {
      return current.ca;
    },
    get servername() {
      return current.servername ?? (isIP(current.url.hostname.replace(/^\[|\]$/g, '')) ? undefined : current.url.hostname);
    },
    get rejectUnauthorized() {
      return current.rejectUnauthorized;
    },
    credentials: () => current.credentials,
    onChange: (listener) => listeners.push(listener),
    close: () => clearInterval(timer),
  };
}
