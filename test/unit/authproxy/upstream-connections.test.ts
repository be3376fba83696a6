// The two pools to the apiserver, against a local TLS server that asks for client certificates: keep-alive sockets
// are reused within a pool (the pool key is constant), and never across pools.
import { expect } from 'chai';
import { createServer, request } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createUpstreamConnections } from '../../../proxy/src/authproxy/upstream-connections.js';
import type { Pool, UpstreamConnections } from '../../../proxy/src/authproxy/upstream-connections.js';
import type { UpstreamTarget } from '../../../proxy/src/authproxy/upstream.js';
import { createSelfSignedCertificate } from '../../support/oidc/self-signed-cert.js';

interface Sent {
  reusedSocket: boolean;
  /** The client port the server saw: the same socket has the same one. */
  remotePort: number;
  clientCert: boolean;
}

describe('authproxy/upstream-connections', () => {
  let server: Server;
  let connections: UpstreamConnections;

  before(async () => {
    const serverTls = await createSelfSignedCertificate('fake-apiserver.test');
    const clientTls = await createSelfSignedCertificate('kube-aad-proxy');
    server = createServer({ cert: serverTls.certPem, key: serverTls.keyPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      const socket = req.socket as TLSSocket;
      res.end(JSON.stringify({ remotePort: socket.remotePort, clientCert: socket.getPeerCertificate().subject !== undefined }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const upstream: UpstreamTarget = {
      url: new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}`),
      ca: serverTls.certPem,
      servername: 'localhost',
      rejectUnauthorized: true,
      credentials: () => ({ cert: clientTls.certPem, key: clientTls.keyPem }),
      onChange: () => undefined,
      close: () => undefined,
    };
    connections = createUpstreamConnections(upstream);
  });

  after(async () => {
    connections?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  /** One GET as request-handler.ts sends it: the pool's agent, no TLS options of its own. */
  const send = (pool: Pool, path = '/api/v1/pods') =>
    new Promise<Sent>((resolve, reject) => {
      const { target } = connections;
      const req = request({ protocol: 'https:', hostname: target.hostname, port: target.port, path, method: 'GET', headers: { host: target.host }, setHost: false, agent: connections.agent(pool) }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ reusedSocket: req.reusedSocket, ...(JSON.parse(body) as Omit<Sent, 'reusedSocket'>) }));
      });
      req.on('error', reject);
      req.end();
    });

  it('reuses a pool\'s keep-alive socket for the next request, whatever its path', async () => {
    const first = await send('proxy-identity', '/api/v1/pods');
    const second = await send('proxy-identity', '/apis/apps/v1/deployments?limit=1');
    expect(first).to.include({ reusedSocket: false, clientCert: true });
    expect(second).to.include({ reusedSocket: true, remotePort: first.remotePort, clientCert: true });
  });

  it('never hands a socket of the proxy\'s identity to the caller-identity pool, which presents no certificate', async () => {
    const proxyIdentity = await send('proxy-identity');
    const caller = await send('caller-identity');
    const callerAgain = await send('caller-identity');
    expect(caller.remotePort).not.to.equal(proxyIdentity.remotePort);
    expect(caller.clientCert).to.equal(false);
    expect(callerAgain).to.include({ reusedSocket: true, remotePort: caller.remotePort, clientCert: false });
  });
});
