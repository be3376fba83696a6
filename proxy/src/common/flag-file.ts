// A file a flag names (a token, a CA bundle, a key), read when the flags are checked so a missing or unreadable
// file stops the command with one sentence naming the flag instead of a stack trace. The async variants are for
// files re-read while running (rotated tokens, credentials read on each acquisition): same message, same error.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** What to do about the common codes; anything else gets the generic advice. */
function fixFor(code: string): string {
  switch (code) {
    case 'ENOENT':
      return 'check the path';
    case 'EACCES':
    case 'EPERM':
      return 'make it readable by this user';
    case 'EISDIR':
      return 'give a file, not a directory';
    default:
      return 'give a readable file';
  }
}

/** `${flag} ${path} cannot be read (ENOENT); check the path`; `cause` is the error from the file system. */
export class FlagFileError extends Error {
  /** The file system's error code (ENOENT, EACCES, ...), or 'error' when it gave none. */
  readonly code: string;
  constructor(
    readonly flag: string,
    readonly path: string,
    cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'error';
    super(`${flag} ${path} cannot be read (${code}); ${fixFor(code)}`, { cause });
    this.code = code;
  }
}

/** The whole file as UTF-8, or a FlagFileError naming the flag, the path, the file system's error code and the fix. */
export function readFlagFile(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new FlagFileError(flag, path, error);
  }
}

/** readFlagFile without blocking the event loop, for files read again while the command runs. */
export async function readFlagFileAsync(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new FlagFileError(flag, path, error);
  }
}

/** A secret's file, trimmed; an empty one is refused here, so it never goes out as an empty credential (`Bearer `). */
function nonEmptySecret(text: string, path: string, flag: string, what: string): string {
  const secret = text.trim();
  if (secret === '') throw new Error(`${flag} ${path} is empty; put ${what} in it`);
  return secret;
}

/** readFlagFile for a secret (a token, a client secret): trimmed, and `what` names what belongs in an empty file. */
export function readSecretFlagFile(path: string, flag: string, what: string): string {
  return nonEmptySecret(readFlagFile(path, flag), path, flag, what);
}

/** readSecretFlagFile without blocking the event loop, for secrets read again while the command runs. */
export async function readSecretFlagFileAsync(path: string, flag: string, what: string): Promise<string> {
  return nonEmptySecret(await readFlagFileAsync(path, flag), path, flag, what);
}
