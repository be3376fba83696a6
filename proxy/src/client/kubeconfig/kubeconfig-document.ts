// Parsing and checking a kubeconfig before anything is changed: content we cannot understand is reported and the
// file is left alone, rather than "repaired" by dropping what we did not recognise.
import { parse, stringify } from 'yaml';
import type { NamedEntry } from './kubeconfig-entries.js';

export type ListKey = 'clusters' | 'users' | 'contexts';
export const LIST_KEYS: readonly ListKey[] = ['clusters', 'users', 'contexts'];

/** A kubeconfig as plain data; keys we do not touch (preferences, extensions) ride along unchanged. */
export type KubeconfigDocument = Record<string, unknown> & {
  clusters?: NamedEntry[];
  users?: NamedEntry[];
  contexts?: NamedEntry[];
  'current-context'?: string;
};

export class KubeconfigInvalidError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`kubeconfig ${file} is not valid (${reason}); it was left unchanged — fix it or pass --file to write elsewhere`);
    this.name = 'KubeconfigInvalidError';
  }
}

export function emptyKubeconfig(): KubeconfigDocument {
  return { apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [], 'current-context': '' };
}

export function parseKubeconfig(text: string, file: string): KubeconfigDocument {
  if (text.trim() === '') return emptyKubeconfig();
  let data: unknown;
  try {
    data = parse(text, { prettyErrors: false });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new KubeconfigInvalidError(file, `YAML: ${message}`);
  }
  if (data === null || data === undefined) return emptyKubeconfig();
  if (typeof data !== 'object' || Array.isArray(data)) throw new KubeconfigInvalidError(file, 'the top level is not a mapping');
  const doc = data as Record<string, unknown>;
  if (doc.kind !== undefined && doc.kind !== 'Config') throw new KubeconfigInvalidError(file, `kind is ${JSON.stringify(doc.kind)}, not Config`);
  if (doc.apiVersion !== undefined && doc.apiVersion !== 'v1') throw new KubeconfigInvalidError(file, `apiVersion is ${JSON.stringify(doc.apiVersion)}, not v1`);
  for (const key of LIST_KEYS) {
    const list = doc[key];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw new KubeconfigInvalidError(file, `${key} is not a list`);
    for (const [index, entry] of list.entries()) {
      if (typeof entry !== 'object' || entry === null || typeof (entry as { name?: unknown }).name !== 'string') {
        throw new KubeconfigInvalidError(file, `${key}[${index}] has no name`);
      }
    }
  }
  const current = doc['current-context'];
  if (current !== undefined && current !== null && typeof current !== 'string') throw new KubeconfigInvalidError(file, 'current-context is not a string');
  return doc;
}

export function serializeKubeconfig(doc: KubeconfigDocument): string {
  return stringify(doc, { lineWidth: 0 });
}
