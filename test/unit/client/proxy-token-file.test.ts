import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { proxySettingsFromFlags } from '../../../proxy/src/cli/proxy-command.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dir.js';

describe('clusterconnect proxy --token-file', () => {
  const base = { name: 'c1', relay: 'wss://relay.example.com', relayToken: 't', address: '127.0.0.1', output: 'text' as const, relayWait: '30s' };
  let dir: string;
  beforeEach(() => (dir = makeTempDir('cc-token-file-')));
  afterEach(() => removeTempDir(dir));

  it('puts the token from the file (trimmed) in the kubeconfig user, as --token does', () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'sa-token-value\n');
    expect(proxySettingsFromFlags({ ...base, tokenFile: file }, {}).kubeconfig.user).to.deep.equal({ kind: 'token', token: 'sa-token-value' });
    expect(proxySettingsFromFlags({ ...base, token: 'sa-token-value' }, {}).kubeconfig.user).to.deep.equal({ kind: 'token', token: 'sa-token-value' });
  });

  it('refuses an empty or missing file, and both flags at once, in one line naming the flag', () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, ' \n');
    expect(() => proxySettingsFromFlags({ ...base, tokenFile: empty }, {})).to.throw(`--token-file ${empty} is empty; put the service-account token in it`);
    expect(() => proxySettingsFromFlags({ ...base, tokenFile: join(dir, 'nope') }, {})).to.throw(/^--token-file .*nope cannot be read \(ENOENT\); check the path$/);
    expect(() => proxySettingsFromFlags({ ...base, token: 'x', tokenFile: empty }, {})).to.throw('--token and --token-file both give the token; pass one');
  });
});
