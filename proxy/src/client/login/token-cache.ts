// The persisted token cache: one JSON file, versioned, mode 0600 in a 0700 directory, replaced atomically under a
// lock. Content this version cannot read (corrupt, truncated, another format version) is one clear error telling
// the user to run `clusterconnect logout` — never a crash, never silently discarded (the az pain: two cache format
// changes broke every user).
import { chmod, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { withFileLock, writeFileAtomic } from '../atomic-file.js';
import { TokenCacheUnreadableError } from './errors.js';
import type { LoginTarget } from './login-target.js';

export const TOKEN_CACHE_VERSION = 1;

/** How the session was signed in; the credential files are re-read on every acquisition (rotation, federation). */
export type LoginMethod =
  | { kind: 'device-code' }
  | { kind: 'client-secret'; secretFile: string }
  | { kind: 'certificate'; certificateFile: string }
  | { kind: 'federated-token'; tokenFile: string };

export interface StoredSession {
  key: string;
  target: LoginTarget;
  method: LoginMethod;
  /** Who signed in (a username or subject), for messages; never a secret. */
  account?: string;
  /** msal's account id, to find the account in its cache on silent acquisition. */
  homeAccountId?: string;
  /** msal's own serialized cache (its format is msal's concern; ours is the envelope). */
  msalCache?: string;
  /** The issuer's discovery document, kept so msal need not fetch it on every get-token. */
  authorityMetadata?: string;
  /** openid-client sessions keep their tokens here. */
  oidcTokens?: { accessToken: string; refreshToken?: string; expiresAt: number; obtainedAt?: number };
  loggedInAt: string;
}

export interface TokenCacheContent {
  version: typeof TOKEN_CACHE_VERSION;
  /** Key of the most recent login: `get-token` without flags uses it. */
  current?: string;
  sessions: StoredSession[];
}

export function emptyCache(): TokenCacheContent {
  return { version: TOKEN_CACHE_VERSION, sessions: [] };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function validSession(value: unknown): boolean {
  if (!isObject(value) || typeof value.key !== 'string' || !isObject(value.target) || !isObject(value.method)) return false;
  const target = value.target;
  return typeof target.authority === 'string' && typeof target.clientId === 'string' && Array.isArray(target.scopes) && typeof value.method.kind === 'string';
}

/** Parses the file's text; throws TokenCacheUnreadableError naming the file for anything it cannot use. */
export function parseTokenCache(text: string, path: string): TokenCacheContent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TokenCacheUnreadableError(path, 'not valid JSON');
  }
  if (!isObject(parsed)) throw new TokenCacheUnreadableError(path, 'not a JSON object');
  if (parsed.version !== TOKEN_CACHE_VERSION) {
    throw new TokenCacheUnreadableError(path, `format version ${JSON.stringify(parsed.version ?? null)}, this clusterconnect reads version ${TOKEN_CACHE_VERSION}`);
  }
  if (!Array.isArray(parsed.sessions) || !parsed.sessions.every(validSession)) throw new TokenCacheUnreadableError(path, 'sessions are malformed');
  if (parsed.current !== undefined && typeof parsed.current !== 'string') throw new TokenCacheUnreadableError(path, 'current is malformed');
  return parsed as unknown as TokenCacheContent;
}

export class TokenCacheFile {
  constructor(readonly path: string) {}

  /** The content, or an empty cache when there is no file yet. */
  async read(): Promise<TokenCacheContent> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyCache();
      throw new TokenCacheUnreadableError(this.path, (error as NodeJS.ErrnoException).code ?? 'read failed');
    }
    return parseTokenCache(text, this.path);
  }

  /**
   * Read-modify-write under the lock. `change` may do network work (a refresh): holding the lock then keeps two
   * kubectl-spawned get-token processes from both spending a rotating refresh token, which would sign the user out.
   * Returning `undefined` leaves the file as it is.
   */
  async update<T>(change: (content: TokenCacheContent) => Promise<{ content?: TokenCacheContent; result: T }>): Promise<T> {
    await this.ensureDir();
    return withFileLock(this.path, async () => {
      const { content, result } = await change(await this.read());
      if (content) await writeFileAtomic(this.path, `${JSON.stringify(content, null, 2)}\n`, 0o600);
      return result;
    }, { timeoutMs: 60_000, staleMs: 120_000 });
  }

  /** Deletes the whole file (logout --all, or a cache that cannot be read). */
  async remove(): Promise<boolean> {
    await this.ensureDir();
    return withFileLock(this.path, async () => {
      const existed = await readFile(this.path).then(() => true, () => false);
      await rm(this.path, { force: true });
      return existed;
    });
  }

  /** withFileLock creates a missing directory with mode 0700; one that existed with looser permissions is
   *  tightened here, since it holds refresh tokens. */
  private async ensureDir(): Promise<void> {
    await chmod(dirname(this.path), 0o700).catch(() => undefined);
  }
}
