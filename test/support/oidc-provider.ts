// A real OpenID Provider (the npm `oidc-provider` package) standing in for Entra ID in tests: HTTPS on
// 127.0.0.1 with a self-signed certificate, client-credentials grant, resource indicators issuing JWT access
// tokens for an API audience, Entra-shaped claims (oid, tid, groups or the group-overage claims) and key rotation.
// Optionally also the device authorization grant (with oidc-provider's own user-code, login and consent pages, which
// a test drives like a user would), refresh tokens, and clients authenticating with `private_key_jwt` assertions.
import { createServer, request } from 'node:https';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors } from 'oidc-provider';
import type { Configuration } from 'oidc-provider';
import { MemoryAdapter } from './oidc/memory-adapter.js';
import { createSelfSignedCertificate } from './oidc/self-signed-cert.js';

export type SigningAlgorithm = 'RS256' | 'PS256' | 'ES256';

/** A caller known to the provider: each is a confidential client, so tests get tokens with plain POSTs. */
export interface TestPrincipal {
  clientId: string;
  clientSecret: string;
  /** Users get Entra's delegated-token shape (`scp`, `upn`); service principals the app-only shape (`idtyp: app`). */
  kind: 'user' | 'servicePrincipal';
  oid: string;
  tid: string;
  upn?: string;
  groups?: string[];
  /** Emit Entra's overage claims (`_claim_names` / `_claim_sources`) instead of `groups`. */
  groupsOverage?: boolean;
  /** Adds an `nbf` this many seconds from issuance (future-nbf tests; a real provider's own claim, so signed). */
  notBeforeOffsetSeconds?: number;
  /** Public keys of a client that authenticates with signed assertions (`private_key_jwt`, as workload identity
   * federation does) instead of its secret. */
  jwks?: { keys: Record<string, unknown>[] };
}

/** The device authorization grant for public clients (no secret), as a CLI signs users in. */
export interface TestDeviceFlowOptions {
  /** Public clients allowed to use the device flow and refresh tokens. */
  clientIds: string[];
}

export interface TestOidcProviderOptions {
  principals: TestPrincipal[];
  /** Resource indicator and `aud` of the access tokens; default `api://kube-aad-proxy`. */
  audience?: string;
  /** Other resource indicators the provider also issues tokens for (wrong-audience tests). */
  otherAudiences?: string[];
  algorithm?: SigningAlgorithm;
  accessTokenTtlSeconds?: number;
  /**
   * Enables the device flow. A user signs in on the login page with a principal's `clientId` as the login name
   * (any password) and gets that principal's claims.
   */
  deviceFlow?: TestDeviceFlowOptions;
}

export interface TestOidcProvider {
  readonly issuer: string;
  readonly audience: string;
  /** PEM of the self-signed server certificate: the only CA a client needs to trust. */
  readonly caPem: string;
  /** Client-credentials token for a principal, for `audience` unless another resource is asked for. */
  token(clientId: string, resource?: string): Promise<string>;
  /** Signs with a fresh key from now on; the old key stays published unless `retirePrevious`. */
  rotateKeys(options?: { retirePrevious?: boolean }): Promise<void>;
  /** `kid` of the key that signs new tokens. */
  currentKid(): string;
  /** How many requests reached a path (e.g. '/jwks'), to observe caching and refetch limits. */
  requestCount(path: string): number;
  /** While false, every request gets a 503 (an issuer outage). */
  setAvailable(available: boolean): void;
  close(): Promise<void>;
}

type PrivateJwk = Record<string, unknown> & { kid: string };

async function newSigningKey(algorithm: SigningAlgorithm, serial: number): Promise<PrivateJwk> {
  const { privateKey } = await generateKeyPair(algorithm, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg: algorithm, use: 'sig', kid: `test-key-${serial}-${Date.now().toString(36)}` };
}

