// How the client's login (msal-client.ts) and kube-aad-proxy's own Graph token (graph-app-token.ts) point
// @azure/msal-node at an authority: Entra as-is, any other issuer through its discovery document and msal's OIDC
// protocol mode. Loaded only by modules that load msal anyway (the certificate check is in client-certificate.ts,
// which flag parsing can load without msal).
import { ProtocolMode } from '@azure/msal-node';
import type { Configuration } from '@azure/msal-node';
import type { FetchLike } from '../authproxy/https-fetch.js';
import { discoveryUrl } from '../authproxy/oidc-discovery.js';
import { isEntraAuthority } from './entra-authority.js';

/** The issuer's discovery document as text (msal takes it as a string); `flag` is the one naming the authority. */
async function fetchDiscoveryDocument(authority: string, fetchLike: FetchLike, flag: string, timeoutMs = 15_000): Promise<string> {
  const url = discoveryUrl(authority);
  let response: Response;
  try {
    response = await fetchLike(url, { headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new Error(`cannot reach ${authority}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (response.status !== 200) throw new Error(`${url} answered HTTP ${response.status}; is ${flag} the issuer URL?`);
  return response.text();
}

/**
 * Points an msal configuration at its authority. Entra is used as-is; any other host (sovereign setups, on-premises
 * issuers, an Entra stand-in) gets msal's OIDC protocol mode with the discovery document handed over, since msal would
 * otherwise look for Entra's instance-discovery endpoints. Returns the document used (undefined for Entra).
 */
export async function useMsalAuthority(configuration: Configuration, fetchLike: FetchLike, flag: string, knownMetadata?: string): Promise<string | undefined> {
  const authority = configuration.auth.authority;
  if (authority === undefined || isEntraAuthority(authority)) return undefined;
  const metadata = knownMetadata ?? (await fetchDiscoveryDocument(authority, fetchLike, flag));
  configuration.auth.knownAuthorities = [new URL(authority).host];
  configuration.auth.authorityMetadata = metadata;
  configuration.system = { ...configuration.system, protocolMode: ProtocolMode.OIDC };
  return metadata;
}
