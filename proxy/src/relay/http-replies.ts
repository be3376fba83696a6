// JSON error replies, on a normal HTTP response or on the raw socket of a refused WebSocket upgrade (where no
// ServerResponse exists). Both carry {error: {code, message}} so the client proxy can show the relay's sentence.
import { STATUS_CODES } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { RelayError } from './relay-error.js';

/** A RelayError as it is; anything else is the relay's own fault, reported without its details. */
export function asRelayError(error: unknown): RelayError {
  if (error instanceof RelayError) return error;
  return new RelayError(500, 'internal', 'internal error in the relay');
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' }).end(text);
}

export function sendError(res: ServerResponse, error: RelayError): void {
  if (error.status === 401) res.setHeader('www-authenticate', 'Bearer realm="clusterconnect-relay"');
  sendJson(res, error.status, error.toJSON());
}

/** Answers a refused upgrade with a complete HTTP response, then closes the connection. */
export function refuseUpgrade(socket: Duplex, error: RelayError): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(error.toJSON());
  const lines = [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'Connection: close',
  ];
  if (error.status === 401) lines.push('WWW-Authenticate: Bearer realm="clusterconnect-relay"');
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
