// The kubeconfig file layer on real files in a temporary directory.
import { expect } from 'chai';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse, stringify } from 'yaml';
import { buildKubeconfigEntries } from '../../../proxy/src/client/kubeconfig/kubeconfig-entries.js';
import { mergeIntoKubeconfigFile, removeFromKubeconfigFile } from '../../../proxy/src/client/kubeconfig/kubeconfig-file.js';
import { defaultKubeconfigPath } from '../../../proxy/src/client/kubeconfig/kubeconfig-path.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dir.js';

const entries = (name: string, port = 47011) =>
  buildKubeconfigEntries({ contextName: name, port, caPem: 'CA', tlsServerName: 'kube-aad-proxy', user: { kind: 'exec', command: 'clusterconnect', args: ['get-token'] } });

const OTHER = {
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{ name: 'dev', cluster: { server: 'https://dev:6443' } }],
  users: [{ name: 'dev', user: { token: 't' } }],
  contexts: [{ name: 'dev', context: { cluster: 'dev', user: 'dev' } }],
  'current-context': 'dev',
};

describe('kubeconfig file', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('cc-kubeconfig-');
  });
  afterEach(() => removeTempDir(dir));

  it('creates a missing file (and directory) with mode 0600', async () => {
    const file = join(dir, 'sub', 'config');
    const outcome = await mergeIntoKubeconfigFile(file, entries('prod'));
    expect(outcome.message).to.equal(`Merged "prod" as current context in ${file}`);
    expect(outcome.warnings).to.deep.equal([]);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect((parse(readFileSync(file, 'utf8')) as { 'current-context': string })['current-context']).to.equal('prod');
  });

  it('preserves other contexts; remove restores the previous context and deletes only what it added', async () => {
    const file = join(dir, 'config');
    writeFileSync(file, stringify(OTHER), { mode: 0o600 });
    const outcome = await mergeIntoKubeconfigFile(file, entries('prod'));
    const merged = parse(readFileSync(file, 'utf8')) as typeof OTHER;
    expect(merged.contexts.map((c) => c.name)).to.deep.equal(['dev', 'prod']);
    const removed = await removeFromKubeconfigFile(file, outcome.undo!);
    expect(removed.restoredCurrentContext).to.equal('dev');
    expect(parse(readFileSync(file, 'utf8'))).to.deep.equal(OTHER);
  });

  it('leaves an invalid file untouched and says so in one line', async () => {
    const file = join(dir, 'config');
    writeFileSync(file, 'clusters: [oops', { mode: 0o600 });
    let error: unknown;
    try {
      await mergeIntoKubeconfigFile(file, entries('prod'));
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.match(/kubeconfig .* is not valid .*left unchanged/);
    expect(String(error)).to.not.include('\n');
    expect(readFileSync(file, 'utf8')).to.equal('clusters: [oops');
    expect(existsSync(`${file}.lock`)).to.equal(false);
  });

  it('warns when the file is readable by others, and keeps the mode the user chose', async () => {
    const file = join(dir, 'config');
    writeFileSync(file, stringify(OTHER));
    chmodSync(file, 0o644);
    const outcome = await mergeIntoKubeconfigFile(file, entries('prod'));
    expect(outcome.warnings).to.have.length(1);
    expect(outcome.warnings[0]).to.match(/has mode 0644.*chmod 600/);
    expect(statSync(file).mode & 0o777).to.equal(0o644);
  });

  it('"-" prints a standalone kubeconfig to stdout and writes no file', async () => {
    let out = '';
    const stdout = new Writable({ write: (chunk: Buffer, _e, done) => { out += chunk.toString(); done(); } });
    const outcome = await mergeIntoKubeconfigFile('-', entries('prod'), { stdout });
    expect(outcome.undo).to.equal(undefined);
    const doc = parse(out) as typeof OTHER;
    expect(doc['current-context']).to.equal('prod');
    expect(doc.clusters.map((c) => c.name)).to.deep.equal(['prod']);
  });

  it('two proxies merging at once both land (the lock serialises read-modify-write)', async () => {
    const file = join(dir, 'config');
    writeFileSync(file, stringify(OTHER), { mode: 0o600 });
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    await Promise.all(names.map((n, i) => mergeIntoKubeconfigFile(file, entries(n, 47011 + i))));
    const doc = parse(readFileSync(file, 'utf8')) as typeof OTHER;
    expect(doc.contexts.map((c) => c.name).sort()).to.deep.equal(['dev', ...names].sort());
  });

  it('defaults to $KUBECONFIG\'s first file, else ~/.kube/config', () => {
    expect(defaultKubeconfigPath({ KUBECONFIG: '/a/one:/a/two' }, '/home/u')).to.equal('/a/one');
    expect(defaultKubeconfigPath({}, '/home/u')).to.equal('/home/u/.kube/config');
  });
});
