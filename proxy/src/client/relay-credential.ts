// What the client proxy presents to the relay: a relay-minted client token (inline, from the environment, or a
// file re-read on every use so a rotated token is picked up), or an OIDC access token for the relay's audience
// from the login cache (refreshed silently by acquireToken). Where a token says when it expires, the session is
// re-dialed with a fresh one before then; opaque tokens are simply re-read on every dial.
import { acquireToken } from './login/acquire-token.js';
import type { LoginTarget } from './login/login-target.js';
import type { TokenCacheFile } from './login/token-cache.js';
import { readSecretFlagFileAsync } from '../common/flag-file.js';
import { unverifiedClaims } from '../common/unverified-jwt.js';

export interface RelayToken {
  token: string;
  /** Unknown for an opaque token: then it is never renewed on a schedule. */
  expiresOn?: Date;
}

export interface RelayCredential {
  /** For messages ("--relay-token-file x", "OIDC login for …"); never the token. */
  describe: string;
  current(): Promise<RelayToken>;
}

/** The `exp` of a JWT, read without verifying it: only to schedule renewal, never to trust anything. */
export function jwtExpiry(token: string): Date | undefined {
  const exp = unverifiedClaims(token)?.exp;
  return typeof exp === 'number' ? new Date(exp * 1000) : undefined;
}

function withExpiry(token: string): RelayToken {
  const expiresOn = jwtExpiry(token);
  return { token, ...(expiresOn ? { expiresOn } : {}) };
}

export function inlineRelayCredential(token: string, source: string): RelayCredential {
  const value = withExpiry(token.trim());
  return { describe: source, current: () => Promise.resolve(value) };
}

export function fileRelayCredential(file: string): RelayCredential {
  return {
    describe: `--relay-token-file ${file}`,
    async current() {
      return withExpiry(await readSecretFlagFileAsync(file, '--relay-token-file', 'the relay client token'));
    },
  };
}

/** An OIDC access token for the relay's audience from `clusterconnect login`'s cache (that target's session). */
export function oidcRelayCredential(cache: TokenCacheFile, target: LoginTarget): RelayCredential {
  return {
    describe: `OIDC login for ${target.authority} (${[...target.scopes, target.audience ?? ''].filter(Boolean).join(' ')})`,
    async current() {
      const { token, expiresOn } = await acquireToken({ cache, target });
      return { token, expiresOn };
    },
  };
}
