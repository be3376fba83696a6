// The verified-token cache: the same token is verified once per TTL, never past its exp, refusals are never kept,
// TTL 0 turns it off, the size bound holds, and everything after verification (Graph groups) still runs per request.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { Registry } from 'prom-client';
import { createAuthenticator } from '../../../proxy/src/authproxy/authenticate.js';
import type { AuthDecision } from '../../../proxy/src/authproxy/authenticate.js';
import type { GroupResolver, VerifiedToken } from '../../../proxy/src/authproxy/identity.js';
import { createAuthProxyMetrics } from '../../../proxy/src/authproxy/metrics.js';
import type { OidcVerifierConfig } from '../../../proxy/src/authproxy/oidc-config.js';
import { createOidcVerifier } from '../../../proxy/src/authproxy/oidc-verifier.js';
import type { OidcVerifier } from '../../../proxy/src/authproxy/oidc-verifier.js';
import { createTokenCacheKey } from '../../../proxy/src/authproxy/token-cache-key.js';
import { VerifiedTokenCache } from '../../../proxy/src/authproxy/verified-token-cache.js';
import type { TokenCacheLookup } from '../../../proxy/src/authproxy/verified-token-cache.js';
import { bearer, createLocalIssuer, LOCAL_AUDIENCE, LOCAL_ISSUER } from './local-issuer.js';
import type { LocalIssuer } from './local-issuer.js';

function forwarded(decision: AuthDecision): Extract<AuthDecision, { kind: 'forward'; mode: 'oidc' }> {
  if (decision.kind !== 'forward' || decision.mode !== 'oidc') expect.fail(`expected an OIDC forward, got ${JSON.stringify(decision)}`);
  return decision;
}

function refused(decision: AuthDecision): Extract<AuthDecision, { kind: 'refuse' }> {
  if (decision.kind !== 'refuse') expect.fail(`expected a refusal, got ${JSON.stringify(decision)}`);
  return decision;
}

const verifiedToken = (username: string, expiresAt: number): VerifiedToken => ({
  identity: { username, groups: ['g'], extra: { 'clusterconnect.io/tid': ['t'] } },
  principalType: 'user',
  expiresAt: new Date(expiresAt),
});

