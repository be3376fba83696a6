// Upgrades (exec, attach, cp, port-forward over WebSocket `v5.channel.k8s.io` or SPDY/3.1): the same decision as
// plain requests, then the rewritten request head goes to the apiserver over a fresh TLS connection. Client bytes
// are held until the apiserver answers 101: only then are the two sockets piped, so a client can never slip a
// second, unchecked request onto a connection that carries the proxy's identity. Any other answer is relayed and
// both connections are closed.
import { request, STATUS_CODES } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { RequestHeaders } from './incoming-headers.js';
import { kubeStatusResponse } from './kube-status.js';
import type { KubeStatusCode } from './kube-status.js';
import { LazyAbort } from './lazy-abort.js';
import { finalHeaderLines, flatten } from './outgoing-headers.js';
import type { Exchange, ProxyContext } from './proxy-context.js';
import { errorMessage, finish, newExchange, noteDecision } from './proxy-context.js';
import { responseHeaderFields } from './response-headers.js';

/** `fields` flat: [name, value, name, value, …]. */
function responseHead(status: number, statusMessage: string | undefined, fields: readonly string[]): Buffer {
  let text = `HTTP/1.1 ${status} ${statusMessage ?? STATUS_CODES[status] ?? ''}\r\n`;
  for (let i = 0; i + 1 < fields.length; i += 2) text += `${fields[i]}: ${fields[i + 1]}\r\n`;
  return Buffer.from(`${text}\r\n`, 'latin1');
}

function refuseOnSocket(socket: Duplex, code: KubeStatusCode, message: string): void {
  const { statusCode, headers, body } = kubeStatusResponse(code, message);
  const fields = [...Object.entries(headers).flat(), 'Connection', 'close'];
  socket.end(Buffer.concat([responseHead(statusCode, undefined, fields), Buffer.from(body)]));
}

/** Long-lived streams: no idle timer may cut them; TCP keep-alive finds dead peers instead. */
function keepOpen(socket: Duplex): void {
  const net = socket as Duplex & { setTimeout?: (ms: number) => void; setKeepAlive?: (on: boolean, delay: number) => void; setNoDelay?: (on: boolean) => void };
  net.setTimeout?.(0);
  net.setKeepAlive?.(true, 30_000);
  net.setNoDelay?.(true);
}

export function createUpgradeHandler(ctx: ProxyContext): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    const exchange = newExchange(req.method, req.url, true, req.socket.remoteAddress);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => finish(ctx, exchange, exchange.status || 499));
    handleUpgrade(ctx, req, socket, head, exchange).catch((error: unknown) => {
      ctx.logger.error('upgrade failed inside the proxy', { error: errorMessage(error), path: exchange.url.split('?')[0] });
      exchange.status = 500;
      if (socket.writable) refuseOnSocket(socket, 500, 'internal error in the auth proxy');
      else socket.destroy();
    });
  };
}

async function handleUpgrade(ctx: ProxyContext, req: IncomingMessage, socket: Duplex, head: Buffer, exchange: Exchange): Promise<void> {
  socket.pause();
  const incoming = new RequestHeaders(req);
  // As for plain requests: a client that leaves while a Graph lookup runs stops waiting for it, and no
  // AbortController is made unless the decision asks for the signal.
  const clientGone = new LazyAbort();
  const onClose = () => clientGone.abort();
  socket.once('close', onClose);
  const decision = await ctx.authenticator.decide(incoming, clientGone).finally(() => socket.off('close', onClose));
  noteDecision(ctx, exchange, decision);
  if (decision.kind === 'refuse') {
    exchange.status = decision.status;
    refuseOnSocket(socket, decision.status, decision.message);
    return;
  }
  if (socket.destroyed) return;

  const pool = decision.mode === 'oidc' ? 'proxy-identity' : 'caller-identity';
  const lines = finalHeaderLines(decision, incoming, ctx.connections.target.host, ctx.upstream.credentials());
  const sentAt = performance.now();
  // Node's HTTP client parses the apiserver's answer (101 or not) on a dedicated TLS connection from our pool's
  // settings; that connection is never returned to a keep-alive pool.
  const upstreamRequest = request({
    method: req.method,
    path: req.url,
    headers: flatten(lines),
    setHost: false,
    createConnection: () => ctx.connections.connect(pool),
  });
  let settled = false;
  socket.on('close', () => {
    if (!settled) upstreamRequest.destroy();
  });

  upstreamRequest.on('upgrade', (response, upstreamSocket: Duplex, upstreamHead: Buffer) => {
    settled = true;
    ctx.metrics.upstreamLatency(decision.mode, (performance.now() - sentAt) / 1000);
    exchange.status = response.statusCode ?? 101;
    upstreamSocket.on('error', () => socket.destroy());
    socket.on('error', () => upstreamSocket.destroy());
    upstreamSocket.on('close', () => socket.destroy());
    socket.on('close', () => upstreamSocket.destroy());
    keepOpen(socket);
    keepOpen(upstreamSocket);
    // The 101 head as the apiserver wrote it (Upgrade, Connection, Sec-WebSocket-Accept/Protocol are its to set).
    socket.write(responseHead(exchange.status, response.statusMessage, response.rawHeaders));
    if (upstreamHead.length > 0) socket.write(upstreamHead);
    if (head.length > 0) upstreamSocket.write(head);
    upstreamSocket.pipe(socket);
    socket.pipe(upstreamSocket);
    socket.resume();
  });

  upstreamRequest.on('response', (response) => {
    settled = true;
    ctx.metrics.upstreamLatency(decision.mode, (performance.now() - sentAt) / 1000);
    exchange.status = response.statusCode ?? 502;
    // Not switching: relay the answer (e.g. the apiserver's 403 Status) and close; the body ends with the connection.
    const { fields } = responseHeaderFields(response.rawHeaders);
    socket.write(responseHead(exchange.status, response.statusMessage, [...fields, 'Connection', 'close']));
    response.on('data', (chunk: Buffer) => socket.write(chunk));
    response.on('end', () => {
      socket.end();
      upstreamRequest.destroy();
    });
    response.on('error', () => socket.destroy());
  });

  upstreamRequest.on('error', (error) => {
    if (settled) return;
    settled = true;
    exchange.status = 502;
    ctx.logger.warn('apiserver upgrade request failed', { error: errorMessage(error), path: exchange.url.split('?')[0] });
    if (socket.writable) refuseOnSocket(socket, 502, `the auth proxy could not reach the apiserver: ${errorMessage(error)}`);
  });
  upstreamRequest.end();
}
