// An in-memory issuer for verifier tests that need tokens no real provider would mint (alg none, future nbf,
// reserved names…): its discovery document and JWKS are served by an injected fetch, so no server runs. Also the
// header set that presents one of its tokens to the authenticator (bearer).
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import type { FetchLike } from '../../../proxy/src/authproxy/https-fetch.js';
import type { IncomingHeaderSet } from '../../../proxy/src/authproxy/incoming-headers.js';

export const LOCAL_ISSUER = 'https://local-issuer.test/tenant-a/v2.0';
export const LOCAL_AUDIENCE = 'api://kube-aad-proxy';

export interface LocalIssuer {
  fetch: FetchLike;
  /** Signs with the published key (or `key`/`kid` when given); default claims are a valid Entra user token. */
  mint(claims?: JWTPayload, options?: { alg?: string; kid?: string; key?: CryptoKey | Uint8Array; omit?: string[] }): Promise<string>;
  defaultClaims(): JWTPayload;
  publicJwk: JWK;
  fetchCount(path: string): number;
  setAvailable(available: boolean): void;
  /** Publishes an additional key and returns its kid. */
  addKey(): Promise<{ kid: string; privateKey: CryptoKey }>;
}

export interface LocalIssuerOptions {
  /** The issuer URL (discovery under it, keys at its origin's /keys); default LOCAL_ISSUER. */
  issuer?: string;
  /** Claims that replace the defaults of every minted token (e.g. an Entra tenant's `tid`). */
  defaults?: JWTPayload;
}

export async function createLocalIssuer(options: LocalIssuerOptions = {}): Promise<LocalIssuer> {
  const issuerURL = options.issuer ?? LOCAL_ISSUER;
  const { origin, pathname: issuerPath } = new URL(issuerURL);
  const published: JWK[] = [];
  const privateKeys = new Map<string, CryptoKey>();
  const addKey = async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = `local-${published.length + 1}`;
    published.push({ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' });
    privateKeys.set(kid, privateKey);
    return { kid, privateKey };
  };
  const first = await addKey();
  const counts = new Map<string, number>();
  let available = true;

  const fetch: FetchLike = (url) => {
    const { pathname } = new URL(url);
    counts.set(pathname, (counts.get(pathname) ?? 0) + 1);
    if (!available) return Promise.reject(new TypeError('fetch failed: connect ECONNREFUSED'));
    if (pathname === `${issuerPath.replace(/\/+$/, '')}/.well-known/openid-configuration`) {
      return Promise.resolve(Response.json({ issuer: issuerURL, jwks_uri: `${origin}/keys` }));
    }
    if (pathname === '/keys') return Promise.resolve(Response.json({ keys: published }));
    return Promise.resolve(new Response('not found', { status: 404 }));
  };

  const defaultClaims = (): JWTPayload => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: issuerURL, aud: LOCAL_AUDIENCE, iat: now, nbf: now, exp: now + 600, oid: 'user-oid-1', tid: 'tenant-a', scp: 'user_impersonation', groups: ['group-1'] };
    return { ...claims, ...options.defaults };
  };

  return {
    fetch,
    defaultClaims,
    publicJwk: published[0] ?? {},
    fetchCount: (path) => counts.get(path) ?? 0,
    setAvailable(value) {
      available = value;
    },
    addKey,
    async mint(claims = {}, options = {}) {
      const payload: JWTPayload = { ...defaultClaims(), ...claims };
      for (const name of options.omit ?? []) delete payload[name];
      const kid = options.kid ?? first.kid;
      const key = options.key ?? privateKeys.get(kid) ?? first.privateKey;
      return new SignJWT(payload).setProtectedHeader({ alg: options.alg ?? 'RS256', kid, typ: 'JWT' }).sign(key);
    },
  };
}

/** A request's header views carrying `Authorization: Bearer <token>` and nothing else, as the authenticator reads them. */
export function bearer(token: string): IncomingHeaderSet {
  return { headers: { authorization: `Bearer ${token}` }, rawHeaders: ['Authorization', `Bearer ${token}`] };
}

/** An unsecured JWT (`alg: none`), which jose will not produce. */
export function unsecuredJwt(payload: JWTPayload): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.`;
}
