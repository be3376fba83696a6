// The client proxy core: a local TCP listener whose every accepted connection becomes one stream over a single
// multiplexed session to the relay for one cluster. Bytes pass unchanged: kubectl's TLS ends in the cluster.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../common/logger.js';
import type { Logger } from '../common/logger.js';
import { formatHostPort } from '../common/host-port.js';
import { ReconnectingSession } from '../common/reconnecting-session.js';
import { RenewingSession } from './renewing-session.js';
import { dialRelay } from '../common/relay-dial.js';
import { relayEndpoint } from '../common/relay-url.js';
import { TunnelOpenError } from '../tunnel/errors.js';
import { bridgeStreamToSocket } from '../tunnel/tcp-bridge.js';
import type { ClientProxyConfig } from './client-proxy-config.js';

export interface ClientProxyHandle {
  /** host:port kubectl should use. */
  address: AddressInfo;
  relaySession: RenewingSession;
  /** Re-dials the relay (with the credential current now) without closing the listener or open streams. */
  renewSession(): Promise<void>;
  close(): Promise<void>;
}

export function connectUrl(relayUrl: URL, cluster: string): URL {
  return relayEndpoint(relayUrl, `/v1/clusters/${encodeURIComponent(cluster)}/connect`);
}

function listen(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new Error(`port ${port} is in use; pass --port`));
      else if (error.code === 'EACCES') reject(new Error(`port ${port} on ${host} needs privileges; pass --port with a port above 1024`));
      else reject(error);
    });
    server.listen(port, host, () => resolve());
  });
}

export async function startClientProxy(config: ClientProxyConfig, logger: Logger = createLogger('proxy')): Promise<ClientProxyHandle> {
  const url = connectUrl(config.relayUrl, config.cluster);
  const relay = url.origin;
  const relaySession = new RenewingSession(
    () =>
      new ReconnectingSession({
        relay,
        logger,
        dial: async () => dialRelay({ url, token: await config.token(), ...(config.relayCaPem ? { caPem: config.relayCaPem } : {}), logger }),
      }),
  );

  const handleConnection = (socket: net.Socket) => {
    socket.on('error', () => undefined);
    // Hold the bytes kubectl sends first (the TLS ClientHello) until a session exists; the socket buffers them.
    socket.pause();
    relaySession.waitForSession(config.sessionWaitMs).then(
      (session) => {
        if (socket.destroyed) return;
        let stream;
        try {
          stream = session.openStream(config.cluster);
        } catch (error) {
          logger.warn('could not open a stream to the cluster', { cluster: config.cluster, reason: (error as Error).message });
          return void socket.destroy();
        }
        stream.on('error', (error) => {
          // The relay's or agent's sentence, e.g. "no agent is connected for cluster X at relay R".
          if (error instanceof TunnelOpenError) logger.error('connection to the cluster failed', { cluster: config.cluster, reason: error.reason });
          else logger.debug('stream ended with an error', { reason: error.message });
        });
        bridgeStreamToSocket(stream, socket);
        socket.resume();
      },
      (error: Error) => {
        logger.error('connection to the cluster failed', { cluster: config.cluster, reason: error.message });
        socket.destroy();
      },
    );
  };

  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, handleConnection);
  await listen(server, config.listenHost, config.listenPort);
  const address = server.address() as AddressInfo;
  relaySession.start();
  logger.info('client proxy listening', { cluster: config.cluster, relay, address: formatHostPort({ host: address.address, port: address.port }) });

  return {
    address,
    relaySession,
    renewSession: () => relaySession.renew(config.sessionWaitMs),
    async close() {
      relaySession.stop();
      for (const session of relaySession.sessions) session.close('client proxy stopping');
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
