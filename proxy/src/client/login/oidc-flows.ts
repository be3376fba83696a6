// Device code and refresh with openid-client: the standards client (RFC 8628, RFC 6749 refresh, RFC 8707 resource
// indicators) for issuers that are not Entra — msal's device-code flow speaks Entra's dialect only.
import type { Configuration, TokenEndpointResponse } from 'openid-client';
import type { AccessToken, DeviceCodePrompt } from './access-token.js';
import { authorityHttp, openIdCustomFetch } from './authority-http.js';
import { LoginRequiredError } from './errors.js';
import { loginCommand } from './login-target.js';
import type { LoginTarget } from './login-target.js';
import type { StoredSession } from './token-cache.js';

type OidcTokens = NonNullable<StoredSession['oidcTokens']>;

/** openid-client is loaded only to talk to the issuer: get-token with a fresh cached token never needs it. */
const openIdClient = () => import('openid-client');

async function discover(target: LoginTarget): Promise<Configuration> {
  const http = await authorityHttp(target);
  const client = await openIdClient();
  try {
    return await client.discovery(new URL(target.authority), target.clientId, { token_endpoint_auth_method: 'none' }, client.None(), {
      [client.customFetch]: openIdCustomFetch(http.fetch),
      timeout: 15,
    });
  } catch (error) {
    throw new Error(`cannot use ${target.authority} as an OpenID issuer: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

const resourceParams = (target: LoginTarget): Record<string, string> => (target.audience ? { resource: target.audience } : {});

function tokensFrom(response: TokenEndpointResponse, previousRefreshToken?: string): OidcTokens {
  const now = Date.now();
  // Without expires_in the lifetime is unknown; a short assumed one means an early refresh, never a stale token.
  const lifetimeMs = (response.expires_in ?? 300) * 1000;
  const refreshToken = response.refresh_token ?? previousRefreshToken;
  return { accessToken: response.access_token, ...(refreshToken ? { refreshToken } : {}), expiresAt: now + lifetimeMs, obtainedAt: now };
}

export async function oidcDeviceCodeLogin(target: LoginTarget, prompt: DeviceCodePrompt): Promise<{ token: AccessToken; tokens: OidcTokens; account?: string }> {
  const config = await discover(target);
  const client = await openIdClient();
  if (!config.serverMetadata().device_authorization_endpoint) throw new Error(`${target.authority} does not offer the device authorization grant`);
  const scope = ['openid', 'offline_access', ...target.scopes].join(' ');
  const started = await client.initiateDeviceAuthorization(config, { scope, ...resourceParams(target) });
  prompt({
    verificationUri: started.verification_uri,
    userCode: started.user_code,
    ...(started.verification_uri_complete ? { verificationUriComplete: started.verification_uri_complete } : {}),
    expiresInSeconds: started.expires_in,
  });
  const response = await client.pollDeviceAuthorizationGrant(config, started, resourceParams(target));
  const tokens = tokensFrom(response);
  const subject = response.claims()?.sub;
  return { token: { token: tokens.accessToken, expiresOn: new Date(tokens.expiresAt) }, tokens, ...(subject ? { account: subject } : {}) };
}

/** Refresh when a tenth of the lifetime (at most a minute) remains, so kubectl never receives a token about to lapse. */
export function needsRefresh(tokens: OidcTokens, now = Date.now()): boolean {
  const margin = Math.min(60_000, Math.max(0, tokens.expiresAt - (tokens.obtainedAt ?? tokens.expiresAt)) / 10);
  return tokens.expiresAt - now <= margin;
}

export async function oidcSilentToken(session: StoredSession, target: LoginTarget): Promise<{ token: AccessToken; tokens?: OidcTokens }> {
  const current = session.oidcTokens;
  if (current && !needsRefresh(current)) return { token: { token: current.accessToken, expiresOn: new Date(current.expiresAt) } };
  if (!current?.refreshToken) throw new LoginRequiredError(target.authority, loginCommand(target), 'the sign-in has expired');
  const config = await discover(target);
  const client = await openIdClient();
  let response: TokenEndpointResponse;
  try {
    response = await client.refreshTokenGrant(config, current.refreshToken, resourceParams(target));
  } catch (error) {
    // The issuer refusing the refresh token (expired, revoked, rotated away) means a new sign-in; anything else
    // (network, 5xx) is reported as it is, since signing in again would not help.
    if (error instanceof client.ResponseBodyError && error.error === 'invalid_grant') {
      throw new LoginRequiredError(target.authority, loginCommand(target), 'the sign-in has expired');
    }
    throw error;
  }
  const tokens = tokensFrom(response, current.refreshToken);
  return { token: { token: tokens.accessToken, expiresOn: new Date(tokens.expiresAt) }, tokens };
}
