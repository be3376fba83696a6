// Temporary directories for tests, fixtures and the demo: made under os.tmpdir() and removed again. Whoever owns a
// directory removes it when nothing uses it any more (a fixture's stop(), an after() hook), after the processes
// reading it have stopped; whatever is still registered when the process exits is removed then, so a test that
// forgets, fails half way or is cut short by mocha's exit leaves nothing behind in /tmp. (A process killed by a
// signal it does not handle runs no 'exit' listeners: what it had registered stays.)
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const registered = new Set<string>();
let exitHookInstalled = false;

function removeNow(dir: string): void {
  // maxRetries: a process that is just exiting may still be closing a file in there (ENOTEMPTY, EBUSY).
  rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
}

/** Removes every directory still registered. Runs on process 'exit' (also after process.exit()); never throws. */
function removeRegisteredTempDirs(): void {
  for (const dir of registered) {
    try {
      removeNow(dir);
    } catch {
      // Nothing useful can be done while the process exits; an error here must not change its exit code.
    }
  }
  registered.clear();
}

/** Makes a new directory `<os.tmpdir()>/<prefix>XXXXXX` that is removed by removeTempDir(), else on process exit. */
export function makeTempDir(prefix: string): string {
  if (!exitHookInstalled) {
    process.on('exit', removeRegisteredTempDirs);
    exitHookInstalled = true;
  }
  const dir = mkdtempSync(join(tmpdir(), prefix));
  registered.add(dir);
  return dir;
}

/** Removes a directory from makeTempDir() and everything in it now; a missing one is fine. Call it only once the
 *  processes using it have stopped. If removal fails it throws, and the exit backstop tries again. */
export function removeTempDir(dir: string): void {
  if (!registered.has(dir)) {
    if (!existsSync(dir)) return; // removed already
    throw new Error(`removeTempDir: ${dir} was not made by makeTempDir()`);
  }
  removeNow(dir);
  registered.delete(dir);
}
