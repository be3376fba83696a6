// Group overage end to end without a cluster: msal-node gets the proxy's app token from the real OpenID Provider
// (client credentials, OIDC protocol mode, the provider's CA through msal's networkClient seam), and the resolver
// calls the Graph stand-in, which accepts only valid Graph-audience app tokens.
import { expect } from 'chai';
import { createGraphAppToken } from '../../../proxy/src/authproxy/graph-app-token.js';
import { createGraphGroupResolver } from '../../../proxy/src/authproxy/graph-group-resolver.js';
import { createHttpsFetch, TrustingAgent } from '../../../proxy/src/authproxy/https-fetch.js';
import { completeGroups, createOidcVerifier } from '../../../proxy/src/authproxy/oidc-verifier.js';
import { GRAPH_AUDIENCE, startGraphStandIn } from '../../support/graph-stand-in.js';
import type { GraphStandIn } from '../../support/graph-stand-in.js';
import { startTestOidcProvider } from '../../support/oidc-provider.js';
import type { TestOidcProvider } from '../../support/oidc-provider.js';

const TENANT = '72f988bf-0000-4000-8000-000000000001';
const MANY_OID = '3a4e0000-0000-4000-8000-0000000000aa';
const BOT_OID = '5e7e1ce0-0000-4000-8000-0000000005b1';

