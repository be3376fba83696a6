// Files that several clusterconnect processes (and kubectl) read and rewrite: the token cache and kubeconfigs.
// A write goes to a temporary file in the same directory and is renamed over the target, so a reader sees the old
// or the new content, never half of one; a lock file serialises read-modify-write cycles so one process does not
// overwrite another's change. The lock is `<file>.lock` created exclusively — client-go's convention, so
// `kubectl config …` and we respect each other's locks.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Writes `data` to `path` atomically with `mode` (also applied when the file already exists with another mode). */
export async function writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.chmod(mode); // the umask may have narrowed or (for 0644 kubeconfigs) nothing widened it
    await handle.sync(); // the rename must not land before the bytes do
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export interface FileLockOptions {
  /** Give up waiting after this long (default 10 s). */
  timeoutMs?: number;
  /** A lock older than this is left over by a killed process and is broken (default 30 s). */
  staleMs?: number;
}

/** Runs `fn` while holding `<path>.lock`; creates the parent directory (mode 0700) if needed. */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const lockPath = `${path}.lock`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 30_000;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    try {
      const handle = await open(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const age = await stat(lockPath).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > staleMs) {
      await unlink(lockPath).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${path} is locked by another process (${lockPath}); if none is running, delete the lock file`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  try {
    return await fn();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}
