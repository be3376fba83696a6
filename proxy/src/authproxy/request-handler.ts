// Plain (non-upgrade) requests: decide, then stream the request to the apiserver and its response back with no
// buffering, so watches and `logs -f` flow as they are produced and are cut only when either side closes.
import { request } from 'node:https';
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { RequestHeaders } from './incoming-headers.js';
import { kubeStatusResponse } from './kube-status.js';
import type { KubeStatusCode } from './kube-status.js';
import { LazyAbort } from './lazy-abort.js';
import { finalHeaderLines, flatten } from './outgoing-headers.js';
import type { Exchange, ProxyContext } from './proxy-context.js';
import { errorMessage, finish, newExchange, noteDecision } from './proxy-context.js';
import { relayBody } from './relay-body.js';
import { responseHeaderFields } from './response-headers.js';

function sendStatus(res: ServerResponse, code: KubeStatusCode, message: string): void {
  const { statusCode, headers, body } = kubeStatusResponse(code, message);
  res.writeHead(statusCode, headers).end(body);
}

/** What the one 'close' listener of a request has to clean up, filled in as the request goes. */
interface Flight {
  readonly clientGone: LazyAbort;
  upstreamRequest?: ClientRequest;
  upstreamResponse?: IncomingMessage;
}

/** Whether the request has a body to copy: HTTP/1.1 frames a request body only with Content-Length or Transfer-Encoding. */
function hasBody(headers: RequestHeaders): boolean {
  return headers.values('transfer-encoding').length > 0 || headers.values('content-length').length > 0;
}

export function createRequestHandler(ctx: ProxyContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const exchange = newExchange(req.method, req.url, false, req.socket.remoteAddress);
    const flight: Flight = { clientGone: new LazyAbort() };
    // One listener for everything a closed response ends, rather than one per step.
    res.on('close', () => {
      finish(ctx, exchange, res.headersSent ? res.statusCode : 499);
      // Only a client that left early cancels anything.
      if (!res.writableFinished) flight.clientGone.abort();
      const { upstreamRequest, upstreamResponse } = flight;
      if (upstreamRequest && (!upstreamRequest.writableFinished || !res.writableFinished)) upstreamRequest.destroy();
      if (upstreamResponse && !upstreamResponse.complete) upstreamResponse.destroy();
    });
    handle(ctx, req, res, exchange, flight).catch((error: unknown) => {
      ctx.logger.error('request failed inside the proxy', { error: errorMessage(error), path: exchange.url.split('?')[0] });
      if (!res.headersSent) sendStatus(res, 500, 'internal error in the auth proxy');
      else res.destroy();
    });
  };
}

async function handle(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, exchange: Exchange, flight: Flight): Promise<void> {
  const headers = new RequestHeaders(req);
  const decision = await ctx.authenticator.decide(headers, flight.clientGone);
  noteDecision(ctx, exchange, decision);
  if (decision.kind === 'refuse') {
    req.resume(); // drain any body so the connection can be reused
    sendStatus(res, decision.status, decision.message);
    return;
  }
  if (flight.clientGone.aborted) return;

  const { connections } = ctx;
  const lines = finalHeaderLines(decision, headers, connections.target.host, ctx.upstream.credentials());
  const sentAt = performance.now();
  const upstreamRequest = request({
    protocol: 'https:',
    hostname: connections.target.hostname,
    port: connections.target.port,
    method: req.method,
    path: req.url,
    headers: flatten(lines),
    setHost: false,
    agent: connections.agent(decision.mode === 'oidc' ? 'proxy-identity' : 'caller-identity'),
  });
  flight.upstreamRequest = upstreamRequest;

  upstreamRequest.on('response', (upstreamResponse) => {
    flight.upstreamResponse = upstreamResponse;
    ctx.metrics.upstreamLatency(decision.mode, (performance.now() - sentAt) / 1000);
    const { fields, hasContentLength } = responseHeaderFields(upstreamResponse.rawHeaders);
    res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.statusMessage, fields);
    // A watch (or logs -f) sends its head and then nothing until an event: the client must see the head now. Such
    // bodies are chunked; a body with a length follows at once, so its head leaves with it, in one TLS record and
    // one tunnel frame per hop instead of two.
    if (!hasContentLength) res.flushHeaders();
    relayBody(upstreamResponse, res);
    upstreamResponse.on('error', () => res.destroy());
  });
  upstreamRequest.on('error', (error) => {
    if (!res.headersSent) {
      ctx.logger.warn('apiserver request failed', { error: errorMessage(error), path: exchange.url.split('?')[0] });
      sendStatus(res, 502, `the auth proxy could not reach the apiserver: ${errorMessage(error)}`);
    } else {
      res.destroy();
    }
  });
  if (!hasBody(headers)) {
    // Most requests (every GET) have no body: end the upstream one now instead of piping an empty stream.
    upstreamRequest.end();
    return;
  }
  req.on('error', () => upstreamRequest.destroy());
  req.pipe(upstreamRequest);
}
