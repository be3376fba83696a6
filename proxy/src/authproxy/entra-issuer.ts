// Microsoft Entra ID signs two access-token formats with the same tenant keys. Which one a client gets is decided by
// the resource (server) app registration's `accessTokenAcceptedVersion`: null or 1 (the default of a new
// registration) gives v1.0 tokens, `iss` https://sts.windows.net/<tenant>/; 2 gives v2.0 tokens, `iss`
// https://login.microsoftonline.com/<tenant>/v2.0 — whichever endpoint the client asked. So a configured v2.0
// issuer of one tenant also names that tenant's v1.0 issuer, and kube-aad-proxy accepts both (as a Microsoft
// identity web API configured with a v2.0 authority does). Only for one tenant, by GUID: never for the common,
// organizations or consumers forms, never for another host.
// Sources: learn.microsoft.com/entra/identity-platform/access-tokens and access-token-claims-reference.

/** v2.0 issuer host → the v1.0 (`sts`) issuer host of the same cloud. Every v2.0 host here is one the rest of the
 *  code treats as Entra (common/entra-authority.ts), which a test checks. */
export const V1_HOST_OF_V2_HOST: ReadonlyMap<string, string> = new Map([
  ['login.microsoftonline.com', 'sts.windows.net'], // global
  ['login.microsoftonline.us', 'sts.windows.net'], // US Government: v1.0 tokens keep the global sts host
  ['login.partner.microsoftonline.cn', 'sts.chinacloudapi.cn'], // operated by 21Vianet
  ['login.chinacloudapi.cn', 'sts.chinacloudapi.cn'], // 21Vianet's older login host
]);

/** Tenant id of personal Microsoft accounts, which get v2.0 tokens only. */
const CONSUMERS_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';

// Exactly what Entra puts in `iss`: lower-case host and GUID, no port, no trailing slash, nothing after /v2.0.
const TENANT_V2_ISSUER = /^https:\/\/([a-z0-9.-]+)\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/v2\.0$/;

export interface EntraTenantIssuers {
  /** The tenant GUID both issuers name; a token's `tid` must be exactly this. */
  tenantId: string;
  /** `https://<sts host>/<tenant>/`, trailing slash included, as v1.0 tokens carry it. */
  v1: string;
}

/** The v1.0 twin of a tenant's Entra v2.0 issuer, or undefined for any other issuer URL. */
export function entraTenantIssuers(issuerURL: string): EntraTenantIssuers | undefined {
  const match = TENANT_V2_ISSUER.exec(issuerURL);
  const host = match?.[1];
  const tenantId = match?.[2];
  if (host === undefined || tenantId === undefined || tenantId === CONSUMERS_TENANT) return undefined;
  const v1Host = V1_HOST_OF_V2_HOST.get(host);
  if (v1Host === undefined) return undefined;
  return { tenantId, v1: `https://${v1Host}/${tenantId}/` };
}
