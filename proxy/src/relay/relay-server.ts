// `clusterconnect relay`: one TLS port for agents, clients and the small HTTP API, and an ops port for health and
// metrics. All state is the live connections (agent-registry.ts); a restart loses nothing the agents don't resend.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer } from 'ws';
import { FlagFileError } from '../common/flag-file.js';
import { formatHostPort } from '../common/host-port.js';
import { createLogger } from '../common/logger.js';
import type { Logger } from '../common/logger.js';
import { createRegistry, startOpsServer } from '../common/ops-server.js';
import type { OpsServer } from '../common/ops-server.js';
import { createHttpsFetch } from '../authproxy/https-fetch.js';
import { createOidcVerifier } from '../authproxy/oidc-verifier.js';
import { waitForStreams } from '../tunnel/drain.js';
import { TUNNEL_SUBPROTOCOL } from '../tunnel/frame.js';
import { tunnelWebSocketOptions } from '../tunnel/ws-transport.js';
import { AgentRegistry } from './agent-registry.js';
import { TUNNEL_TLS_CIPHERS } from '../common/tls-ciphers.js';
import { readTlsPair, watchTlsFiles } from '../common/tls-files.js';
import type { TlsPair } from '../common/tls-files.js';
import { createClientAuthenticator } from './credentials/client-authenticator.js';
import { loadPublicKey } from './credentials/key-files.js';
import { createRelayTokenVerifier } from './credentials/verify-relay-token.js';
import { enforceHandshakeDeadline } from './handshake-deadline.js';
import { handleApiRequest } from './http-api.js';
import type { RelayConfig } from './relay-config.js';
import type { RelayContext } from './relay-context.js';
import { createRelayMetrics } from './relay-metrics.js';
import { createUpgradeHandler } from './upgrade-handler.js';

export interface RelayHandle {
  /** ws(s)://host:port of the tunnel port. */
  url: string;
  opsUrl: string;
  context: RelayContext;
  /** GOAWAY to every session, wait for paired streams to finish (bounded by drainTimeoutMs), then close. */
  drain(): Promise<void>;
  close(): Promise<void>;
  /** Re-reads the certificate files now (the timer does the same); true when a new pair was installed. */
  reloadTls(): Promise<boolean>;
}

/**
 * Given both when the server is created and on every certificate reload: setSecureContext resets whatever it is
 * not given to Node's default. The relay's cipher order decides, so older dialers get the cheaper suite too
 * (tls-ciphers.ts).
 */
const TLS_CONTEXT_OPTIONS = { minVersion: 'TLSv1.2', ciphers: TUNNEL_TLS_CIPHERS, honorCipherOrder: true } as const;

function warnInsecure(config: RelayConfig, logger: Logger): void {
  if (config.insecure) {
    logger.warn('INSECURE: serving plain ws:// without TLS. Tokens and tunnel frames cross the network in clear text. Use this only on loopback for tests.');
  }
  if (config.clientAuth === 'none') {
    logger.warn('INSECURE: --client-auth none lets ANYONE who can reach this relay open streams to every connected cluster. Use this only for the local demo.');
  }
}

function oidcVerifiers(config: RelayConfig) {
  return config.oidcIssuers.map((issuer) =>
    createOidcVerifier({
      issuerURL: issuer.issuerUrl,
      audience: issuer.audience,
      usernameClaim: issuer.usernameClaim ?? 'sub',
      extraClaims: {},
      algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'],
      // Exactly the file, as kube-apiserver's --oidc-ca-file: the client tokens the relay accepts rest on this trust.
      ...(issuer.caPem ? { fetch: createHttpsFetch({ ca: issuer.caPem }) } : {}),
    }),
  );
}

/** The serving pair, checked to load: a missing file or a key that does not match its certificate stops the start. */
async function readServingPair(files: NonNullable<RelayConfig['tls']>): Promise<TlsPair> {
  try {
    return await readTlsPair(files.certFile, files.keyFile);
  } catch (error) {
    // A file that cannot be read is named by its flag, as every flag file is.
    const { code, path } = error as NodeJS.ErrnoException;
    if (code && path) throw new FlagFileError(path === files.certFile ? '--tls-cert-file' : '--tls-key-file', path, error);
    throw new Error(`--tls-cert-file ${files.certFile} and --tls-key-file ${files.keyFile} do not load as a pair: ${(error as Error).message}`, { cause: error });
  }
}

