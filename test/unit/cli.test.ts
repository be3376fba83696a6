import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_DIR_ENV, tokenCachePath } from '../../proxy/src/client/login/config-dir.js';
import { targetKey, type LoginTarget } from '../../proxy/src/client/login/login-target.js';
import { TOKEN_CACHE_VERSION, type StoredSession, type TokenCacheContent } from '../../proxy/src/client/login/token-cache.js';
import { packageInfo } from '../../proxy/src/common/package-info.js';
import { repoPath } from '../support/repo.js';
import { run, type RunResult } from '../support/run.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const cli = repoPath('dist/proxy/src/cli/main.js');
const clusterconnect = (...args: string[]) => run(process.execPath, [cli, ...args]);

/** Packages that `clusterconnect get-token` (kubectl runs it on every command) must not load. */
const HEAVY_PACKAGES = ['winston', 'ws', 'yaml', 'jose', '@azure/msal-node', 'openid-client', '@kubernetes/client-node', 'prom-client'];

/** Runs the CLI with a resolve hook that records every package the process loads, and returns them with the result. */
async function runRecordingPackages(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<RunResult & { loaded: string[] }> {
  // The hook prints the packages when the process exits.
  const hook = `import { registerHooks } from 'node:module';
    const seen = new Set();
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(r.url); if (m) seen.add(m[1]); return r; } });
    process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify([...seen]) + '\\n'));`;
  const result = await run(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(hook)}`, cli, ...args], { env });
  const loaded = JSON.parse(/LOADED (.*)/.exec(result.stderr)?.[1] ?? 'null') as string[];
  expect(loaded, 'the hook reported').to.be.an('array').that.includes('commander');
  return { ...result, loaded };
}

describe('clusterconnect CLI', () => {
  it('loads none of the role runtimes at start-up (get-token --help)', async () => {
    const result = await runRecordingPackages(['get-token', '--help']);
    expect(result.code).to.equal(0);
    expect(result.loaded.filter((name) => HEAVY_PACKAGES.includes(name))).to.deep.equal([]);
  });

  it('get-token with a fresh cached generic-OIDC token prints it without loading openid-client, jose, msal or any role runtime', async () => {
    // A session as `clusterconnect login` stores it for a non-Entra issuer, with an access token valid for an hour:
    // get-token answers from the cache and never reaches the issuer (issuer.invalid would not resolve).
    const dir = makeTempDir('cc-cli-get-token-');
    try {
      const target: LoginTarget = { authority: 'https://issuer.invalid/realms/main', kind: 'oidc', clientId: 'clusterconnect', scopes: [] };
      const now = Date.now();
      const session: StoredSession = {
        key: targetKey(target), target, method: { kind: 'device-code' }, loggedInAt: new Date(now).toISOString(),
        oidcTokens: { accessToken: 'cached-access-token', refreshToken: 'refresh', obtainedAt: now, expiresAt: now + 3_600_000 },
      };
      const content: TokenCacheContent = { version: TOKEN_CACHE_VERSION, current: session.key, sessions: [session] };
      writeFileSync(tokenCachePath({ [CONFIG_DIR_ENV]: dir }), JSON.stringify(content), { mode: 0o600 });

      const result = await runRecordingPackages(['get-token'], { ...process.env, [CONFIG_DIR_ENV]: dir, KUBERNETES_EXEC_INFO: '' });
      expect(result.code, result.stderr).to.equal(0);
      expect((JSON.parse(result.stdout) as { status: { token: string } }).status.token).to.equal('cached-access-token');
      expect(result.loaded.filter((name) => HEAVY_PACKAGES.includes(name))).to.deep.equal([]);
    } finally {
      removeTempDir(dir);
    }
  });

  it('prints the package version with --version', async () => {
    const result = await clusterconnect('--version');
    expect(result.code).to.equal(0);
    expect(result.stdout.trim()).to.equal(packageInfo().version);
  });

  it('documents usage and exit codes in --help', async () => {
    const result = await clusterconnect('--help');
    expect(result.code).to.equal(0);
    expect(result.stdout).to.match(/^Usage: clusterconnect/);
    expect(result.stdout).to.contain('Exit codes:');
  });

  it('rejects an unknown argument with one line on stderr and exit code 2', async () => {
    const result = await clusterconnect('no-such-command');
    expect(result.code).to.equal(2);
    expect(result.stdout).to.equal('');
    expect(result.stderr.trim().split('\n')).to.have.length(1);
    expect(result.stderr).to.match(/^error: /);
  });

  it('stops on a CA bundle file without a certificate, one line and exit code 2: relay --oidc-ca-file, proxy --certificate-authority', async () => {
    const dir = makeTempDir('cc-cli-ca-');
    try {
      const file = join(dir, 'not-a-bundle.pem');
      writeFileSync(file, 'not a bundle\n');
      const runs = {
        '--oidc-ca-file': await clusterconnect('relay', '--insecure', '--listen', '127.0.0.1:0', '--public-key-file', join(dir, 'relay.pub'),
          '--oidc-issuer-url', 'https://issuer.test', '--oidc-audience', 'relay', '--oidc-ca-file', file),
        '--certificate-authority': await clusterconnect('proxy', '-n', 'c1', '--relay', 'wss://relay.test', '--relay-token', 't', '--file', join(dir, 'kubeconfig'),
          '--certificate-authority', file),
      };
      for (const [flag, result] of Object.entries(runs)) {
        expect(result.code, flag).to.equal(2);
        expect(result.stderr.trim().split('\n'), flag).to.have.length(1);
        expect(result.stderr, flag).to.contain(`error: ${flag} ${file} holds no PEM certificate; give the CA bundle in PEM`);
      }
    } finally {
      removeTempDir(dir);
    }
  });

  it('rejects an unknown option the same way', async () => {
    const result = await clusterconnect('--no-such-option');
    expect(result.code).to.equal(2);
    expect(result.stderr.trim().split('\n')).to.have.length(1);
    expect(result.stderr).to.contain("unknown option '--no-such-option'");
  });
});
