import { expect } from 'chai';
import { run } from '../support/run.js';
import { repoPath } from '../support/repo.js';
import { packageInfo } from '../../proxy/src/common/package-info.js';

const cli = repoPath('dist/proxy/src/cli/main.js');
const clusterconnect = (...args: string[]) => run(process.execPath, [cli, ...args]);

describe('clusterconnect CLI', () => {
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
