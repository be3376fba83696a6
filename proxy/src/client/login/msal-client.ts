// @azure/msal-node applications for a login target. msal keeps its own cache format; we hold its serialized form
// inside our versioned envelope (a cache plugin bridges the two), so an msal upgrade that changes its format
// breaks at most a re-login, never our file.
import { ConfidentialClientApplication, LogLevel, PublicClientApplication } from '@azure/msal-node';
import type { Configuration, ICachePlugin } from '@azure/msal-node';
import { msalClientCertificate } from '../../common/client-certificate.js';
import { readFlagFileAsync, readSecretFlagFileAsync } from '../../common/flag-file.js';
import { useMsalAuthority } from '../../common/msal-authority.js';
import { authorityHttp } from './authority-http.js';
import type { LoginTarget } from './login-target.js';
import type { LoginMethod } from './token-cache.js';

/** msal's serialized cache for one session, read before and captured after each msal operation. */
export class MsalCacheHolder {
  constructor(public serialized: string | undefined) {}

  plugin(): ICachePlugin {
    return {
      beforeCacheAccess: (context) => {
        if (this.serialized) context.tokenCache.deserialize(this.serialized);
        return Promise.resolve();
      },
      afterCacheAccess: (context) => {
        if (context.cacheHasChanged) this.serialized = context.tokenCache.serialize();
        return Promise.resolve();
      },
    };
  }
}

export interface MsalSetup {
  configuration: Configuration;
  /** The discovery document used (non-Entra hosts), for the session to keep. */
  authorityMetadata?: string;
}

/**
 * Entra authorities are used as-is. Any other host (sovereign setups, an Entra stand-in) gets msal's OIDC protocol
 * mode with the discovery document handed over: msal would otherwise look for Entra's instance-discovery endpoints.
 */
export async function msalConfiguration(target: LoginTarget, cache: MsalCacheHolder, knownMetadata?: string): Promise<MsalSetup> {
  const http = await authorityHttp(target);
  const auth: Configuration['auth'] = { clientId: target.clientId, authority: target.authority };
  const configuration: Configuration = {
    auth,
    cache: { cachePlugin: cache.plugin() },
    // msal logs PII only when asked; errors-only keeps its chatter off the terminal.
    system: { loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => undefined } },
  };
  const authorityMetadata = await useMsalAuthority(configuration, http.fetch, '--authority', knownMetadata);
  // The discovery fetch and msal's client share one trust, so one TLS context between them (authority-http.ts).
  if (http.msalNetworkClient) configuration.system = { ...configuration.system, networkClient: http.msalNetworkClient };
  return { configuration, ...(authorityMetadata ? { authorityMetadata } : {}) };
}

/** A confidential client for a service principal or a federated workload identity. */
export async function confidentialClient(target: LoginTarget, method: Exclude<LoginMethod, { kind: 'device-code' }>, cache: MsalCacheHolder, knownMetadata?: string): Promise<{ app: ConfidentialClientApplication; authorityMetadata?: string }> {
  const setup = await msalConfiguration(target, cache, knownMetadata);
  const auth = setup.configuration.auth;
  switch (method.kind) {
    case 'client-secret': {
      auth.clientSecret = await readSecretFlagFileAsync(method.secretFile, '--client-secret-file', "the app's client secret");
      break;
    }
    case 'certificate':
      auth.clientCertificate = msalClientCertificate(await readFlagFileAsync(method.certificateFile, '--certificate-file'), '--certificate-file', method.certificateFile);
      break;
    case 'federated-token':
      // Read on every acquisition: the CI runner or kubelet rotates the file, and an assertion is short-lived.
      auth.clientAssertion = () => readSecretFlagFileAsync(method.tokenFile, '--federated-token-file', 'the federated identity token');
      break;
  }
  return { app: new ConfidentialClientApplication(setup.configuration), ...(setup.authorityMetadata ? { authorityMetadata: setup.authorityMetadata } : {}) };
}

export async function publicClient(target: LoginTarget, cache: MsalCacheHolder, knownMetadata?: string): Promise<{ app: PublicClientApplication; authorityMetadata?: string }> {
  const setup = await msalConfiguration(target, cache, knownMetadata);
  return { app: new PublicClientApplication(setup.configuration), ...(setup.authorityMetadata ? { authorityMetadata: setup.authorityMetadata } : {}) };
}
