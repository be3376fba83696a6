// HTTP to the authority: Node's roots, plus the --authority-ca-file bundle for private issuers (and the tests'
// self-signed one). msal gets it through its documented networkClient seam, openid-client through customFetch.
import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import type { INetworkModule } from '@azure/msal-node';
import { createHttpsFetch } from '../../authproxy/https-fetch.js';
import type { FetchLike } from '../../authproxy/https-fetch.js';
import { createMsalNetworkClient } from '../../authproxy/msal-network-client.js';
import type { LoginTarget } from './login-target.js';

export interface AuthorityHttp {
  fetch: FetchLike;
  /** Set only with a private CA; msal's default client is used otherwise. */
  msalNetworkClient?: INetworkModule;
}

export async function authorityHttp(target: LoginTarget): Promise<AuthorityHttp> {
  if (!target.caFile) return { fetch: (url, init) => fetch(url, init) };
  let extra: string;
  try {
    extra = await readFile(target.caFile, 'utf8');
  } catch (error) {
    throw new Error(`--authority-ca-file ${target.caFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
  const ca = [...rootCertificates, extra];
  return { fetch: createHttpsFetch({ ca }), msalNetworkClient: createMsalNetworkClient(ca.join('\n')) };
}

/** The issuer's discovery document as text (msal takes it as a string). */
export async function fetchDiscoveryDocument(authority: string, fetchLike: FetchLike): Promise<string> {
  const url = `${authority}/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await fetchLike(url, { headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    throw new Error(`cannot reach ${authority}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (response.status !== 200) throw new Error(`${url} answered HTTP ${response.status}; is --authority the issuer URL?`);
  return response.text();
}

type OpenIdFetchInit = { body?: unknown; headers: Record<string, string>; method: string; redirect?: string; signal?: AbortSignal };

/** Adapts a FetchLike to openid-client's customFetch (its bodies are form-encoded strings or URLSearchParams). */
export function openIdCustomFetch(fetchLike: FetchLike): (url: string, init: OpenIdFetchInit) => Promise<Response> {
  return (url, init) => {
    const body = init.body === undefined || init.body === null ? undefined : init.body instanceof URLSearchParams ? init.body.toString() : typeof init.body === 'string' ? init.body : undefined;
    if (init.body !== undefined && init.body !== null && body === undefined) return Promise.reject(new TypeError('unsupported request body type'));
    return fetchLike(url, { method: init.method, headers: init.headers, body, signal: init.signal, redirect: 'manual' });
  };
}