function entraClaims(principal: TestPrincipal, issuer: string): Record<string, unknown> {
  const claims: Record<string, unknown> = { oid: principal.oid, tid: principal.tid, ver: '2.0', azp: principal.clientId };
  if (principal.kind === 'servicePrincipal') {
    claims.idtyp = 'app';
    claims.appid = principal.clientId;
  } else {
    claims.scp = 'user_impersonation';
    if (principal.upn) claims.upn = principal.upn;
  }
  if (principal.notBeforeOffsetSeconds !== undefined) claims.nbf = Math.floor(Date.now() / 1000) + principal.notBeforeOffsetSeconds;
  if (principal.groupsOverage) {
    const collection = principal.kind === 'user' ? 'users' : 'servicePrincipals';
    claims._claim_names = { groups: 'src1' };
    claims._claim_sources = { src1: { endpoint: `${issuer}/graph/${principal.tid}/${collection}/${principal.oid}/getMemberObjects` } };
  } else if (principal.groups) {
    claims.groups = principal.groups;
  }
  return claims;
}

export async function startTestOidcProvider(options: TestOidcProviderOptions): Promise<TestOidcProvider> {
  const audience = options.audience ?? 'api://kube-aad-proxy';
  const resources = new Set([audience, ...(options.otherAudiences ?? [])]);
  const algorithm = options.algorithm ?? 'RS256';
  const ttl = options.accessTokenTtlSeconds ?? 600;
  const principals = new Map(options.principals.map((p) => [p.clientId, p]));
  const tls = await createSelfSignedCertificate();

  const counts = new Map<string, number>();
  let available = true;
  let handler: RequestListener | undefined;
  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://x').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    if (!available || !handler) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('issuer unavailable');
      return;
    }
    if (options.deviceFlow && req.method === 'POST' && path === '/token') {
      acceptEntraDeviceCodeGrantName(req, res, handler);
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let keySerial = 0;
  let keys: PrivateJwk[] = [await newSigningKey(algorithm, ++keySerial)];

  // oidc-provider reads its keystore once, at construction; rotation therefore builds a new Provider on the same
  // issuer and server, which is what a real issuer's restart-with-new-keys looks like from outside.
  const buildProvider = (): Provider => {
    const confidential = [...principals.values()].map((p) => ({
      client_id: p.clientId,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      ...(p.jwks ? { token_endpoint_auth_method: 'private_key_jwt', jwks: p.jwks } : { client_secret: p.clientSecret, token_endpoint_auth_method: 'client_secret_post' }),
      // oidc-provider checks this against the keystore even for access tokens; its default RS256 needs an RSA key.
      id_token_signed_response_alg: algorithm,
    }));
    const publicClients = (options.deviceFlow?.clientIds ?? []).map((clientId) => ({
      client_id: clientId,
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      response_types: [],
      redirect_uris: [],
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: algorithm,
    }));
    const configuration: Configuration = {
      clients: [...confidential, ...publicClients],
      adapter: MemoryAdapter,
      jwks: { keys },
      cookies: { keys: ['test-cookie-key-not-secret'] },
      features: {
        clientCredentials: { enabled: true },
        // The built-in login and consent pages: the device-flow tests sign in through them as a user would.
        devInteractions: { enabled: options.deviceFlow !== undefined },
        deviceFlow: { enabled: options.deviceFlow !== undefined },
        resourceIndicators: {
          enabled: true,
          // Entra names the resource in the scope (`https://graph.microsoft.com/.default`) and rejects a `resource`
          // parameter on its v2 endpoint, which msal follows; this test-only adaptation maps such a scope to its resource.
          defaultResource: (ctx) => {
            const scope = (ctx as { oidc?: { params?: { scope?: unknown } } }).oidc?.params?.scope;
            const named = typeof scope === 'string' ? scope.split(' ').find((s) => s.endsWith('/.default')) : undefined;
            const resource = named?.slice(0, -'/.default'.length);
            return Promise.resolve(resource !== undefined && resources.has(resource) ? resource : audience);
          },
          useGrantedResource: () => Promise.resolve(true),
          getResourceServerInfo: (_ctx, resourceIndicator) => {
            if (!resources.has(resourceIndicator)) return Promise.reject(new errors.InvalidTarget(`unknown resource ${resourceIndicator}`));
            return Promise.resolve({
              scope: 'user_impersonation',
              audience: resourceIndicator,
              accessTokenFormat: 'jwt',
              accessTokenTTL: ttl,
              jwt: { sign: { alg: algorithm, kid: keys[0]?.kid } },
            });
          },
        },
      },
      extraTokenClaims: (_ctx, token) => {
        // A signed-in user's token carries the user's claims; an app-only token its client's.
        const id = token.accountId ?? token.clientId;
        const principal = id ? principals.get(id) : undefined;
        return Promise.resolve(principal ? entraClaims(principal, issuer) : undefined);
      },
      findAccount: (_ctx, sub) =>
        Promise.resolve(principals.has(sub) ? { accountId: sub, claims: () => Promise.resolve({ sub, tid: principals.get(sub)?.tid }) } : undefined),
      // Entra stand-in: msal asks for Entra's `<resource>/.default` and `profile` scopes in device code and refresh
      // requests, and oidc-provider refuses a refresh asking for scopes it never granted; so it knows them.
      ...(options.deviceFlow ? { scopes: ['openid', 'offline_access', 'profile', ...[...resources].map((r) => `${r}/.default`)] } : {}),
      // msal derives the device authorization endpoint from the token endpoint as Entra names it (`/devicecode`).
      routes: { device_authorization: '/devicecode' },
      // Refresh tokens for every client allowed the grant, without requiring the offline_access consent dance.
      issueRefreshToken: (_ctx, client) => Promise.resolve(client.grantTypeAllowed('refresh_token')),
      ttl: {
        ClientCredentials: ttl, AccessToken: ttl, Grant: 3600, Session: 3600, Interaction: 600, IdToken: ttl, DeviceCode: 600, RefreshToken: 3600,
      },
    };
    return new Provider(issuer, configuration);
  };
  handler = buildProvider().callback();

  return {
    issuer,
    audience,
    caPem: tls.certPem,
    async token(clientId, resource = audience) {
      const principal = principals.get(clientId);
      if (!principal) throw new Error(`no test principal ${clientId}`);
      const body = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: principal.clientId,
        client_secret: principal.clientSecret,
        resource,
      });
      // The fixture talks to itself with its own trust: a one-off https request avoids touching global fetch.
      const { status, text } = await postForm(`${issuer}/token`, body, tls.certPem);
      if (status !== 200) throw new Error(`token endpoint answered ${status}: ${text}`);
      return (JSON.parse(text) as { access_token: string }).access_token;
    },
    async rotateKeys(rotation = {}) {
      const fresh = await newSigningKey(algorithm, ++keySerial);
      keys = rotation.retirePrevious ? [fresh] : [fresh, ...keys];
      handler = buildProvider().callback();
    },
    currentKid: () => keys[0]?.kid ?? '',
    requestCount: (path) => counts.get(path) ?? 0,
    setAvailable(value) {
      available = value;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/**
 * Test-only adaptation (Entra stand-in): msal polls the token endpoint with Entra's short grant type name
 * `device_code`, which Entra accepts and a standards provider does not; rewrite it to the RFC 8628 name. oidc-provider
 * reads an already-consumed request's body from `req.body`.
 */
function acceptEntraDeviceCodeGrantName(req: IncomingMessage, res: ServerResponse, next: RequestListener): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('error', () => res.destroy());
  req.on('end', () => {
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    if (form.get('grant_type') === 'device_code') form.set('grant_type', 'urn:ietf:params:oauth:grant-type:device_code');
    (req as IncomingMessage & { body?: string }).body = form.toString();
    next(req, res);
  });
}

function postForm(url: string, body: URLSearchParams, caPem: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca: caPem, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body.toString());
  });
}