describe('authproxy/graph-group-resolver (msal-node + Graph stand-in)', function () {
  this.timeout(20_000);
  let provider: TestOidcProvider;
  let graph: GraphStandIn;
  let trust: TrustingAgent;
  let fetch: ReturnType<typeof createHttpsFetch>;

  before(async () => {
    provider = await startTestOidcProvider({
      otherAudiences: [GRAPH_AUDIENCE],
      principals: [
        { clientId: 'kube-aad-proxy', clientSecret: 'proxy-app-secret', kind: 'servicePrincipal', oid: 'proxy-app-oid', tid: TENANT },
        { clientId: 'many-groups', clientSecret: 'many-secret', kind: 'user', oid: MANY_OID, tid: TENANT, groupsOverage: true },
        { clientId: 'busy-bot', clientSecret: 'bot-secret', kind: 'servicePrincipal', oid: BOT_OID, tid: TENANT, groupsOverage: true },
      ],
    });
    graph = await startGraphStandIn(provider, {
      users: { [MANY_OID]: ['g-1', 'g-2', 'g-3'] },
      servicePrincipals: { [BOT_OID]: ['g-deployers'] },
    });
    // One bundle trusts both self-signed servers (the authority and Graph), as --graph-ca-file would; msal's client
    // and the fetch share it.
    trust = new TrustingAgent([provider.caPem, graph.caPem]);
    fetch = createHttpsFetch({ trust });
  });

  after(async () => {
    await graph?.close();
    await provider?.close();
  });

  const appToken = (secret = 'proxy-app-secret') =>
    createGraphAppToken({ authority: provider.issuer, clientId: 'kube-aad-proxy', credential: { kind: 'secret', secret }, graphURL: GRAPH_AUDIENCE, trust, fetch });

  it('acquires an app-only Graph token with msal-node from a non-Entra authority', async () => {
    const token = await appToken()();
    const [, payload] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
    expect(claims).to.include({ aud: GRAPH_AUDIENCE, iss: provider.issuer, idtyp: 'app' });
  });

  it('resolves the groups of an overage user and of a service principal, and caches them per principal', async () => {
    const before = graph.calls();
    const resolver = createGraphGroupResolver({ graphURL: graph.url, accessToken: appToken(), fetch });
    const verifier = createOidcVerifier({ issuerURL: provider.issuer, audience: provider.audience, fetch: createHttpsFetch({ ca: provider.caPem }), groupsPrefix: 'aad:' });

    const user = await verifier.verify(await provider.token('many-groups'));
    expect(user.groupsOverage).to.include({ objectId: MANY_OID, principalType: 'user' });
    const completed = await completeGroups(user, resolver, verifier.config);
    expect(completed.identity.groups).to.deep.equal(['aad:g-1', 'aad:g-2', 'aad:g-3']);

    const bot = await verifier.verify(await provider.token('busy-bot'));
    expect((await completeGroups(bot, resolver, verifier.config)).identity.groups).to.deep.equal(['aad:g-deployers']);
    expect(graph.calls() - before).to.equal(2);
    expect(graph.log()).to.include(`POST /v1.0/servicePrincipals/${BOT_OID}/getMemberObjects 200`);

    // Served from the cache: Graph is not asked again within the TTL.
    await completeGroups(user, resolver, verifier.config);
    expect(graph.calls() - before).to.equal(2);
    expect(resolver.cacheSize()).to.equal(2);
  });

  it('keeps a shared lookup for the callers still waiting when one leaves, and cancels it when all have', async () => {
    const token = appToken();
    await token(); // msal's own round trips out of the way, so the delay below is all Graph's
    const seen: AbortSignal[] = [];
    // Graph answers 300 ms late; the callers below come and go in the meantime.
    const slowFetch: typeof fetch = async (url, init) => {
      if (init?.signal) seen.push(init.signal);
      await new Promise((resolve) => setTimeout(resolve, 300));
      init?.signal?.throwIfAborted();
      return fetch(url, init);
    };
    const resolver = createGraphGroupResolver({ graphURL: graph.url, accessToken: token, fetch: slowFetch });
    const overage = { objectId: MANY_OID, principalType: 'user' as const, tenantId: TENANT };
    const before = graph.calls();

    const leaving = new AbortController();
    const first = resolver.resolveGroups(overage, leaving.signal);
    const second = resolver.resolveGroups(overage, new AbortController().signal);
    setTimeout(() => leaving.abort(new Error('client went away')), 50);
    expect(await first.then(() => 'resolved', (error: Error) => error.message)).to.equal('client went away');
    expect(await second).to.have.members(['g-1', 'g-2', 'g-3']);
    expect(graph.calls() - before, 'one Graph call served both callers').to.equal(1);

    const otherResolver = createGraphGroupResolver({ graphURL: graph.url, accessToken: token, fetch: slowFetch });
    const a = new AbortController();
    const b = new AbortController();
    const both = [otherResolver.resolveGroups(overage, a.signal), otherResolver.resolveGroups(overage, b.signal)];
    await new Promise((resolve) => setTimeout(resolve, 50));
    a.abort(new Error('a left'));
    b.abort(new Error('b left'));
    await Promise.allSettled(both);
    expect(seen.at(-1)?.aborted, 'the lookup is cancelled once nobody waits').to.equal(true);
    // A caller arriving afterwards starts a fresh lookup instead of joining the cancelled one.
    expect(await otherResolver.resolveGroups(overage, new AbortController().signal)).to.have.members(['g-1', 'g-2', 'g-3']);
  });

  it('a caller that left before asking starts no lookup (nobody would be there to cancel it)', async () => {
    let fetches = 0;
    const countingFetch: typeof fetch = (url, init) => (fetches++, fetch(url, init));
    const resolver = createGraphGroupResolver({ graphURL: graph.url, accessToken: appToken(), fetch: countingFetch });
    const gone = new AbortController();
    gone.abort(new Error('client went away'));
    const overage = { objectId: MANY_OID, principalType: 'user' as const };
    expect(await resolver.resolveGroups(overage, gone.signal).then(() => 'resolved', (error: Error) => error.message)).to.equal('client went away');
    await new Promise((resolve) => setTimeout(resolve, 100)); // time for a stray lookup to reach fetch
    expect(fetches).to.equal(0);
    expect(await resolver.resolveGroups(overage, new AbortController().signal)).to.have.members(['g-1', 'g-2', 'g-3']);
    expect(fetches).to.equal(1);
  });

  it('asks Graph again after the TTL', async () => {
    let now = 1_000_000;
    const resolver = createGraphGroupResolver({ graphURL: graph.url, accessToken: appToken(), fetch, cacheTtlMs: 1000, now: () => now });
    const before = graph.calls();
    await resolver.resolveGroups({ objectId: MANY_OID, principalType: 'user' });
    now += 500;
    await resolver.resolveGroups({ objectId: MANY_OID, principalType: 'user' });
    now += 1000;
    await resolver.resolveGroups({ objectId: MANY_OID, principalType: 'user' });
    expect(graph.calls() - before).to.equal(2);
  });

  it('fails (and caches nothing) when Graph refuses the token or does not know the principal', async () => {
    const forged = createGraphGroupResolver({ graphURL: graph.url, accessToken: () => provider.token('kube-aad-proxy'), fetch });
    // A token for the proxy's own API audience, not Graph's: the stand-in answers 401 as Graph would.
    const error = await forged.resolveGroups({ objectId: MANY_OID, principalType: 'user' }).catch((e: unknown) => e);
    expect(String(error)).to.contain('HTTP 401 (InvalidAuthenticationToken)');
    expect(forged.cacheSize()).to.equal(0);

    const resolver = createGraphGroupResolver({ graphURL: graph.url, accessToken: appToken(), fetch });
    const unknown = await resolver.resolveGroups({ objectId: 'abcdef00-0000-4000-8000-000000000000', principalType: 'user' }).catch((e: unknown) => e);
    expect(String(unknown)).to.contain('HTTP 404');
  });

  it('reports a wrong client secret from msal without leaking it', async () => {
    const error = await appToken('wrong-secret')().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(Error);
    expect(String(error)).to.match(/invalid_client/);
    expect(String(error)).not.to.contain('wrong-secret');
  });

  it('refuses an object id that is not one before calling Graph', async () => {
    const resolver = createGraphGroupResolver({ graphURL: graph.url, accessToken: appToken(), fetch });
    const error = await resolver.resolveGroups({ objectId: '../../me', principalType: 'user' }).catch((e: unknown) => e);
    expect(String(error)).to.contain('not a Graph object id');
  });
});
