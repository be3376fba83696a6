// Starts kube-aad-proxy: upstream credentials, OIDC verifiers, the optional Graph group resolver, the HTTPS
// listener with certificate reload, and the ops endpoint. close() drains: new connections are refused, requests
// in flight get `drainMs` to finish, then long-lived streams (watches, exec) are cut.
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import { dialableHost, formatHostPort } from '../common/host-port.js';
import { createRegistry, startOpsServer } from '../common/ops-server.js';
import { createAuthenticator } from './authenticate.js';
import type { AuthProxyConfig } from './config.js';
import { graphGroupResolver } from './graph-clients.js';
import { createHttpsServer } from './https-server.js';
import { createAuthProxyMetrics } from './metrics.js';
import { createOidcVerifier } from './oidc-verifier.js';
import type { ProxyContext } from './proxy-context.js';
import { finish, newExchange } from './proxy-context.js';
import { createRequestHandler } from './request-handler.js';
import { readTlsPair, watchTlsFiles } from '../common/tls-files.js';
import { createUpgradeHandler } from './upgrade-handler.js';
import { createUpstream } from './upstream.js';
import { createUpstreamConnections } from './upstream-connections.js';
import { DEFAULT_TOKEN_CACHE_TTL_MS, VerifiedTokenCache } from './verified-token-cache.js';

export interface RunningAuthProxy {
  /** https://host:port the proxy serves. */
  readonly url: string;
  readonly port: number;
  readonly opsUrl: string;
  readonly registry: Registry;
  readonly server: Server;
  /** Checks the certificate files now instead of waiting for the timer; true when a new pair was installed. */
  reloadTls(): Promise<boolean>;
  close(): Promise<void>;
}

export async function startAuthProxy(config: AuthProxyConfig): Promise<RunningAuthProxy> {
  const logger = config.logger;
  const registry = config.registry ?? createRegistry('clusterconnect_authproxy_');
  const metrics = createAuthProxyMetrics(registry);
  // Before anything that holds a resource: an invalid TTL fails here, with nothing to clean up. TTL 0: no cache.
  const tokenCache = VerifiedTokenCache.create({ ttlMs: config.tokenCacheTtlMs ?? DEFAULT_TOKEN_CACHE_TTL_MS, onLookup: (result) => metrics.tokenCacheLookup(result) });
  const tls = await readTlsPair(config.tlsCertFile, config.tlsKeyFile);
  const upstream = await createUpstream(config.upstream, { refreshMs: config.upstreamRefreshMs, logger });
  const connections = createUpstreamConnections(upstream);
  // kube-aad-proxy accepts a tenant's Entra v1.0 tokens next to its v2.0 ones unless a config says otherwise.
  const verifiers = config.oidc.map((oidc) => createOidcVerifier({ ...oidc, entraV1Tokens: oidc.entraV1Tokens ?? true }));
  const authenticator = createAuthenticator({
    verifiers,
    serviceAccountTokens: config.serviceAccountTokens,
    groupResolver: config.groupResolver ?? (config.graph ? graphGroupResolver(config.graph, (result) => metrics.groupResolution(result)) : undefined),
    tokenCache,
  });
  const ctx: ProxyContext = { authenticator, upstream, connections, metrics, logger };

  let active = 0;
  const upgraded = new Set<Duplex>();
  const onRequest = createRequestHandler(ctx);
  const onUpgrade = createUpgradeHandler(ctx);
  const server = createHttpsServer({
    tls,
    maxHeaderSize: config.maxHeaderSize ?? 64 * 1024,
    logger,
    onRequest: (req, res) => {
      active++;
      res.on('close', () => active--);
      onRequest(req, res);
    },
    onUpgrade: (req, socket, head) => {
      upgraded.add(socket);
      socket.on('close', () => upgraded.delete(socket));
      onUpgrade(req, socket, head);
    },
    onClientError: (status, remote) => {
      const exchange = newExchange('-', '-', false, remote);
      exchange.reason = status === 431 ? 'headers_too_large' : 'unparseable_request';
      finish(ctx, exchange, status);
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listenPort, config.listenHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => logger.error('listener error', { error: error.message }));
  const reloader = watchTlsFiles(server, { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile, initial: tls, intervalMs: config.tlsReloadIntervalMs ?? 10_000, logger });

  let draining = false;
  const ops = await startOpsServer({ host: config.opsHost, port: config.opsPort, registry, notReadyReason: () => (draining ? 'shutting down' : undefined) });
  const { address, port } = server.address() as AddressInfo;
  const url = `https://${formatHostPort({ host: dialableHost(address), port })}`;
  logger.info('auth proxy listening', { url, ops: ops.url, upstream: upstream.url.origin, issuers: verifiers.flatMap((v) => v.acceptedIssuers), serviceAccountTokens: config.serviceAccountTokens, tokenCacheSeconds: (tokenCache?.ttlMs ?? 0) / 1000 });

  return {
    url,
    port,
    opsUrl: ops.url,
    registry,
    server,
    reloadTls: () => reloader.check(),
    async close() {
      if (draining) return;
      draining = true;
      reloader.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + (config.drainMs ?? 10_000);
      while ((active > 0 || upgraded.size > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      server.closeAllConnections();
      for (const socket of upgraded) socket.destroy();
      await closed;
      connections.close();
      upstream.close();
      await ops.close();
      logger.info('auth proxy stopped');
    },
  };
}
