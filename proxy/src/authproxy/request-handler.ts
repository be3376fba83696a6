// Plain (non-upgrade) requests: decide, then stream the request to the apiserver and its response back with no
// buffering, so watches and `logs -f` flow as they are produced and are cut only when either side closes.
import { request } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { kubeStatusResponse } from './kube-status.js';
import type { KubeStatusCode } from './kube-status.js';
import { finalHeaderLines, flatten } from './outgoing-headers.js';
import type { ProxyContext } from './proxy-context.js';
import { errorMessage, finish, newExchange, noteDecision, responseHeaderLines } from './proxy-context.js';

function sendStatus(res: ServerResponse, code: KubeStatusCode, message: string): void {
  const { statusCode, headers, body } = kubeStatusResponse(code, message);
  res.writeHead(statusCode, headers).end(body);
}

export function createRequestHandler(ctx: ProxyContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const exchange = newExchange(req.method, req.url, false, req.socket.remoteAddress);
    res.on('close', () => finish(ctx, exchange, res.headersSent ? res.statusCode : 499));
    handle(ctx, req, res, exchange).catch((error: unknown) => {
      ctx.logger.error('request failed inside the proxy', { error: errorMessage(error), path: exchange.url.split('?')[0] });
      if (!res.headersSent) sendStatus(res, 500, 'internal error in the auth proxy');
      else res.destroy();
    });
  };
}

async function handle(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, exchange: ReturnType<typeof newExchange>): Promise<void> {
  const clientGone = new AbortController();
  // Only a client that left early cancels anything; aborting after every answered request cost a DOMException each.
  res.on('close', () => {
    if (!res.writableFinished) clientGone.abort();
  });
  const incoming = { headers: req.headers, rawHeaders: req.rawHeaders };
  const decision = await ctx.authenticator.decide(incoming, clientGone.signal);
  noteDecision(ctx, exchange, decision);
  if (decision.kind === 'refuse') {
    req.resume(); // drain any body so the connection can be reused
    sendStatus(res, decision.status, decision.message);
    return;
  }
  if (clientGone.signal.aborted) return;

  const upstream = ctx.upstream;
  const lines = finalHeaderLines(decision, incoming, upstream.url.host, upstream.credentials());
  const sentAt = performance.now();
  const upstreamRequest = request({
    protocol: 'https:',
    hostname: upstream.url.hostname.replace(/^\[|\]$/g, ''),
    port: upstream.url.port || 443,
    method: req.method,
    path: req.url,
    headers: flatten(lines),
    setHost: false,
    agent: ctx.connections.agent(decision.mode === 'oidc' ? 'proxy-identity' : 'caller-identity'),
  });

  upstreamRequest.on('response', (upstreamResponse) => {
    ctx.metrics.upstreamLatency(decision.mode, (performance.now() - sentAt) / 1000);
    res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.statusMessage, flatten(responseHeaderLines(upstreamResponse.rawHeaders)));
    // A watch (or logs -f) sends its head and then nothing until an event: the client must see the head now. Such
    // bodies are chunked; a body with a length follows at once, so its head leaves with it, in one TLS record and
    // one tunnel frame per hop instead of two.
    if (upstreamResponse.headers['content-length'] === undefined) res.flushHeaders();
    upstreamResponse.pipe(res);
    upstreamResponse.on('error', () => res.destroy());
    res.on('close', () => {
      if (!upstreamResponse.complete) upstreamResponse.destroy();
    });
  });
  upstreamRequest.on('error', (error) => {
    if (!res.headersSent) {
      ctx.logger.warn('apiserver request failed', { error: errorMessage(error), path: exchange.url.split('?')[0] });
      sendStatus(res, 502, `the auth proxy could not reach the apiserver: ${errorMessage(error)}`);
    } else {
      res.destroy();
    }
  });
  res.on('close', () => {
    if (!upstreamRequest.writableFinished || !res.writableFinished) upstreamRequest.destroy();
  });
  req.on('error', () => upstreamRequest.destroy());
  req.pipe(upstreamRequest);
}
