// The proxy's own app-only token for Microsoft Graph, from @azure/msal-node (client secret or certificate),
// cached and renewed by msal. Entra authorities use msal as-is; any other OpenID Provider (tests, sovereign or
// on-premises setups) needs msal's OIDC protocol mode with its discovery document handed over (useMsalAuthority,
// shared with the client's login).
import { ConfidentialClientApplication } from '@azure/msal-node';
import type { Configuration } from '@azure/msal-node';
import type { MsalClientCertificate } from '../common/client-certificate.js';
import { useMsalAuthority } from '../common/msal-authority.js';
import type { FetchLike, TrustingAgent } from './https-fetch.js';
import { createMsalNetworkClient } from './msal-network-client.js';

/** A certificate is checked when it is read (msalClientCertificate), so a wrong file stops the proxy at startup. */
export type GraphClientCredential = { kind: 'secret'; secret: string } | { kind: 'certificate'; certificate: MsalClientCertificate };

export interface GraphAppTokenOptions {
  /** e.g. https://login.microsoftonline.com/<tenant> (or any OIDC issuer URL). */
  authority: string;
  clientId: string;
  credential: GraphClientCredential;
  /** The scope is `<graphURL>/.default`: the app permissions granted to the proxy's app registration. */
  graphURL: string;
  /** The resource the token is for, when not the URL Graph is reached at (a private endpoint, a test stand-in). */
  graphResource?: string;
  /** What msal trusts for the authority when a CA file applies to it (graph-http.ts), shared with `fetch`; msal's own
   *  client, the default roots alone, otherwise. */
  trust?: TrustingAgent;
  /** Reaches the authority's discovery document (non-Entra authorities); should trust what `trust` does. */
  fetch: FetchLike;
}

/** Returns a function giving a valid Graph access token (msal caches it and renews it before expiry). */
export function createGraphAppToken(options: GraphAppTokenOptions): (signal?: AbortSignal) => Promise<string> {
  const scope = `${(options.graphResource ?? options.graphURL).replace(/\/+$/, '')}/.default`;
  let app: Promise<ConfidentialClientApplication> | undefined;
  const build = async (): Promise<ConfidentialClientApplication> => {
    const auth: Configuration['auth'] = { clientId: options.clientId, authority: options.authority };
    if (options.credential.kind === 'secret') auth.clientSecret = options.credential.secret;
    else auth.clientCertificate = options.credential.certificate;
    const configuration: Configuration = { auth, system: {} };
    await useMsalAuthority(configuration, options.fetch, '--graph-authority');
    if (options.trust) configuration.system = { ...configuration.system, networkClient: createMsalNetworkClient(options.trust) };
    return new ConfidentialClientApplication(configuration);
  };
  return async () => {
    app ??= build().catch((error: unknown) => {
      app = undefined; // retry discovery on the next call
      throw error;
    });
    const result = await (await app).acquireTokenByClientCredential({ scopes: [scope] });
    if (!result?.accessToken) throw new Error('the authority returned no access token for Microsoft Graph');
    return result.accessToken;
  };
}
