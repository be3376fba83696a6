// What a login is for: an authority, a client, the API scopes/audience — the same inputs name the cached session
// that `get-token` later uses, so the kubeconfig's exec arguments and the login command line line up.
import { isEntraAuthority } from '../../common/entra-authority.js';

/** `entra` signs in with @azure/msal-node (Microsoft's client); `oidc` with openid-client (any RFC 8628 issuer). */
export type IssuerKind = 'entra' | 'oidc';

export interface LoginTarget {
  authority: string;
  kind: IssuerKind;
  clientId: string;
  /** API scopes requested on top of the OIDC ones, e.g. `api://kube-aad-proxy/.default`. */
  scopes: string[];
  /** RFC 8707 resource indicator (non-Entra issuers that scope tokens by audience). */
  audience?: string;
  /** Extra CA bundle trusted for the authority (private issuers). */
  caFile?: string;
}

export interface LoginTargetFlags {
  authority?: string;
  tenant?: string;
  clientId?: string;
  scope?: string[];
  audience?: string;
  authorityCaFile?: string;
  issuerKind?: string;
}

export const ENTRA_LOGIN_HOST = 'https://login.microsoftonline.com';
/** The Azure CLI's public client, what `az login` uses; an organisation may pass its own app with --client-id. */
export const DEFAULT_ENTRA_CLIENT_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
export const DEFAULT_ENTRA_SCOPE = 'api://kube-aad-proxy/.default';

function normalizeAuthority(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`--authority "${value}" is not a URL, e.g. https://login.example.com/realms/main`);
  }
  if (url.protocol !== 'https:') throw new Error(`--authority must be https, not ${url.protocol}`);
  if (url.search || url.hash) throw new Error('--authority must not have a query or fragment');
  return url.href.replace(/\/+$/, '');
}

/** Resolves and checks the flags; throws one-line messages for the CLI. */
export function resolveLoginTarget(flags: LoginTargetFlags): LoginTarget {
  if (flags.authority && flags.tenant) throw new Error('pass --authority or --tenant, not both');
  if (flags.tenant !== undefined && !/^[A-Za-z0-9.-]+$/.test(flags.tenant)) throw new Error(`--tenant "${flags.tenant}" is not a tenant id or domain`);
  const authority = flags.authority ? normalizeAuthority(flags.authority) : `${ENTRA_LOGIN_HOST}/${flags.tenant ?? 'organizations'}`;
  if (flags.issuerKind !== undefined && flags.issuerKind !== 'entra' && flags.issuerKind !== 'oidc') {
    throw new Error(`--issuer-kind must be entra or oidc, not "${flags.issuerKind}"`);
  }
  const kind: IssuerKind = flags.issuerKind ?? (isEntraAuthority(authority) ? 'entra' : 'oidc');
  const clientId = flags.clientId ?? (kind === 'entra' ? DEFAULT_ENTRA_CLIENT_ID : undefined);
  if (!clientId) throw new Error(`--client-id is required for ${authority}: the OAuth client registered for clusterconnect at that issuer`);
  const scopes = [...new Set(flags.scope ?? (kind === 'entra' && !flags.audience ? [DEFAULT_ENTRA_SCOPE] : []))].sort();
  return {
    authority,
    kind,
    clientId,
    scopes,
    ...(flags.audience ? { audience: flags.audience } : {}),
    ...(flags.authorityCaFile ? { caFile: flags.authorityCaFile } : {}),
  };
}

/** Identifies a session in the cache. The CA file is how it is reached, not who it is for, so it is left out. */
export function targetKey(target: LoginTarget): string {
  return JSON.stringify([target.kind, target.authority, target.clientId, target.scopes, target.audience ?? null]);
}

/** The flags that name this target again (for `get-token` in a kubeconfig and in "run … login" hints). */
export function targetArgs(target: LoginTarget): string[] {
  const args = ['--authority', target.authority, '--client-id', target.clientId];
  const kindByHost: IssuerKind = isEntraAuthority(target.authority) ? 'entra' : 'oidc';
  if (target.kind !== kindByHost) args.push('--issuer-kind', target.kind);
  for (const scope of target.scopes) args.push('--scope', scope);
  if (target.audience) args.push('--audience', target.audience);
  if (target.caFile) args.push('--authority-ca-file', target.caFile);
  return args;
}

/** `clusterconnect get-token …` arguments for a kubeconfig exec entry (the command itself is the caller's). */
export function getTokenArgs(target: LoginTarget): string[] {
  return ['get-token', ...targetArgs(target)];
}

export function loginCommand(target: LoginTarget): string {
  return ['clusterconnect', 'login', ...targetArgs(target)].map(shellQuote).join(' ');
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
