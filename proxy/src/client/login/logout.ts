// `clusterconnect logout`: forgets sessions locally (tokens are not revoked at the issuer; they lapse on their own).
import { TokenCacheUnreadableError } from './errors.js';
import { targetKey } from './login-target.js';
import type { LoginTarget } from './login-target.js';
import type { TokenCacheFile } from './token-cache.js';

export interface LogoutResult {
  /** Sessions removed; `all` when the whole cache file went (no target, or a cache that could not be read). */
  removed: number | 'all';
  cacheFile: string;
}

export async function logout(cache: TokenCacheFile, target?: LoginTarget): Promise<LogoutResult> {
  if (!target) {
    await cache.remove();
    return { removed: 'all', cacheFile: cache.path };
  }
  const key = targetKey(target);
  try {
    const removed = await cache.update((content) => {
      const kept = content.sessions.filter((s) => s.key !== key);
      if (kept.length === content.sessions.length) return Promise.resolve({ result: 0 });
      const { current, ...rest } = content;
      return Promise.resolve({ content: { ...rest, ...(current !== key && current !== undefined ? { current } : {}), sessions: kept }, result: content.sessions.length - kept.length });
    });
    return { removed, cacheFile: cache.path };
  } catch (error) {
    // An unreadable cache holds nothing usable: logout is the documented way out of it, so it resets the file.
    if (!(error instanceof TokenCacheUnreadableError)) throw error;
    await cache.remove();
    return { removed: 'all', cacheFile: cache.path };
  }
}
