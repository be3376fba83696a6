// `clusterconnect login`: signs in once and stores the session for get-token. The interactive part runs without
// holding the cache lock (a device-code sign-in can take minutes; other sessions' get-token must not wait).
import type { AccessToken, DeviceCodePrompt } from './access-token.js';
import { targetKey } from './login-target.js';
import type { LoginTarget } from './login-target.js';
import type { LoginMethod, StoredSession, TokenCacheFile } from './token-cache.js';

export interface LoginOptions {
  target: LoginTarget;
  method: LoginMethod;
  cache: TokenCacheFile;
  /** Shows the verification URL and code (device code only). */
  onDeviceCode?: DeviceCodePrompt;
}

export interface LoginResult {
  authority: string;
  clientId: string;
  method: LoginMethod['kind'];
  /** Who signed in (username, subject or client id). */
  account?: string;
  expiresOn: Date;
  cacheFile: string;
}

async function signIn(options: LoginOptions): Promise<{ token: AccessToken; session: Omit<StoredSession, 'key' | 'target' | 'method' | 'loggedInAt'> }> {
  const { target, method } = options;
  // Only the client library of the flow in use is loaded (msal-node or openid-client).
  if (method.kind !== 'device-code') {
    const { msalAppToken } = await import('./msal-flows.js');
    return msalAppToken(target, method);
  }
  const prompt = options.onDeviceCode ?? (() => undefined);
  if (target.kind === 'entra') {
    const { msalDeviceCodeLogin } = await import('./msal-flows.js');
    return msalDeviceCodeLogin(target, prompt);
  }
  const { oidcDeviceCodeLogin } = await import('./oidc-flows.js');
  const result = await oidcDeviceCodeLogin(target, prompt);
  return { token: result.token, session: { oidcTokens: result.tokens, ...(result.account ? { account: result.account } : {}) } };
}

export async function login(options: LoginOptions): Promise<LoginResult> {
  const { token, session } = await signIn(options);
  const key = targetKey(options.target);
  const stored: StoredSession = { key, target: options.target, method: options.method, ...session, loggedInAt: new Date().toISOString() };
  await options.cache.update((content) =>
    Promise.resolve({ content: { ...content, current: key, sessions: [...content.sessions.filter((s) => s.key !== key), stored] }, result: undefined }),
  );
  return {
    authority: options.target.authority,
    clientId: options.target.clientId,
    method: options.method.kind,
    ...(stored.account ? { account: stored.account } : {}),
    expiresOn: token.expiresOn,
    cacheFile: options.cache.path,
  };
}
