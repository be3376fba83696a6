// A file a flag names (a token, a CA bundle, a key), read when the flags are checked so a missing or unreadable
// file stops the command with one sentence naming the flag instead of a stack trace.
import { readFileSync } from 'node:fs';

/** `${flag} ${path} cannot be read (ENOENT)`; `cause` is the error from the file system. */
export class FlagFileError extends Error {
  /** The file system's error code (ENOENT, EACCES, ...), or 'error' when it gave none. */
  readonly code: string;
  constructor(
    readonly flag: string,
    readonly path: string,
    cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'error';
    super(`${flag} ${path} cannot be read (${code})`, { cause });
    this.code = code;
  }
}

/** The whole file as UTF-8, or a FlagFileError naming the flag, the path and the file system's error code. */
export function readFlagFile(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new FlagFileError(flag, path, error);
  }
}
