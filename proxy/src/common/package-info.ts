// The package's own name and version, read from package.json so there is one source of truth.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  name: string;
  version: string;
  root: string;
}

let cached: PackageInfo | undefined;

/** Walks up from this file to the package.json named "clusterconnect" (works from src and dist alike). */
export function packageInfo(): PackageInfo {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'clusterconnect' && pkg.version) {
        cached = { name: pkg.name, version: pkg.version, root: dir };
        return cached;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json of clusterconnect not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}
