// A Microsoft Graph stand-in serving exactly one documented endpoint:
//   POST /v1.0/{users|servicePrincipals}/{id}/getMemberObjects  {"securityEnabledOnly": true}
//   → 200 {"@odata.context": …, "value": ["<group id>", …]}
// It requires an app-only access token from the test OpenID Provider for the Graph audience, verified with jose
// against the provider's JWKS, as Graph would. Everything else is 404; a bad or missing token is 401.
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { JSONWebKeySet } from 'jose';
import { createHttpsFetch } from '../../proxy/src/authproxy/https-fetch.js';
import { createSelfSignedCertificate } from './oidc/self-signed-cert.js';
import type { TestOidcProvider } from './oidc-provider.js';

export const GRAPH_AUDIENCE = 'https://graph.microsoft.com';

export interface GraphStandIn {
  /** Base URL, e.g. https://127.0.0.1:PORT (the proxy adds /v1.0/…). */
  readonly url: string;
  readonly caPem: string;
  /** How many getMemberObjects calls were answered 200. */
  calls(): number;
  /** Every request seen, as "METHOD path status". */
  log(): string[];
  setMemberships(kind: 'users' | 'servicePrincipals', id: string, groups: string[]): void;
  close(): Promise<void>;
}

const ROUTE = /^\/v1\.0\/(users|servicePrincipals)\/([^/]+)\/getMemberObjects$/;

export async function startGraphStandIn(provider: TestOidcProvider, memberships: { users?: Record<string, string[]>; servicePrincipals?: Record<string, string[]> } = {}): Promise<GraphStandIn> {
  // Its own subject name: with the provider's CA in the same trust bundle, OpenSSL picks the issuer by subject.
  const tls = await createSelfSignedCertificate('graph-stand-in.test');
  const providerFetch = createHttpsFetch({ ca: provider.caPem });
  const data = { users: new Map(Object.entries(memberships.users ?? {})), servicePrincipals: new Map(Object.entries(memberships.servicePrincipals ?? {})) };
  const seen: string[] = [];
  let ok = 0;

  const verify = async (authorization: string | undefined): Promise<boolean> => {
    const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (!token) return false;
    // Fetched per call: the stand-in favours simplicity over caching, and picks up key rotation for free.
    const jwks = (await (await providerFetch(`${provider.issuer}/jwks`)).json()) as JSONWebKeySet;
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: provider.issuer, audience: GRAPH_AUDIENCE, algorithms: ['RS256', 'ES256', 'PS256'] });
      return payload.idtyp === 'app'; // application permissions: only app-only tokens
    } catch {
      return false;
    }
  };

  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const path = new URL(req.url ?? '/', 'https://x').pathname;
        const send = (status: number, body: unknown) => {
          seen.push(`${req.method} ${path} ${status}`);
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        };
        const match = ROUTE.exec(path);
        if (req.method !== 'POST' || !match) return send(404, { error: { code: 'Request_ResourceNotFound', message: 'not served by the stand-in' } });
        if (!(await verify(req.headers.authorization))) return send(401, { error: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' } });
        let body: { securityEnabledOnly?: unknown };
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
        } catch {
          return send(400, { error: { code: 'BadRequest', message: 'body is not JSON' } });
        }
        if (typeof body.securityEnabledOnly !== 'boolean') return send(400, { error: { code: 'Request_BadRequest', message: 'securityEnabledOnly is required' } });
        const [, kind, id] = match as unknown as [string, 'users' | 'servicePrincipals', string];
        const groups = data[kind].get(decodeURIComponent(id));
        if (!groups) return send(404, { error: { code: 'Request_ResourceNotFound', message: `Resource '${id}' does not exist` } });
        ok++;
        return send(200, { '@odata.context': `${GRAPH_AUDIENCE}/v1.0/$metadata#Collection(Edm.String)`, value: groups });
      })().catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caPem: tls.certPem,
    calls: () => ok,
    log: () => [...seen],
    setMemberships: (kind, id, groups) => void data[kind].set(id, groups),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
