import { expect } from 'chai';
import { run } from '../support/run.js';
import { repoPath } from '../support/repo.js';
import { packageInfo } from '../../proxy/src/common/package-info.js';

const cli = repoPath('dist/proxy/src/cli/main.js');
const clusterconnect = (...args: string[]) => run(process.execPath, [cli, ...args]);

/** Packages that `clusterconnect get-token` (kubectl runs it on every command) must not load. */
const HEAVY_PACKAGES = ['winston', 'ws', 'yaml', 'jose', '@azure/msal-node', 'openid-client', '@kubernetes/client-node', 'prom-client'];

describe('clusterconnect CLI', () => {
  it('loads none of the role runtimes for get-token', async () => {
    // A resolve hook records every package the process loads; it prints them when the process exits.
    const hook = `import { registerHooks } from 'node:module';
      const seen = new Set();
      registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(r.url); if (m) seen.add(m[1]); return r; } });
      process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify([...seen]) + '\\n'));`;
    const result = await run(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(hook)}`, cli, 'get-token', '--help']);
    expect(result.code).to.equal(0);
    const loaded = JSON.parse(/LOADED (.*)/.exec(result.stderr)?.[1] ?? 'null') as string[];
    expect(loaded, 'the hook reported').to.be.an('array').that.includes('commander');
    expect(loaded.filter((name) => HEAVY_PACKAGES.includes(name))).to.deep.equal([]);
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

  it('rejects an unknown option the same way', async () => {
    const result = await clusterconnect('--no-such-option');
    expect(result.code).to.equal(2);
    expect(result.stderr.trim().split('\n')).to.have.length(1);
    expect(result.stderr).to.contain("unknown option '--no-such-option'");
  });
});
