// Group overage: the token said "too many groups to list", so the proxy asks Microsoft Graph itself, with its own
// app token: POST {graph}/v1.0/{users|servicePrincipals}/{id}/getMemberObjects {"securityEnabledOnly": true}
// (transitive security-group ids; documented as one unpaged String collection). Results are cached per
// principal for a TTL; failures are not cached, so a Graph outage heals as soon as Graph does.
import type { FetchLike } from './https-fetch.js';
import type { GroupOverage, GroupResolver } from './identity.js';

export interface GraphGroupResolverOptions {
  /** e.g. https://graph.microsoft.com (or a national cloud's Graph). */
  graphURL: string;
  /** An app-only access token for Graph (see createGraphAppToken). */
  accessToken: (signal?: AbortSignal) => Promise<string>;
  fetch: FetchLike;
  cacheTtlMs?: number;
  maxCacheEntries?: number;
  timeoutMs?: number;
  now?: () => number;
  /** Called once per Graph look-up (cache misses), for the metric. */
  onLookup?: (result: 'ok' | 'error') => void;
}

const OBJECT_ID = /^[0-9a-fA-F-]{1,64}$/;
const MAX_PAGES = 20;

export interface GraphGroupResolver extends GroupResolver {
  /** Entries cached now (tests, metrics). */
  cacheSize(): number;
}

export function createGraphGroupResolver(options: GraphGroupResolverOptions): GraphGroupResolver {
  const base = new URL(options.graphURL.replace(/\/+$/, '') + '/');
  if (base.protocol !== 'https:') throw new Error(`Graph URL must be https, got ${options.graphURL}`);
  const ttl = options.cacheTtlMs ?? 5 * 60_000;
  const maxEntries = options.maxCacheEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { groups: string[]; expiresAt: number }>();
  const inFlight = new Map<string, SharedLookup>();

  const lookUp = async (overage: GroupOverage, signal?: AbortSignal): Promise<string[]> => {
    // The object id comes from a verified token, but it still becomes a URL path segment.
    if (!OBJECT_ID.test(overage.objectId)) throw new Error('the token\'s object id is not a Graph object id');
    const collection = overage.principalType === 'servicePrincipal' ? 'servicePrincipals' : 'users';
    let url: URL | undefined = new URL(`v1.0/${collection}/${overage.objectId}/getMemberObjects`, base);
    const token = await options.accessToken(signal);
    const groups: string[] = [];
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
      const response = await options.fetch(url.href, {
        method: page === 0 ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
        ...(page === 0 ? { body: JSON.stringify({ securityEnabledOnly: true }) } : {}),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        redirect: 'manual',
      });
      if (response.status !== 200) {
        const detail = await response.text().catch(() => '');
        const code = /"code"\s*:\s*"([A-Za-z_.]{1,80})"/.exec(detail)?.[1];
        throw new Error(`Microsoft Graph getMemberObjects answered HTTP ${response.status}${code ? ` (${code})` : ''}`);
      }
      const body = (await response.json()) as { value?: unknown; '@odata.nextLink'?: unknown };
      if (!Array.isArray(body.value) || !body.value.every((v) => typeof v === 'string')) throw new Error('Microsoft Graph getMemberObjects answered without a "value" list of ids');
      groups.push(...body.value);
      // Not documented for this action, but followed if Graph ever pages it — only on Graph's own origin,
      // since the app token goes with it.
      const next = body['@odata.nextLink'];
      url = typeof next === 'string' && new URL(next).origin === base.origin ? new URL(next) : undefined;
    }
    return [...new Set(groups)];
  };

  return {
    cacheSize: () => cache.size,
    async resolveGroups(overage, signal) {
      const key = `${overage.tenantId ?? ''}/${overage.principalType}/${overage.objectId}`;
      const hit = cache.get(key);
      if (hit && hit.expiresAt > now()) return hit.groups;
      // A caller already gone neither starts a lookup nobody would cancel nor joins one.
      if (signal?.aborted) throw signal.reason as Error;
      let shared = inFlight.get(key);
      if (!shared) {
        // The lookup has its own signal: it serves every caller asking for this principal meanwhile, so the first
        // caller leaving must not fail the others. It is cancelled only when all of them have left.
        const controller = new AbortController();
        const promise = lookUp(overage, controller.signal).then(
          (groups) => {
            options.onLookup?.('ok');
            if (cache.size >= maxEntries) {
              const oldest = cache.keys().next().value;
              if (oldest !== undefined) cache.delete(oldest);
            }
            cache.delete(key);
            cache.set(key, { groups, expiresAt: now() + ttl });
            return groups;
          },
          (error: unknown) => {
            options.onLookup?.('error');
            throw error;
          },
        );
        const entry: SharedLookup = { promise, controller, waiters: 0 };
        promise.finally(() => forget(key, entry)).catch(() => undefined);
        inFlight.set(key, entry);
        shared = entry;
      }
      return waitFor(key, shared, signal);
    },
  };

  function forget(key: string, entry: SharedLookup): void {
    if (inFlight.get(key) === entry) inFlight.delete(key);
  }

  /** Joins a shared lookup; a caller whose signal aborts leaves at once, and the last one to leave cancels it. */
  function waitFor(key: string, shared: SharedLookup, signal: AbortSignal | undefined): Promise<string[]> {
    if (!signal) {
      shared.waiters = Infinity; // a caller that cannot leave keeps the lookup alive
      return shared.promise;
    }
    shared.waiters++;
    return new Promise((resolve, reject) => {
      const leave = () => {
        shared.waiters--;
        if (shared.waiters === 0) {
          forget(key, shared); // a caller arriving now starts afresh rather than join a cancelled lookup
          shared.controller.abort(signal.reason);
        }
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', leave, { once: true });
      shared.promise.finally(() => signal.removeEventListener('abort', leave)).then(resolve, reject);
    });
  }
}

interface SharedLookup {
  promise: Promise<string[]>;
  controller: AbortController;
  /** Callers still waiting (Infinity once one without a signal joined). */
  waiters: number;
}
