// The kube-aad-proxy of the client proxy tests: an HTTPS server with a certificate for the announced server name
// ("localhost") that answers GET /version like an apiserver and records each request's Authorization header, so
// a test can check which credential kubectl sent through the tunnel.
import { once } from 'node:events';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSelfSignedCertificate } from '../support/oidc/self-signed-cert.js';

export interface KubeStandIn {
  port: number;
  caPem: string;
  /** Authorization headers in arrival order ('' when absent). */
  authorizations: string[];
  close(): Promise<void>;
}

export const VERSION = { major: '1', minor: '34', gitVersion: 'v1.34.0-standin', platform: 'linux/amd64' };

export async function startKubeStandIn(): Promise<KubeStandIn> {
  const { certPem, keyPem } = await createSelfSignedCertificate('localhost');
  const authorizations: string[] = [];
  const server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
    authorizations.push(req.headers.authorization ?? '');
    if (req.url === '/version') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(VERSION));
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound' }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    caPem: certPem,
    authorizations,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