export async function startRelay(config: RelayConfig, logger: Logger = createLogger('relay')): Promise<RelayHandle> {
  const tls = config.insecure ? undefined : config.tls;
  if (!config.insecure && !tls) throw new Error('the relay needs --tls-cert-file and --tls-key-file (or --insecure for loopback tests)');
  const serving = tls ? { ...tls, pair: await readServingPair(tls) } : undefined;
  warnInsecure(config, logger);
  const publicKey = await loadPublicKey(config.publicKeyFile);
  const registryMetrics = createRegistry('clusterconnect_relay_');
  const metrics = createRelayMetrics(registryMetrics);
  const relayTokens = createRelayTokenVerifier({ publicKey });
  let draining = false;
  let closing = false;
  const context: RelayContext = {
    registry: new AgentRegistry(),
    relayTokens,
    clients: createClientAuthenticator({ mode: config.clientAuth, relayTokens, oidcIssuers: oidcVerifiers(config) }),
    metrics,
    logger,
    relayName: config.relayName,
    failoverAfterMs: config.failoverAfterMs,
    sessions: new Set(),
    draining: () => draining,
    closing: () => closing,
  };

  const serverOptions: http.ServerOptions = {
    // A peer that never finishes its request headers is dropped; Node checks every connectionsCheckingInterval.
    headersTimeout: config.handshakeTimeoutMs,
    requestTimeout: config.handshakeTimeoutMs * 2,
    connectionsCheckingInterval: Math.min(1_000, config.handshakeTimeoutMs),
    maxHeaderSize: 32 * 1024,
  };
  const secure = serving && { ...serving, server: https.createServer({ ...serverOptions, ...serving.pair, handshakeTimeout: config.handshakeTimeoutMs, ...TLS_CONTEXT_OPTIONS }) };
  const server = secure?.server ?? http.createServer(serverOptions);
  const wss = new WebSocketServer({
    noServer: true,
    ...tunnelWebSocketOptions,
    handleProtocols: (offered) => (offered.has(TUNNEL_SUBPROTOCOL) ? TUNNEL_SUBPROTOCOL : false),
  });
  enforceHandshakeDeadline(server, secure !== undefined, config.handshakeTimeoutMs, logger, () => metrics.errors.inc({ reason: 'handshake_timeout' }));
  server.on('request', (req, res) => void handleApiRequest(context, req, res));
  server.on('upgrade', createUpgradeHandler(context, wss));
  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
    metrics.errors.inc({ reason: 'tls_handshake' });
    logger.info('TLS handshake failed; connection closed', { remote: socket.remoteAddress, reason: error.code ?? error.message });
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    metrics.errors.inc({ reason: 'bad_request' });
    logger.info('malformed or slow HTTP request; connection closed', { remote: (socket as { remoteAddress?: string }).remoteAddress, reason: error.code ?? error.message });
    if (socket.destroyed) return;
    const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'ERR_HTTP_HEADERS_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    // end() alone leaves a timed-out connection open (Node's parser still holds it); destroy once the reply is out.
    socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${config.listenPort} on ${config.listenHost} is in use; pass another --listen address`) : error),
    );
    server.listen(config.listenPort, config.listenHost, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `${secure ? 'wss' : 'ws'}://${formatHostPort({ host: address.address, port: address.port })}`;

  let ops: OpsServer;
  try {
    ops = await startOpsServer({ host: config.opsHost, port: config.opsPort, registry: registryMetrics, notReadyReason: () => (draining ? 'draining' : undefined) });
  } catch (error) {
    server.close();
    throw error;
  }
  const tlsReloader = secure
    ? watchTlsFiles(secure.server, {
        certFile: secure.certFile,
        keyFile: secure.keyFile,
        initial: secure.pair,
        intervalMs: config.tlsReloadIntervalMs ?? 10_000,
        logger,
        contextOptions: TLS_CONTEXT_OPTIONS,
      })
    : undefined;
  logger.info('relay listening', { url, opsUrl: ops.url, relay: config.relayName, clientAuth: config.clientAuth, oidcIssuers: config.oidcIssuers.map((i) => i.issuerUrl) });

  const closeAll = async () => {
    closing = true;
    tlsReloader?.stop();
    for (const session of context.sessions) session.close('relay shutting down');
    for (const client of wss.clients) client.terminate();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await ops.close();
  };

  return {
    url,
    opsUrl: ops.url,
    context,
    async drain() {
      draining = true;
      server.close();
      for (const session of context.sessions) session.goAway('relay shutting down');
      await waitForStreams({ sessions: () => context.sessions, timeoutMs: config.drainTimeoutMs, logger });
      await closeAll();
    },
    close: closeAll,
    reloadTls: () => tlsReloader?.check() ?? Promise.resolve(false),
  };
}
