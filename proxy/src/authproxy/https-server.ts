// The HTTPS listener: HTTP/1.1 only over ALPN (SPDY upgrades cannot ride HTTP/2), no request timeout (watches
// and exec sessions live for hours), a bounded header size answered with 431, and a bad peer (garbage, a TLS
// handshake failure, a reset) costs one socket, never the process.
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { Duplex } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../common/logger.js';
import { kubeStatusResponse } from './kube-status.js';
import type { TlsPair } from '../common/tls-files.js';

export interface HttpsServerOptions {
  tls: TlsPair;
  /** Bytes of request line plus headers; larger requests get 431. */
  maxHeaderSize: number;
  onRequest: (req: IncomingMessage, res: ServerResponse) => void;
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** A request refused before it was parsed (431, 400): counted and audited by the caller. */
  onClientError: (status: 400 | 431, remoteAddress: string | undefined) => void;
  logger: Logger;
}

export function createHttpsServer(options: HttpsServerOptions): Server {
  const server = createServer(
    {
      cert: options.tls.cert,
      key: options.tls.key,
      ALPNProtocols: ['http/1.1'],
      maxHeaderSize: options.maxHeaderSize,
      requestTimeout: 0,
      headersTimeout: 30_000,
      keepAlive: true,
      keepAliveInitialDelay: 30_000,
      keepAliveTimeout: 65_000,
      noDelay: true,
    },
    options.onRequest,
  );
  server.on('upgrade', options.onUpgrade);
  const answered = new WeakSet<Duplex>();
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const code = error.code ?? '';
    // The parser stays attached and reports the rest of an oversized head again: the first answer stands.
    if (answered.has(socket)) return;
    if (code === 'ECONNRESET' || code === 'ERR_HTTP_REQUEST_TIMEOUT' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const message =
      status === 431
        ? `request headers are larger than the auth proxy accepts (${options.maxHeaderSize} bytes)`
        : 'the request could not be parsed as HTTP/1.1';
    const remote = (socket as Duplex & { remoteAddress?: string }).remoteAddress;
    options.onClientError(status, remote);
    const response = kubeStatusResponse(status, message);
    const head = [`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}`, ...Object.entries(response.headers).map(([n, v]) => `${n}: ${v}`), 'connection: close'];
    answered.add(socket);
    // The client may still be sending the oversized head: closing with unread input makes TCP send a reset that
    // can overtake our answer, so the rest is read and dropped for a moment before the socket goes.
    socket.write(`${head.join('\r\n')}\r\n\r\n${response.body}`);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.resume();
    socket.end();
    setTimeout(() => socket.destroy(), 2_000).unref();
  });
  server.on('tlsClientError', (error: Error) => options.logger.debug('TLS handshake failed', { error: error.message }));
  return server;
}
