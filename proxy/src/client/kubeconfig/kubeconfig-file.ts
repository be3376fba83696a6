// The file layer over the pure merge: read, check, merge, write atomically under client-go's lock file, and
// the reverse on shutdown. An unreadable or invalid file is one clear error and is never written.
import { readFile, realpath, stat } from 'node:fs/promises';
import { withFileLock, writeFileAtomic } from '../atomic-file.js';
import { KubeconfigInvalidError, parseKubeconfig, serializeKubeconfig } from './kubeconfig-document.js';
import type { KubeconfigEntries } from './kubeconfig-entries.js';
import { mergeEntries, removeEntries, standaloneKubeconfig } from './kubeconfig-merge.js';
import type { MergeUndo } from './kubeconfig-merge.js';
import { STDOUT_FILE } from './kubeconfig-path.js';

export interface MergeFileOptions {
  /** Default true: the merged context becomes current. */
  setCurrentContext?: boolean;
  /** Where `-` writes (default process.stdout). */
  stdout?: NodeJS.WritableStream;
}

export interface MergeFileOutcome {
  /** The file written, or '-'. */
  file: string;
  contextName: string;
  /** e.g. the mode warning; the caller prints them (stderr). */
  warnings: string[];
  /** `Merged "<ctx>" as current context in <file>` (or the stdout equivalent). */
  message: string;
  /** Absent for '-': nothing to undo. */
  undo?: MergeUndo;
}

async function resolveTarget(file: string): Promise<string> {
  // Write through a symlinked kubeconfig (dotfile managers) instead of replacing the link with a file.
  return realpath(file).catch(() => file);
}

async function readExisting(file: string): Promise<{ text: string; mode?: number }> {
  try {
    const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    return { text, mode: info.mode & 0o777 };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { text: '' };
    throw new KubeconfigInvalidError(file, `cannot be read: ${code ?? 'error'}`);
  }
}

function modeWarning(file: string, mode: number | undefined): string[] {
  if (mode === undefined || (mode & 0o077) === 0) return [];
  return [`kubeconfig ${file} has mode ${mode.toString(8).padStart(4, '0')}: other users may read its credentials; run chmod 600 ${file}`];
}

export async function mergeIntoKubeconfigFile(file: string, entries: KubeconfigEntries, options: MergeFileOptions = {}): Promise<MergeFileOutcome> {
  const contextName = entries.context.name;
  if (file === STDOUT_FILE) {
    (options.stdout ?? process.stdout).write(serializeKubeconfig(standaloneKubeconfig(entries)));
    return { file, contextName, warnings: [], message: `Wrote "${contextName}" to stdout` };
  }
  const target = await resolveTarget(file);
  return withFileLock(target, async () => {
    const { text, mode } = await readExisting(target);
    const { doc, undo } = mergeEntries(parseKubeconfig(text, file), entries, { setCurrentContext: options.setCurrentContext ?? true });
    // Keep a mode the user chose (warned about below); a new file is private.
    await writeFileAtomic(target, serializeKubeconfig(doc), mode ?? 0o600);
    const current = undo.setCurrentContext ? ' as current context' : '';
    return { file, contextName, warnings: modeWarning(file, mode), message: `Merged "${contextName}"${current} in ${file}`, undo };
  });
}

export interface RemoveFileOutcome {
  removed: string[];
  restoredCurrentContext?: string;
}

/** Undoes a merge; a file that vanished or became invalid meanwhile is left as it is. */
export async function removeFromKubeconfigFile(file: string, undo: MergeUndo): Promise<RemoveFileOutcome> {
  if (file === STDOUT_FILE) return { removed: [] };
  const target = await resolveTarget(file);
  return withFileLock(target, async () => {
    const { text, mode } = await readExisting(target);
    if (text === '') return { removed: [] };
    const outcome = removeEntries(parseKubeconfig(text, file), undo);
    if (outcome.changed) await writeFileAtomic(target, serializeKubeconfig(outcome.doc), mode ?? 0o600);
    return { removed: outcome.removed, ...(outcome.restoredCurrentContext ? { restoredCurrentContext: outcome.restoredCurrentContext } : {}) };
  });
}
