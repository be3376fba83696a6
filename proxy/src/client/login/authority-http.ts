// HTTP to the authority: Node's roots, plus the --authority-ca-file bundle for private issuers (and the tests'
// self-signed one). msal gets it through its documented networkClient seam, openid-client through customFetch.
import type { INetworkModule } from '@azure/msal-node';
import { createHttpsFetch, TrustingAgent } from '../../authproxy/https-fetch.js';
import type { FetchLike } from '../../authproxy/https-fetch.js';
import { createMsalNetworkClient } from '../../authproxy/msal-network-client.js';
import { defaultRootsPlus } from '../../common/ca-trust.js';
import { readFlagFileAsync } from '../../common/flag-file.js';
import type { LoginTarget } from './login-target.js';

export interface AuthorityHttp {
  fetch: FetchLike;
  /** Set only with a private CA; msal's default client is used otherwise. */
  msalNetworkClient?: INetworkModule;
}

export async function authorityHttp(target: LoginTarget): Promise<AuthorityHttp> {
  if (!target.caFile) return { fetch: (url, init) => fetch(url, init) };
  // One trust, one TLS context for both clients, built on the first request that needs it (~20 ms with Node's
  // ~265 roots): the openid-client path (get-token for a generic issuer) never asks msal's client.
  const trust = new TrustingAgent(defaultRootsPlus(await readFlagFileAsync(target.caFile, '--authority-ca-file')));
  return { fetch: createHttpsFetch({ trust }), msalNetworkClient: createMsalNetworkClient(trust) };
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