describe('authproxy/verified-token-cache', () => {
  let issuer: LocalIssuer;
  /** The verifiers' clock, in epoch ms; tests move it. */
  let clock: number;
  let verifications: number;
  let lookups: TokenCacheLookup[];
  const seconds = () => Math.floor(clock / 1000);

  beforeEach(async () => {
    issuer = await createLocalIssuer();
    clock = Date.now();
    verifications = 0;
    lookups = [];
  });

  /** A real verifier on the fake clock, counting how often verification runs. */
  const countingVerifier = (overrides: Partial<OidcVerifierConfig> = {}): OidcVerifier => {
    const verifier = createOidcVerifier({ issuerURL: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, fetch: issuer.fetch, now: () => new Date(clock), ...overrides });
    return {
      issuer: verifier.issuer,
      acceptedIssuers: verifier.acceptedIssuers,
      config: verifier.config,
      verify(token) {
        verifications++;
        return verifier.verify(token);
      },
    };
  };
  const authenticatorWith = (options: { ttlMs?: number; verifier?: OidcVerifier; groupResolver?: GroupResolver } = {}) =>
    createAuthenticator({
      verifiers: [options.verifier ?? countingVerifier()],
      serviceAccountTokens: false,
      groupResolver: options.groupResolver,
      tokenCache: VerifiedTokenCache.create({ ttlMs: options.ttlMs ?? 10_000, onLookup: (result) => lookups.push(result) }),
    });
  /** A token valid from the fake clock's now for `lifetime` seconds. */
  const mint = (lifetime = 600, claims: Record<string, unknown> = {}) => issuer.mint({ iat: seconds(), nbf: seconds(), exp: seconds() + lifetime, ...claims });

  it('verifies a token once: the second request with it is answered from the cache, with the same headers', async () => {
    const authenticator = authenticatorWith();
    const token = await mint();
    const first = forwarded(await authenticator.decide(bearer(token)));
    clock += 9_000;
    const second = forwarded(await authenticator.decide(bearer(token)));
    expect(verifications).to.equal(1);
    expect(lookups).to.deep.equal(['miss', 'hit']);
    expect(second.identity).to.deep.equal(first.identity);
    expect(second.headers).to.deep.equal(first.headers);
  });

  it('verifies a different token, even of the same user', async () => {
    const authenticator = authenticatorWith();
    const first = forwarded(await authenticator.decide(bearer(await mint())));
    const other = forwarded(await authenticator.decide(bearer(await mint(600, { oid: 'user-oid-2' }))));
    const renewed = forwarded(await authenticator.decide(bearer(await mint(601))));
    expect(verifications).to.equal(3);
    expect(lookups).to.deep.equal(['miss', 'miss', 'miss']);
    expect([first.identity.username, other.identity.username, renewed.identity.username]).to.deep.equal(['user-oid-1', 'user-oid-2', 'user-oid-1']);
  });

  it('verifies again once the TTL has passed', async () => {
    const authenticator = authenticatorWith();
    const token = await mint();
    forwarded(await authenticator.decide(bearer(token)));
    clock += 10_000;
    forwarded(await authenticator.decide(bearer(token)));
    expect(verifications).to.equal(2);
  });

  it('never past the token\'s exp: an entry whose token expired 1 ms ago misses, and the request fails as expired', async () => {
    const authenticator = authenticatorWith({ verifier: countingVerifier({ clockSkewSeconds: 0 }) });
    const exp = seconds() + 5; // before the 10 s TTL would end
    const token = await mint(5);
    forwarded(await authenticator.decide(bearer(token)));
    clock = exp * 1000 - 1;
    forwarded(await authenticator.decide(bearer(token)));
    expect(verifications).to.equal(1);
    clock = exp * 1000 + 1;
    const decision = refused(await authenticator.decide(bearer(token)));
    expect(decision).to.deep.include({ status: 401, reason: 'expired' });
    expect(verifications).to.equal(2);
    expect(lookups).to.deep.equal(['miss', 'hit', 'miss']);
  });

  it('within the clock skew an expired token still verifies, but each time: the cache adds no time past exp', async () => {
    const authenticator = authenticatorWith(); // default skew 60 s
    const exp = seconds() + 1;
    const token = await mint(1);
    clock = exp * 1000 + 1;
    forwarded(await authenticator.decide(bearer(token)));
    forwarded(await authenticator.decide(bearer(token)));
    expect(verifications).to.equal(2);
  });

  it('does not keep a refused token: it is verified again, and accepted once it verifies', async () => {
    const authenticator = authenticatorWith({ verifier: countingVerifier({ failureBackoffMs: 1_000 }) });
    const token = await mint();
    issuer.setAvailable(false);
    expect(refused(await authenticator.decide(bearer(token)))).to.deep.include({ status: 503, reason: 'issuer_unreachable' });
    issuer.setAvailable(true);
    clock += 1_000; // past the verifier's back-off
    forwarded(await authenticator.decide(bearer(token)));
    expect(verifications).to.equal(2);

    const wrongAudience = await mint(600, { aud: 'someone-else' });
    expect(refused(await authenticator.decide(bearer(wrongAudience))).reason).to.equal('wrong_audience');
    expect(refused(await authenticator.decide(bearer(wrongAudience))).reason).to.equal('wrong_audience');
    expect(verifications).to.equal(4);
    expect(lookups).to.deep.equal(['miss', 'miss', 'miss', 'miss']);
  });

  it('TTL 0 turns it off: no cache at all, every request is verified and no lookup is counted', async () => {
    expect(VerifiedTokenCache.create({ ttlMs: 0 })).to.equal(undefined);
    const authenticator = authenticatorWith({ ttlMs: 0 });
    const token = await mint();
    forwarded(await authenticator.decide(bearer(token)));
    forwarded(await authenticator.decide(bearer(token)));
    expect(verifications).to.equal(2);
    expect(lookups).to.deep.equal([]);
  });

  it('still resolves overage groups per request (Graph keeps its own cache), from one verification', async () => {
    let resolutions = 0;
    const groupResolver: GroupResolver = {
      resolveGroups: () => {
        resolutions++;
        return Promise.resolve([`graph-group-${resolutions}`]);
      },
    };
    const authenticator = authenticatorWith({ groupResolver });
    const token = await mint(600, { groups: undefined, _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph.microsoft.com/x' } } });
    expect(forwarded(await authenticator.decide(bearer(token))).identity.groups).to.deep.equal(['graph-group-1']);
    expect(forwarded(await authenticator.decide(bearer(token))).identity.groups).to.deep.equal(['graph-group-2']);
    expect(verifications).to.equal(1);
    expect(resolutions).to.equal(2);
  });

  it('still refuses impersonation headers on a cached token', async () => {
    const authenticator = authenticatorWith();
    const token = await mint();
    forwarded(await authenticator.decide(bearer(token)));
    const withAs = { headers: { authorization: `Bearer ${token}`, 'impersonate-user': 'admin' }, rawHeaders: ['Authorization', `Bearer ${token}`, 'Impersonate-User', 'admin'] };
    expect(refused(await authenticator.decide(withAs))).to.deep.include({ status: 403, reason: 'impersonation_refused' });
    expect(lookups).to.deep.equal(['miss', 'hit']);
  });

  it('verifies a new token once when many requests bring it at the same time; they all get its answer', async () => {
    const authenticator = authenticatorWith();
    const token = await mint();
    const decisions = await Promise.all(Array.from({ length: 8 }, () => authenticator.decide(bearer(token))));
    expect(verifications).to.equal(1);
    expect(decisions.map((decision) => forwarded(decision).identity.username)).to.deep.equal(Array(8).fill('user-oid-1'));
    expect(lookups).to.deep.equal(Array(8).fill('miss')); // each looked, none found: they waited on the one verification
    forwarded(await authenticator.decide(bearer(token)));
    expect(verifications, 'the shared verification is remembered').to.equal(1);
    expect(lookups.at(-1)).to.equal('hit');
  });

  it('shares a refusal among the requests that waited for it, and keeps neither it nor the verification under way', async () => {
    const authenticator = authenticatorWith({ verifier: countingVerifier({ failureBackoffMs: 1_000 }) });
    const token = await mint();
    issuer.setAvailable(false);
    const refusals = await Promise.all(Array.from({ length: 4 }, () => authenticator.decide(bearer(token))));
    expect(refusals.map((decision) => refused(decision).reason)).to.deep.equal(Array(4).fill('issuer_unreachable'));
    expect(verifications).to.equal(1);
    issuer.setAvailable(true);
    clock += 1_000; // past the verifier's back-off
    forwarded(await authenticator.decide(bearer(token)));
    expect(verifications, 'verified afresh, not answered with the shared refusal').to.equal(2);
  });

  it('holds no token: its map is keyed by the HMAC of issuer and token', async () => {
    const tokenCache = VerifiedTokenCache.create({ ttlMs: 10_000 })!;
    const authenticator = createAuthenticator({ verifiers: [countingVerifier()], serviceAccountTokens: false, tokenCache });
    const token = await mint();
    forwarded(await authenticator.decide(bearer(token)));
    const entries = (tokenCache as unknown as { entries: Map<string, unknown> }).entries;
    expect([...entries.keys()]).to.deep.equal([tokenCache.keyFor(LOCAL_ISSUER, token)]);
    expect(JSON.stringify([...entries])).not.to.contain(token.split('.')[2]);
  });

  describe('the cache itself', () => {
    it('holds at most maxEntries, dropping the oldest', () => {
      const cache = VerifiedTokenCache.create({ ttlMs: 10_000, maxEntries: 3 })!;
      const now = Date.now();
      for (const name of ['a', 'b', 'c', 'd']) cache.set(name, verifiedToken(name, now + 60_000), now);
      expect(cache.size).to.equal(3);
      expect(cache.get('a', now)).to.equal(undefined);
      expect(['b', 'c', 'd'].map((name) => cache.get(name, now)?.identity.username)).to.deep.equal(['b', 'c', 'd']);
    });

    it('lets expired entries go when it stores, so it holds about one TTL of tokens', () => {
      const cache = VerifiedTokenCache.create({ ttlMs: 10_000, maxEntries: 100 })!;
      const now = Date.now();
      for (const name of ['a', 'b', 'c']) cache.set(name, verifiedToken(name, now + 60_000), now);
      cache.set('d', verifiedToken('d', now + 60_000), now + 10_000);
      expect(cache.size).to.equal(1);
    });

    it('stores nothing for a token with no time left, and misses when the clock went back', () => {
      const cache = VerifiedTokenCache.create({ ttlMs: 10_000 })!;
      const now = Date.now();
      cache.set('expired', verifiedToken('x', now), now);
      cache.set('nan', verifiedToken('x', Number.NaN), now);
      expect(cache.size).to.equal(0);
      cache.set('fine', verifiedToken('fine', now + 60_000), now);
      expect(cache.get('fine', now - 1)).to.equal(undefined);
    });

    it('hands out frozen answers, so no request can change the next one\'s identity', () => {
      const cache = VerifiedTokenCache.create({ ttlMs: 10_000 })!;
      const now = Date.now();
      cache.set('k', verifiedToken('u', now + 60_000), now);
      const cached = cache.get('k', now);
      expect(() => cached?.identity.groups.push('system:masters')).to.throw(TypeError);
      expect(() => (cached?.identity.extra['clusterconnect.io/tid'] ?? []).push('x')).to.throw(TypeError);
    });

    it('refuses a TTL it cannot honour', () => {
      expect(() => VerifiedTokenCache.create({ ttlMs: -1 })).to.throw(/between 0 and 60 seconds/);
      expect(() => VerifiedTokenCache.create({ ttlMs: 61_000 })).to.throw(/between 0 and 60 seconds/);
      expect(() => VerifiedTokenCache.create({ ttlMs: Number.NaN })).to.throw(/between 0 and 60 seconds/);
      expect(VerifiedTokenCache.create({ ttlMs: 60_000 })?.ttlMs).to.equal(60_000);
    });

    it('keys by an HMAC of issuer and token under a per-cache secret: never the token, never twice the same', () => {
      const keyFor = createTokenCacheKey();
      const token = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln';
      const key = keyFor(LOCAL_ISSUER, token);
      expect(key).to.match(/^[A-Za-z0-9+/]{43}=$/);
      // Not a digest anyone could compute from the token (and issuer) alone: a secret goes into it.
      const sha256 = (...parts: string[]) => parts.reduce((hash, part) => hash.update(part), createHash('sha256')).digest('base64');
      expect([sha256(token), sha256(LOCAL_ISSUER, token), sha256(`${LOCAL_ISSUER.length}:${LOCAL_ISSUER}`, token)]).not.to.include(key);
      expect(keyFor(LOCAL_ISSUER, token)).to.equal(key);
      expect(keyFor('https://other.test', token)).not.to.equal(key);
      // The issuer is length-prefixed: moving characters between issuer and token gives another key.
      expect(keyFor(`${LOCAL_ISSUER}e`, token.slice(1))).not.to.equal(keyFor(LOCAL_ISSUER, `e${token.slice(1)}`));
      expect(createTokenCacheKey()(LOCAL_ISSUER, token)).not.to.equal(key);
    });
  });

  it('counts hits and misses as a Prometheus counter, each counted once across scrapes', async () => {
    const registry = new Registry();
    const metrics = createAuthProxyMetrics(registry);
    const read = async (result: string) => Number(new RegExp(`clusterconnect_authproxy_token_cache_lookups_total\\{result="${result}"\\} (\\d+)`).exec(await registry.metrics())?.[1]);
    expect(await read('hit')).to.equal(0);
    metrics.tokenCacheLookup('miss');
    metrics.tokenCacheLookup('hit');
    metrics.tokenCacheLookup('hit');
    expect([await read('hit'), await read('miss')]).to.deep.equal([2, 1]);
    expect([await read('hit'), await read('miss')]).to.deep.equal([2, 1]);
  });
});
