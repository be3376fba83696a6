// Where the kubeconfig is, apart from the YAML handling in kubeconfig-file.ts, so the CLI can name the default
// file without loading a YAML parser on every run.
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** `--file -`: write the kubeconfig to stdout. */
export const STDOUT_FILE = '-';

/** $KUBECONFIG's first file (kubectl reads it), else ~/.kube/config. */
export function defaultKubeconfigPath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const first = env.KUBECONFIG?.split(delimiter).find((p) => p.length > 0);
  return first ?? join(home, '.kube', 'config');
}
