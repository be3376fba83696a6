// Merging our entries into a kubeconfig and taking them out again. Pure: documents in, documents out.
// A merge returns an undo record (kept in the proxy process, no shared state file) so a later removal deletes only
// what this merge wrote — and only if it is still what we wrote — puts back same-named entries it replaced, and
// restores the previous current-context.
//
// Proxies may stop in any order. Each context we write names, in a kubeconfig extension, the context that was
// current before it; a later merge follows those names, so when proxy B started over proxy A's context and A stops
// first, B still knows what was current before A and restores that instead of leaving current-context empty.
import { isDeepStrictEqual } from 'node:util';
import { LIST_KEYS } from './kubeconfig-document.js';
import type { KubeconfigDocument, ListKey } from './kubeconfig-document.js';
import type { KubeconfigEntries, NamedEntry } from './kubeconfig-entries.js';

export interface MergeUndo {
  contextName: string;
  /** What we wrote, per list. */
  written: Record<ListKey, NamedEntry>;
  /** Same-named entries the merge replaced, put back on removal. */
  replaced: Partial<Record<ListKey, NamedEntry>>;
  /** current-context before the merge, then what was current before that one and so on, as our earlier contexts
   *  recorded it: on removal the first that still exists is restored. Empty: none was current. */
  previousCurrentContexts: string[];
  setCurrentContext: boolean;
}

const ENTRY_KEY: Record<ListKey, 'cluster' | 'user' | 'context'> = { clusters: 'cluster', users: 'user', contexts: 'context' };

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** The kubeconfig extension (in our context entries) naming the context that was current before. */
export const PREVIOUS_CONTEXT_EXTENSION = 'clusterconnect.io/previous-context';
const MAX_CHAIN = 16;

type Extension = { name?: unknown; extension?: { context?: unknown } };

function recordedPrevious(entry: NamedEntry | undefined): string | undefined {
  const extensions = (entry?.context as { extensions?: unknown } | undefined)?.extensions;
  if (!Array.isArray(extensions)) return undefined;
  const found = (extensions as Extension[]).find((e) => e?.name === PREVIOUS_CONTEXT_EXTENSION)?.extension?.context;
  return typeof found === 'string' && found !== '' ? found : undefined;
}

/** The contexts current before `name`, as our entries recorded them; stops at a cycle or after MAX_CHAIN. */
function earlierContexts(doc: KubeconfigDocument, name: string): string[] {
  const chain: string[] = [];
  const seen = new Set([name]);
  for (let at = name; chain.length < MAX_CHAIN; ) {
    const next = recordedPrevious((doc.contexts ?? []).find((c) => c.name === at));
    if (next === undefined || seen.has(next)) break;
    chain.push(next);
    seen.add(next);
    at = next;
  }
  return chain;
}

function withPreviousContext(entry: NamedEntry, previous: string): NamedEntry {
  const context = { ...(entry.context as Record<string, unknown> | undefined) };
  const others = Array.isArray(context.extensions) ? (context.extensions as Extension[]).filter((e) => e?.name !== PREVIOUS_CONTEXT_EXTENSION) : [];
  context.extensions = [...others, { name: PREVIOUS_CONTEXT_EXTENSION, extension: { context: previous } }];
  return { ...entry, context };
}

export function mergeEntries(doc: KubeconfigDocument, entries: KubeconfigEntries, options: { setCurrentContext?: boolean } = {}): { doc: KubeconfigDocument; undo: MergeUndo } {
  const setCurrentContext = options.setCurrentContext ?? true;
  const next = clone(doc);
  next.apiVersion ??= 'v1';
  next.kind ??= 'Config';
  const written = {} as Record<ListKey, NamedEntry>;
  const replaced: Partial<Record<ListKey, NamedEntry>> = {};
  const previous = doc['current-context'];
  const recordPrevious = setCurrentContext && previous !== undefined && previous !== '' && previous !== entries.context.name;
  for (const key of LIST_KEYS) {
    let entry = clone(entries[ENTRY_KEY[key]]);
    if (key === 'contexts' && recordPrevious) entry = withPreviousContext(entry, previous);
    const list = [...(next[key] ?? [])];
    const index = list.findIndex((e) => e.name === entry.name);
    if (index >= 0) {
      replaced[key] = list[index];
      list[index] = entry; // in place: the file's order stays as the user had it
    } else {
      list.push(entry);
    }
    next[key] = list;
    written[key] = entry;
  }
  if (setCurrentContext) next['current-context'] = entries.context.name;
  const earlier = recordPrevious ? earlierContexts(doc, previous) : [];
  return {
    doc: next,
    undo: {
      contextName: entries.context.name,
      written,
      replaced,
      previousCurrentContexts: previous ? [previous, ...earlier] : [],
      setCurrentContext,
    },
  };
}

export interface RemoveOutcome {
  doc: KubeconfigDocument;
  /** Names taken out or put back; an entry someone changed since is left and not listed. */
  removed: string[];
  /** The context made current again, if ours was current. */
  restoredCurrentContext?: string;
  changed: boolean;
}

export function removeEntries(doc: KubeconfigDocument, undo: MergeUndo): RemoveOutcome {
  const next = clone(doc);
  const removed: string[] = [];
  for (const key of LIST_KEYS) {
    const ours = undo.written[key];
    const list = [...(next[key] ?? [])];
    const index = list.findIndex((e) => e.name === ours.name);
    // Another process (a second proxy, the user) rewrote the entry since: it is theirs now.
    if (index < 0 || !isDeepStrictEqual(list[index], ours)) continue;
    const previous = undo.replaced[key];
    if (previous) list[index] = clone(previous);
    else list.splice(index, 1);
    next[key] = list;
    removed.push(`${key}/${ours.name}`);
  }
  let restoredCurrentContext: string | undefined;
  if (undo.setCurrentContext && next['current-context'] === undo.contextName) {
    const exists = (name: string) => (next.contexts ?? []).some((c) => c.name === name);
    // The context current before ours, or, if it is gone (its proxy stopped first), the one current before that.
    const previous = undo.previousCurrentContexts.find(exists);
    if (previous !== undefined) {
      // Our own context name may have been current before too (a replaced entry, put back): it stays current then.
      if (previous !== undo.contextName) next['current-context'] = previous;
      restoredCurrentContext = previous;
    } else if (!exists(undo.contextName)) {
      next['current-context'] = '';
    }
  }
  const changed = !isDeepStrictEqual(next, doc);
  return { doc: next, removed, ...(restoredCurrentContext ? { restoredCurrentContext } : {}), changed };
}

/** A kubeconfig with only these entries (`--file -`). */
export function standaloneKubeconfig(entries: KubeconfigEntries): KubeconfigDocument {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [entries.cluster],
    users: [entries.user],
    contexts: [entries.context],
    'current-context': entries.context.name,
  };
}
