// The relay's URL space, parsed in one place so the HTTP API and the upgrade handler agree on it.
import { isValidClusterName } from './cluster-name.js';

export type RelayRoute =
  | { kind: 'agent-connect' }
  | { kind: 'client-connect'; cluster: string }
  | { kind: 'list-clusters' }
  | { kind: 'cluster-info'; cluster: string }
  | { kind: 'bad-cluster-name'; name: string }
  | { kind: 'unknown' };

/**
 * A request's path as logs show it: no query string (a client may have put a credential there by mistake; nothing
 * the relay serves reads one) and at most 200 characters.
 */
export function pathForLog(rawUrl: string | undefined): string {
  const url = rawUrl ?? '';
  const query = url.indexOf('?');
  return (query === -1 ? url : `${url.slice(0, query)}?…`).slice(0, 200);
}

export function parseRoute(rawUrl: string | undefined): RelayRoute {
  let path: string;
  try {
    path = new URL(rawUrl ?? '/', 'http://relay').pathname;
  } catch {
    return { kind: 'unknown' };
  }
  if (path === '/v1/agent/connect') return { kind: 'agent-connect' };
  if (path === '/v1/clusters' || path === '/v1/clusters/') return { kind: 'list-clusters' };
  const match = /^\/v1\/clusters\/([^/]+)(\/connect)?$/.exec(path);
  if (!match) return { kind: 'unknown' };
  let name: string;
  try {
    name = decodeURIComponent(match[1] ?? '');
  } catch {
    return { kind: 'unknown' };
  }
  if (!isValidClusterName(name)) return { kind: 'bad-cluster-name', name: name.slice(0, 80) };
  return match[2] ? { kind: 'client-connect', cluster: name } : { kind: 'cluster-info', cluster: name };
}
