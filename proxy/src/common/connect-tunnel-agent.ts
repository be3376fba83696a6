// An http(s) Agent that reaches its target through an HTTP CONNECT tunnel on an egress proxy, so a WebSocket dial
// (ws passes `agent` to http.request) goes out the way the network allows. Written on node:http rather than taking
// a dependency: the whole protocol is one CONNECT request.
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { describeProxy } from './egress-proxy.js';
import { formatHostPort } from './host-port.js';

type CreateCallback = (error: Error | null, socket: Duplex) => void;

function openTunnel(proxy: URL, host: string, port: number, timeoutMs: number, done: (error: Error | null, socket?: Duplex) => void): void {
  const authority = formatHostPort({ host, port });
  const headers: Record<string, string> = { host: authority };
  if (proxy.username) {
    const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    headers['proxy-authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  const request = (proxy.protocol === 'https:' ? https : http).request({
    host: proxy.hostname.replace(/^\[|\]$/g, ''),
    port: Number(proxy.port || (proxy.protocol === 'https:' ? 443 : 80)),
    method: 'CONNECT',
    path: authority,
    headers,
    agent: false,
    timeout: timeoutMs,
  });
  let settled = false;
  const finish = (error: Error | null, socket?: Duplex) => {
    if (settled) return;
    settled = true;
    done(error, socket);
  };
  request.once('connect', (response, socket) => {
    if (response.statusCode !== 200) {
      socket.destroy();
      return finish(new Error(`egress proxy ${describeProxy(proxy)} refused CONNECT to ${authority} (HTTP ${response.statusCode})`));
    }
    finish(null, socket);
  });
  request.once('timeout', () => request.destroy(new Error(`egress proxy ${describeProxy(proxy)} did not answer CONNECT within ${timeoutMs} ms`)));
  request.once('error', (error) => finish(new Error(`egress proxy ${describeProxy(proxy)} could not be reached: ${error.message}`)));
  request.end();
}

/** For wss:// targets: CONNECT, then TLS to the target over the tunnel (TLS options come from the request). */
export class HttpsConnectTunnelAgent extends https.Agent {
  constructor(
    private readonly proxy: URL,
    private readonly timeoutMs = 10_000,
  ) {
    super({ keepAlive: false });
  }

  override createConnection(options: http.ClientRequestArgs & tls.ConnectionOptions, callback?: CreateCallback): Duplex | null | undefined {
    const host = String(options.host ?? options.hostname ?? 'localhost');
    const port = Number(options.port ?? 443);
    openTunnel(this.proxy, host, port, this.timeoutMs, (error, socket) => {
      if (error || !socket) return callback?.(error ?? new Error('CONNECT failed'), undefined as unknown as Duplex);
      const secure = tls.connect({ ...options, socket, servername: options.servername ?? (isIpLiteral(host) ? undefined : host) });
      callback?.(null, secure);
    });
    return undefined;
  }
}

/** For ws:// targets (insecure mode only): the CONNECT tunnel itself is the connection. */
export class HttpConnectTunnelAgent extends http.Agent {
  constructor(
    private readonly proxy: URL,
    private readonly timeoutMs = 10_000,
  ) {
    super({ keepAlive: false });
  }

  override createConnection(options: http.ClientRequestArgs, callback?: CreateCallback): Duplex | null | undefined {
    const host = String(options.host ?? options.hostname ?? 'localhost');
    openTunnel(this.proxy, host, Number(options.port ?? 80), this.timeoutMs, (error, socket) => {
      callback?.(error, socket as Duplex);
    });
    return undefined;
  }
}

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
