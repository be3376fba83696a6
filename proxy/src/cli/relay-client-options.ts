// The flags that say which relay a client command talks to and with what credential, shared by `proxy` and
// `clusters`: a relay-minted client token (file, inline or $CLUSTERCONNECT_RELAY_TOKEN), or else an OIDC access
// token for the relay's audience from `clusterconnect login`'s cache.
import type { Command } from 'commander';
import { readCaBundleFlag } from '../common/ca-bundle.js';
import { parseRelayUrl } from '../common/relay-url.js';
import { fileRelayCredential, inlineRelayCredential, oidcRelayCredential } from '../client/relay-credential.js';
import type { RelayCredential } from '../client/relay-credential.js';
import { tokenCachePath } from '../client/login/config-dir.js';
import { resolveLoginTarget } from '../client/login/login-target.js';
import type { LoginTargetFlags } from '../client/login/login-target.js';
import { TokenCacheFile } from '../client/login/token-cache.js';
import { collect } from './flag-helpers.js';

export const RELAY_TOKEN_ENV = 'CLUSTERCONNECT_RELAY_TOKEN';
export const RELAY_URL_ENV = 'CLUSTERCONNECT_RELAY';

export interface RelayClientFlags {
  relay?: string;
  relayTokenFile?: string;
  relayToken?: string;
  relayCaFile?: string;
  relayScope?: string[];
  relayAudience?: string;
  insecure?: boolean;
}

export interface RelayClient {
  relayUrl: URL;
  relayCaPem?: string;
  credential: RelayCredential;
}

export function addRelayClientOptions(command: Command): Command {
  return command
    .option('--relay <url>', `the relay, wss://host[:port] (default $${RELAY_URL_ENV})`)
    .option('--relay-token-file <file>', 'relay client token file (re-read before each renewal and reconnect)')
    .option('--relay-token <token>', `relay client token (visible in the process list; prefer --relay-token-file or $${RELAY_TOKEN_ENV})`)
    .option('--relay-ca-file <file>', "CA bundle for the relay's own certificate")
    .option('--relay-scope <scope>', "without a relay token: scope of the OIDC token for the relay's audience (repeatable; login target flags give the issuer)", collect)
    .option('--relay-audience <aud>', "without a relay token: the relay's OIDC audience (RFC 8707 resource)")
    .option('--insecure', 'allow a plain ws:// relay (loopback tests only)');
}

/** The login target of the relay's token: the cluster's issuer and client, the relay's scopes/audience. */
function relayTargetFlags(target: LoginTargetFlags, flags: RelayClientFlags): LoginTargetFlags {
  const issuer: LoginTargetFlags = { ...target };
  delete issuer.scope;
  delete issuer.audience;
  return { ...issuer, ...(flags.relayScope ? { scope: flags.relayScope } : {}), ...(flags.relayAudience ? { audience: flags.relayAudience } : {}) };
}

/** Checks the flags (throws one-line usage messages) and picks the credential. */
export function relayClientFromFlags(flags: RelayClientFlags, target: LoginTargetFlags, env: NodeJS.ProcessEnv = process.env): RelayClient {
  const relay = flags.relay ?? env[RELAY_URL_ENV];
  if (!relay) throw new Error(`--relay is required (or set ${RELAY_URL_ENV}), e.g. --relay wss://relay.example.com`);
  const relayUrl = parseRelayUrl(relay, flags.insecure === true, '--relay');
  if (flags.relayTokenFile && flags.relayToken) throw new Error('pass --relay-token-file or --relay-token, not both');
  const relayCaPem = flags.relayCaFile ? readCaBundleFlag(flags.relayCaFile, '--relay-ca-file') : undefined;
  const inline = flags.relayToken ?? env[RELAY_TOKEN_ENV];
  const oidcFlags = flags.relayScope !== undefined || flags.relayAudience !== undefined;
  let credential: RelayCredential;
  if (flags.relayTokenFile || inline) {
    if (oidcFlags) throw new Error('--relay-scope/--relay-audience are for an OIDC relay credential; drop them when passing a relay client token');
    credential = flags.relayTokenFile ? fileRelayCredential(flags.relayTokenFile) : inlineRelayCredential(inline ?? '', flags.relayToken ? '--relay-token' : `$${RELAY_TOKEN_ENV}`);
  } else {
    // Never "the most recent login": that may be the cluster's token, and the relay must never hold one the
    // cluster accepts. The relay's token comes from the same issuer and client, for the relay's own audience.
    if (!oidcFlags) {
      throw new Error(`a relay credential is required: pass --relay-token-file FILE (or set ${RELAY_TOKEN_ENV}), or --relay-audience/--relay-scope to use your OIDC login for the relay's audience`);
    }
    credential = oidcRelayCredential(new TokenCacheFile(tokenCachePath()), resolveLoginTarget(relayTargetFlags(target, flags)));
  }
  return { relayUrl, ...(relayCaPem ? { relayCaPem } : {}), credential };
}
