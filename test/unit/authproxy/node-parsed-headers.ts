// Header sets exactly as Node's HTTP parser hands them to the proxy (folded `headers` plus `rawHeaders`), from
// raw request text written to a real socket: duplicates and odd casing arrive the way an attacker sends them.
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { IncomingHeaderSet } from '../../../proxy/src/authproxy/incoming-headers.js';

let server: Server | undefined;
const waiting: Array<(req: IncomingMessage) => void> = [];

async function parserServer(): Promise<Server> {
  if (server) return server;
  const started = createServer((req, res) => {
    waiting.shift()?.(req);
    res.end();
  });
  // Upgrade requests are not answered by the request handler; capture them too.
  started.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    waiting.shift()?.(req);
    socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve) => started.listen(0, '127.0.0.1', resolve));
  server = started;
  return started;
}

/** `lines` are "Name: value" strings; a request line and Host are added. */
export async function parsedByNode(lines: string[], requestLine = 'GET /api/v1/pods HTTP/1.1'): Promise<IncomingHeaderSet> {
  const { port } = (await parserServer()).address() as AddressInfo;
  const captured = new Promise<IncomingMessage>((resolve) => waiting.push(resolve));
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.end([requestLine, 'Host: proxy.test', ...lines, '', ''].join('\r\n'));
  const req = await captured;
  socket.destroy();
  return { headers: req.headers, rawHeaders: req.rawHeaders };
}

export async function closeParserServer(): Promise<void> {
  const started = server;
  server = undefined;
  if (started) {
    started.closeAllConnections();
    await new Promise<void>((resolve) => started.close(() => resolve()));
  }
}
