// The proxy's own app-only token for Microsoft Graph, from @azure/msal-node (client secret or certificate),
// cached and renewed by msal. Entra authorities use msal as-is; any other OpenID Provider (tests, sovereign or
// on-premises setups) needs msal's OIDC protocol mode with its discovery document handed over, since msal would
// otherwise look for Entra's instance-discovery endpoints.
import { isEntraAuthority } from '../common/entra-authority.js';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { ConfidentialClientApplication, ProtocolMode } from '@azure/msal-node';
import type { Configuration } from '@azure/msal-node';
import type { FetchLike } from './https-fetch.js';
import { createMsalNetworkClient } from './msal-network-client.js';

export type GraphClientCredential = { kind: 'secret'; secret: string } | { kind: 'certificate'; certificatePem: string; privateKeyPem: string };

export interface GraphAppTokenOptions {
  /** e.g. https://login.microsoftonline.com/<tenant> (or any OIDC issuer URL). */
  authority: string;
  clientId: string;
  credential: GraphClientCredential;
  /** The scope is `<graphURL>/.default`: the app permissions granted to the proxy's app registration. */
  graphURL: string;
  /** The resource the token is for, when not the URL Graph is reached at (a private endpoint, a test stand-in). */
  graphResource?: string;
  /** Extra CA for the authority (private issuers); Node's roots otherwise. */
  ca?: string | Buffer;
  fetch: FetchLike;
}

function certificateCredential(credential: Extract<GraphClientCredential, { kind: 'certificate' }>): NonNullable<Configuration['auth']['clientCertificate']> {
  const certificate = new X509Certificate(credential.certificatePem);
  // msal wants PKCS#8 PEM; accept PKCS#1/SEC1 files too.
  const privateKey = createPrivateKey(credential.privateKeyPem).export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    thumbprintSha256: createHash('sha256').update(certificate.raw).digest('hex'),
    privateKey,
    // x5c lets Entra accept a rotated certificate by subject name and issuer (SNI), not only a pinned thumbprint.
    x5c: credential.certificatePem,
  };
}

async function discoveryDocument(authority: string, fetch: FetchLike): Promise<string> {
  const url = `${authority.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  if (response.status !== 200) throw new Error(`authority discovery ${url} answered HTTP ${response.status}`);
  return response.text();
}

/** Returns a function giving a valid Graph access token (msal caches it and renews it before expiry). */
export function createGraphAppToken(options: GraphAppTokenOptions): (signal?: AbortSignal) => Promise<string> {
  const scope = `${(options.graphResource ?? options.graphURL).replace(/\/+$/, '')}/.default`;
  let app: Promise<ConfidentialClientApplication> | undefined;
  const build = async (): Promise<ConfidentialClientApplication> => {
    const auth: Configuration['auth'] = { clientId: options.clientId, authority: options.authority };
    if (options.credential.kind === 'secret') auth.clientSecret = options.credential.secret;
    else auth.clientCertificate = certificateCredential(options.credential);
    const configuration: Configuration = { auth, system: {} };
    if (!isEntraAuthority(options.authority)) {
      auth.knownAuthorities = [new URL(options.authority).host];
      auth.authorityMetadata = await discoveryDocument(options.authority, options.fetch);
      configuration.system = { protocolMode: ProtocolMode.OIDC };
    }
    if (options.ca) configuration.system = { ...configuration.system, networkClient: createMsalNetworkClient(options.ca) };
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
