// Silent acquisition for get-token (and the client proxy): the cached token while it is fresh, else a refresh —
// never an interactive prompt. Runs under the cache lock so concurrent kubectl calls share one refresh.
import { isDeepStrictEqual } from 'node:util';
import type { AccessToken } from './access-token.js';
import { LoginRequiredError } from './errors.js';
import { loginCommand, targetKey } from './login-target.js';
import type { LoginTarget } from './login-target.js';
import type { StoredSession, TokenCacheFile } from './token-cache.js';

export interface AcquireTokenOptions {
  cache: TokenCacheFile;
  /** Which session; without it, the most recent login. */
  target?: LoginTarget;
}

// Each flow's client library (msal-node or openid-client) is loaded only when a session uses it: kubectl runs
// get-token on every command, and loading both costs more than the cached-token path itself.
async function silent(session: StoredSession, target: LoginTarget): Promise<{ token: AccessToken; update?: Partial<StoredSession> }> {
  const { method } = session;
  if (method.kind !== 'device-code') {
    const { msalAppToken } = await import('./msal-flows.js');
    const { token, session: update } = await msalAppToken(target, method, session);
    return { token, update };
  }
  if (target.kind === 'entra') {
    const { msalSilentUserToken } = await import('./msal-flows.js');
    const { token, msalCache } = await msalSilentUserToken(session, target);
    return { token, ...(msalCache ? { update: { msalCache } } : {}) };
  }
  const { oidcSilentToken } = await import('./oidc-flows.js');
  const { token, tokens } = await oidcSilentToken(session, target);
  return { token, ...(tokens ? { update: { oidcTokens: tokens } } : {}) };
}

export async function acquireToken(options: AcquireTokenOptions): Promise<AccessToken> {
  return options.cache.update(async (content) => {
    const key = options.target ? targetKey(options.target) : content.current;
    const session = content.sessions.find((s) => s.key === key);
    if (!session) {
      if (options.target) throw new LoginRequiredError(options.target.authority, loginCommand(options.target));
      throw new LoginRequiredError('any issuer', 'clusterconnect login');
    }
    // The CA file is how the authority is reached today, so the caller's wins over the one stored at login.
    const target: LoginTarget = { ...session.target, ...(options.target?.caFile ? { caFile: options.target.caFile } : {}) };
    const { token, update } = await silent(session, target);
    const updated: StoredSession = { ...session, ...update };
    // App-only sign-ins hand back their (unchanged) msal cache every time: write only what really changed, since
    // kubectl runs get-token on every command.
    if (!update || isDeepStrictEqual(updated, session)) return { result: token };
    return { content: { ...content, sessions: content.sessions.map((s) => (s.key === session.key ? updated : s)) }, result: token };
  });
}
