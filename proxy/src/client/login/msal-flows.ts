// Sign-in and silent acquisition with @azure/msal-node: device code for users (Entra's flow, Microsoft's client),
// client credentials for service principals and federated workload identities.
import { InteractionRequiredAuthError } from '@azure/msal-node';
import type { AuthenticationResult } from '@azure/msal-node';
import type { AccessToken, DeviceCodePrompt } from './access-token.js';
import { LoginRequiredError } from './errors.js';
import { loginCommand } from './login-target.js';
import type { LoginTarget } from './login-target.js';
import { confidentialClient, MsalCacheHolder, publicClient } from './msal-client.js';
import type { LoginMethod, StoredSession } from './token-cache.js';

/** msal names the API by scope; an audience alone becomes Entra's `<audience>/.default`. */
export function msalScopes(target: LoginTarget): string[] {
  if (target.scopes.length > 0) return target.scopes;
  if (target.audience) return [`${target.audience.replace(/\/+$/, '')}/.default`];
  throw new Error('pass --scope (e.g. api://kube-aad-proxy/.default) or --audience: which API the token is for');
}

function toAccessToken(result: AuthenticationResult | null, authority: string): AccessToken {
  if (!result?.accessToken) throw new Error(`${authority} returned no access token`);
  // msal always sets expiresOn for access tokens; an hour is Entra's default if one ever lacks it.
  return { token: result.accessToken, expiresOn: result.expiresOn ?? new Date(Date.now() + 3_600_000) };
}

export type SessionUpdate = Pick<StoredSession, 'account' | 'homeAccountId' | 'msalCache' | 'authorityMetadata'>;

export async function msalDeviceCodeLogin(target: LoginTarget, prompt: DeviceCodePrompt): Promise<{ token: AccessToken; session: SessionUpdate }> {
  const cache = new MsalCacheHolder(undefined);
  const { app, authorityMetadata } = await publicClient(target, cache);
  const request = {
    scopes: msalScopes(target),
    deviceCodeCallback: (response: { verificationUri: string; userCode: string; expiresIn: number }) =>
      prompt({ verificationUri: response.verificationUri, userCode: response.userCode, expiresInSeconds: response.expiresIn }),
  };
  const result = await app.acquireTokenByDeviceCode(request);
  const token = toAccessToken(result, target.authority);
  const account = result?.account;
  return {
    token,
    session: {
      ...(account ? { homeAccountId: account.homeAccountId, account: account.username || (account.idTokenClaims?.sub ?? account.localAccountId) } : {}),
      ...(cache.serialized ? { msalCache: cache.serialized } : {}),
      ...(authorityMetadata ? { authorityMetadata } : {}),
    },
  };
}

/** A user's token from msal's cache, refreshed with its refresh token when needed; never interactive. */
export async function msalSilentUserToken(session: StoredSession, target: LoginTarget): Promise<{ token: AccessToken; msalCache?: string }> {
  const cache = new MsalCacheHolder(session.msalCache);
  const { app } = await publicClient(target, cache, session.authorityMetadata);
  const account = session.homeAccountId ? await app.getTokenCache().getAccountByHomeId(session.homeAccountId) : null;
  if (!account) throw new LoginRequiredError(target.authority, loginCommand(target), 'no signed-in account in the token cache');
  try {
    const token = toAccessToken(await app.acquireTokenSilent({ account, scopes: msalScopes(target) }), target.authority);
    return { token, ...(cache.serialized !== session.msalCache && cache.serialized ? { msalCache: cache.serialized } : {}) };
  } catch (error) {
    if (error instanceof InteractionRequiredAuthError) throw new LoginRequiredError(target.authority, loginCommand(target), `sign-in expired: ${error.errorCode}`);
    throw error;
  }
}

/** An app-only token (service principal or federated identity); msal reuses its cached token until near expiry. */
export async function msalAppToken(target: LoginTarget, method: Exclude<LoginMethod, { kind: 'device-code' }>, session?: StoredSession): Promise<{ token: AccessToken; session: SessionUpdate }> {
  const cache = new MsalCacheHolder(session?.msalCache);
  const { app, authorityMetadata } = await confidentialClient(target, method, cache, session?.authorityMetadata);
  const token = toAccessToken(await app.acquireTokenByClientCredential({ scopes: msalScopes(target) }), target.authority);
  return {
    token,
    session: {
      account: target.clientId,
      ...(cache.serialized ? { msalCache: cache.serialized } : {}),
      ...(authorityMetadata ? { authorityMetadata } : {}),
    },
  };
}
