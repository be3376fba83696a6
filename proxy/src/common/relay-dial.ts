// Dials the relay as a tunnel peer (agent or client proxy): one WebSocket upgrade carrying a bearer token, through
// an egress proxy when the environment names one, and a TunnelSession created in the same tick as 'open' so no
// frame can arrive before the session listens. A refused upgrade becomes an error carrying the relay's own message.
import WebSocket from 'ws';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { HttpConnectTunnelAgent, HttpsConnectTunnelAgent } from './connect-tunnel-agent.js';
import { describeProxy, egressProxyFor } from './egress-proxy.js';
import type { Logger } from './logger.js';
import { SESSION_STREAM_WINDOW } from './stream-window.js';
import { TUNNEL_TLS_CIPHERS } from './tls-ciphers.js';
import { TUNNEL_SUBPROTOCOL } from '../tunnel/frame.js';
import { TunnelSession } from '../tunnel/session.js';
import type { TunnelSessionOptions } from '../tunnel/session.js';
import { WebSocketTransport, tunnelWebSocketOptions, zeroMask } from '../tunnel/ws-transport.js';

export interface RelayDialOptions {
  /** Full ws(s) URL of the endpoint, e.g. wss://relay.example/v1/agent/connect. */
  url: URL;
  token: string;
  headers?: Record<string, string>;
  /** PEM bundle to trust for the relay's certificate instead of Node's roots. */
  caPem?: string;
  handshakeTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  logger: Logger;
  session?: Partial<Omit<TunnelSessionOptions, 'side' | 'logger'>>;
}

/** The relay refused the upgrade (status set) or could not be reached (status undefined). */
export class RelayDialError extends Error {
  override readonly name = 'RelayDialError';
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

const MAX_ERROR_BODY = 16 * 1024;

/** Reads the relay's JSON error body ({error: {code, message}}) so the user sees why, not just a status code. */
function refusal(res: IncomingMessage, where: string): Promise<RelayDialError> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let message = text.trim() || (res.statusMessage ?? '');
      let code: string | undefined;
      try {
        const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
        message = body.error?.message ?? message;
        code = body.error?.code;
      } catch {
        // Not our relay, or a proxy in between answered: keep the raw text.
      }
      resolve(new RelayDialError(`relay ${where} refused the connection (HTTP ${res.statusCode}): ${message}`, res.statusCode, code));
    };
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_ERROR_BODY) chunks.push(chunk);
    });
    res.once('end', done);
    res.once('error', done);
    res.once('close', done);
  });
}

export function dialRelay(options: RelayDialOptions): Promise<TunnelSession> {
  const where = options.url.origin;
  const proxy = egressProxyFor(options.url, options.env ?? process.env);
  const secure = options.url.protocol === 'wss:';
  if (proxy) options.logger.debug('dialing the relay through an egress proxy', { relay: where, proxy: describeProxy(proxy) });
  const agent = proxy ? (secure ? new HttpsConnectTunnelAgent(proxy) : new HttpConnectTunnelAgent(proxy)) : undefined;
  return new Promise((resolve, reject) => {
    let settled = false;
    const ws = new WebSocket(options.url, TUNNEL_SUBPROTOCOL, {
      ...tunnelWebSocketOptions,
      generateMask: zeroMask,
      headers: { ...options.headers, authorization: `Bearer ${options.token}` },
      handshakeTimeout: options.handshakeTimeoutMs ?? 15_000,
      ciphers: TUNNEL_TLS_CIPHERS,
      ...(options.caPem ? { ca: options.caPem } : {}),
      ...(agent ? { agent } : {}),
    });
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      ws.removeAllListeners('open');
      reject(error);
    };
    ws.on('unexpected-response', (req: ClientRequest, res: IncomingMessage) => {
      void refusal(res, where).then((error) => {
        req.destroy();
        fail(error);
      });
    });
    ws.on('error', (error: NodeJS.ErrnoException) => {
      fail(new RelayDialError(`relay ${where} could not be reached: ${error.message}`, undefined, error.code));
    });
    ws.once('open', () => {
      if (settled) return void ws.terminate();
      if (ws.protocol !== TUNNEL_SUBPROTOCOL) {
        ws.terminate();
        return fail(new RelayDialError(`relay ${where} did not agree on the ${TUNNEL_SUBPROTOCOL} subprotocol`));
      }
      settled = true;
      // Same tick as 'open': the session must own the socket before any message event.
      const session = new TunnelSession(new WebSocketTransport(ws), { streamWindow: SESSION_STREAM_WINDOW, ...options.session, side: 'dialer', logger: options.logger });
      // The session reports socket errors through 'close'; this listener only keeps ws from throwing.
      ws.on('error', () => undefined);
      resolve(session);
    });
  });
}
