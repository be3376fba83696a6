// The "kube-aad-proxy" of the integration tests: a TLS server that greets first (server → client bytes before any
// request), then answers every request (read to the client's half-close) with "<bytes> <sha256>", or echoes lines
// in "echo" mode. It records what it received so the secrecy test can prove the secret crossed the tunnel.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { createSelfSignedCertificate } from '../support/oidc/self-signed-cert.js';

export interface TlsUpstream {
  port: number;
  caPem: string;
  received: Buffer[];
  close(): void;
}

export const GREETING = 'hello from upstream\n';

export async function startTlsUpstream(): Promise<TlsUpstream> {
  const { certPem, keyPem } = await createSelfSignedCertificate('localhost');
  const received: Buffer[] = [];
  const server = tls.createServer({ cert: certPem, key: keyPem, allowHalfOpen: true }, (socket) => {
    socket.on('error', () => undefined);
    socket.write(GREETING);
    const hash = createHash('sha256');
    let bytes = 0;
    let echo = false;
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      if (bytes === 0 && chunk.subarray(0, 5).toString() === 'ECHO ') echo = true;
      bytes += chunk.length;
      hash.update(chunk);
      if (echo) socket.write(chunk);
    });
    socket.on('end', () => socket.end(echo ? '' : `${bytes} ${hash.digest('hex')}`));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, caPem: certPem, received, close: () => server.close() };
}

/** kubectl's part: a TLS session to the client proxy that verifies the upstream's certificate end to end. */
export async function tlsClient(port: number, caPem: string): Promise<tls.TLSSocket> {
  // allowHalfOpen reaches the underlying net.Socket; the tls typings omit it.
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: caPem, allowHalfOpen: true } as tls.ConnectionOptions);
  socket.on('error', () => undefined);
  await once(socket, 'secureConnect');
  return socket;
}

/** Reads until `count` bytes have arrived (or the stream ends). */
export async function readBytes(socket: tls.TLSSocket, count: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  while (size < count) {
    const chunk = socket.read() as Buffer | null;
    if (chunk) {
      chunks.push(chunk);
      size += chunk.length;
      continue;
    }
    if (socket.readableEnded) break;
    await Promise.race([once(socket, 'readable'), once(socket, 'end')]);
  }
  const all = Buffer.concat(chunks);
  if (all.length > count) socket.unshift(all.subarray(count));
  return all.subarray(0, count);
}

export async function readToEnd(socket: tls.TLSSocket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of socket.iterator({ destroyOnReturn: false })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** One kubectl-like exchange: greeting, request with half-close, digest answer. */
export async function exchange(port: number, caPem: string, request: Buffer): Promise<{ greeting: string; answer: string }> {
  const socket = await tlsClient(port, caPem);
  try {
    const greeting = (await readBytes(socket, GREETING.length)).toString();
    socket.end(request);
    const answer = (await readToEnd(socket)).toString();
    return { greeting, answer };
  } finally {
    socket.destroy();
  }
}

export function digestOf(request: Buffer): string {
  return `${request.length} ${createHash('sha256').update(request).digest('hex')}`;
}
