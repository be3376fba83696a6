// Where the CLI keeps per-user state (the token cache): $CLUSTERCONNECT_CONFIG_DIR, else the XDG config dir.
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

export const CONFIG_DIR_ENV = 'CLUSTERCONNECT_CONFIG_DIR';

export function configDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const override = env[CONFIG_DIR_ENV];
  if (override) return override;
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(home, '.config'), 'clusterconnect');
}

export function tokenCachePath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  return join(configDir(env, home), 'token-cache.json');
}
