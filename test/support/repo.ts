// Where things are, seen from the compiled tests (dist/test/...): the repository root and its files.
import { packageInfo } from '../../proxy/src/common/package-info.js';
import { join } from 'node:path';

export const repoRoot = packageInfo().root;
export const repoPath = (...parts: string[]): string => join(repoRoot, ...parts);
