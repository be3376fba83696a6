// The pure kubeconfig layer: entries for a cluster behind the local proxy, merge and undo, without files.
import { expect } from 'chai';
import { parseKubeconfig, KubeconfigInvalidError } from '../../../proxy/src/client/kubeconfig/kubeconfig-document.js';
import { buildKubeconfigEntries, execCommandForThisCli } from '../../../proxy/src/client/kubeconfig/kubeconfig-entries.js';
import type { KubeconfigEntries } from '../../../proxy/src/client/kubeconfig/kubeconfig-entries.js';
import { mergeEntries, PREVIOUS_CONTEXT_EXTENSION, removeEntries, standaloneKubeconfig } from '../../../proxy/src/client/kubeconfig/kubeconfig-merge.js';
import type { KubeconfigDocument } from '../../../proxy/src/client/kubeconfig/kubeconfig-document.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function entries(name = 'prod', port = 47011): KubeconfigEntries {
  return buildKubeconfigEntries({
    contextName: name,
    port,
    caPem: CA,
    tlsServerName: 'kube-aad-proxy.clusterconnect-system.svc',
    user: { kind: 'exec', command: '/usr/local/bin/clusterconnect', args: ['get-token', '--authority', 'https://id.example.com'] },
  });
}

function existing(): KubeconfigDocument {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: { colors: true },
    clusters: [{ name: 'dev', cluster: { server: 'https://dev:6443' } }],
    users: [{ name: 'dev-admin', user: { token: 'dev-token' } }],
    contexts: [{ name: 'dev', context: { cluster: 'dev', user: 'dev-admin' } }],
    'current-context': 'dev',
  };
}

describe('kubeconfig entries', () => {
  it('points at the local listener with the cluster CA and TLS server name; the user is the exec plugin', () => {
    const { cluster, user, context } = entries();
    expect(cluster).to.deep.equal({
      name: 'prod',
      cluster: { server: 'https://127.0.0.1:47011', 'certificate-authority-data': Buffer.from(CA).toString('base64'), 'tls-server-name': 'kube-aad-proxy.clusterconnect-system.svc' },
    });
    expect(user.name).to.equal('clusterconnect-prod');
    expect((user.user as { exec: Record<string, unknown> }).exec).to.include({
      apiVersion: 'client.authentication.k8s.io/v1',
      command: '/usr/local/bin/clusterconnect',
      interactiveMode: 'IfAvailable',
      provideClusterInfo: false,
    });
    expect(context).to.deep.equal({ name: 'prod', context: { cluster: 'prod', user: 'clusterconnect-prod' } });
  });

  it('puts a service-account token in the user entry with --token', () => {
    const built = buildKubeconfigEntries({ contextName: 'c', port: 1, caPem: CA, user: { kind: 'token', token: 'sa-token' } });
    expect(built.user.user).to.deep.equal({ token: 'sa-token' });
    expect(built.cluster.cluster).to.not.have.property('tls-server-name');
  });

  it('points the server at the address the proxy listens on (--address), loopback for a wildcard', () => {
    const server = (host?: string) => (buildKubeconfigEntries({ contextName: 'c', ...(host === undefined ? {} : { host }), port: 47011, caPem: CA, user: { kind: 'token', token: 't' } }).cluster.cluster as { server: string }).server;
    expect(server()).to.equal('https://127.0.0.1:47011');
    expect(server('0.0.0.0')).to.equal('https://127.0.0.1:47011');
    expect(server('::')).to.equal('https://[::1]:47011');
    expect(server('::1')).to.equal('https://[::1]:47011');
    expect(server('192.168.1.5')).to.equal('https://192.168.1.5:47011');
  });

  it('rejects a port that is not a TCP port', () => {
    expect(() => entries('x', 70000)).to.throw(RangeError);
  });

  it('calls back into this CLI by absolute path, or through node from a checkout', () => {
    expect(execCommandForThisCli(['/usr/bin/node', '/opt/cc/dist/proxy/src/cli/main.js'], '/usr/bin/node')).to.deep.equal({ command: '/usr/bin/node', prefixArgs: ['/opt/cc/dist/proxy/src/cli/main.js'] });
    expect(execCommandForThisCli(['/usr/bin/node', '/usr/local/bin/clusterconnect'], '/usr/bin/node')).to.deep.equal({ command: '/usr/local/bin/clusterconnect', prefixArgs: [] });
  });
});

describe('kubeconfig merge', () => {
  it('adds entries, sets current-context, leaves every other entry and key alone', () => {
    const { doc } = mergeEntries(existing(), entries());
    expect(doc['current-context']).to.equal('prod');
    expect(doc.preferences).to.deep.equal({ colors: true });
    expect(doc.clusters?.map((c) => c.name)).to.deep.equal(['dev', 'prod']);
    expect(doc.users?.map((c) => c.name)).to.deep.equal(['dev-admin', 'clusterconnect-prod']);
    expect(doc.contexts?.[0]).to.deep.equal(existing().contexts?.[0]);
  });

  it('replaces same-named entries in place', () => {
    const before = existing();
    before.clusters?.push({ name: 'prod', cluster: { server: 'https://old:6443' } });
    before.clusters?.push({ name: 'zzz', cluster: { server: 'https://z:6443' } });
    const { doc } = mergeEntries(before, entries());
    expect(doc.clusters?.map((c) => c.name)).to.deep.equal(['dev', 'prod', 'zzz']);
    expect((doc.clusters?.[1]?.cluster as { server: string }).server).to.equal('https://127.0.0.1:47011');
  });

  it('does not mutate its input', () => {
    const before = existing();
    mergeEntries(before, entries());
    expect(before).to.deep.equal(existing());
  });

  it('remove restores the previous current-context and deletes only what it added', () => {
    const { doc, undo } = mergeEntries(existing(), entries());
    const removed = removeEntries(doc, undo);
    expect(removed.doc).to.deep.equal(existing());
    expect(removed.restoredCurrentContext).to.equal('dev');
    expect(removed.removed).to.have.length(3);
  });

  it('two proxies stopped in either order leave the context that was current before both', () => {
    const a = mergeEntries(existing(), entries('a', 47011));
    const b = mergeEntries(a.doc, entries('b', 47012));
    expect(b.doc['current-context']).to.equal('b');
    // A stops first: B's context stays current; then B stops and finds A gone, so it goes back to what A replaced.
    const aGone = removeEntries(b.doc, a.undo);
    expect(aGone.doc['current-context']).to.equal('b');
    const bothGone = removeEntries(aGone.doc, b.undo);
    expect(bothGone.doc['current-context']).to.equal('dev');
    expect(bothGone.doc).to.deep.equal(existing());
    // In order: B restores A's context, then A restores dev.
    const inOrder = removeEntries(removeEntries(b.doc, b.undo).doc, a.undo);
    expect(inOrder.doc).to.deep.equal(existing());
  });

  it('records the previous context in a kubeconfig extension on our context only, and reads a chain without looping', () => {
    const a = mergeEntries(existing(), entries('a', 47011));
    const context = a.doc.contexts?.find((c) => c.name === 'a')?.context as { extensions?: unknown };
    expect(context.extensions).to.deep.equal([{ name: PREVIOUS_CONTEXT_EXTENSION, extension: { context: 'dev' } }]);
    // The name is in kubeconfigs written before: it never changes.
    expect(PREVIOUS_CONTEXT_EXTENSION).to.equal('clusterconnect.io/previous-context');
    expect(a.doc.contexts?.find((c) => c.name === 'dev')).to.deep.equal(existing().contexts?.[0]);
    // A hand-edited cycle (a → b → a) ends the chain instead of looping.
    const b = mergeEntries(a.doc, entries('b', 47012));
    const cyclic = structuredClone(b.doc);
    (cyclic.contexts?.find((c) => c.name === 'a')?.context as { extensions: { extension: { context: string } }[] }).extensions[0]!.extension.context = 'b';
    cyclic['current-context'] = 'b';
    expect(mergeEntries(cyclic, entries('c', 47013)).undo.previousCurrentContexts).to.deep.equal(['b', 'a']);
  });

  it('remove puts back a same-named entry the merge replaced', () => {
    const before = existing();
    before.clusters?.push({ name: 'prod', cluster: { server: 'https://old:6443' } });
    const { doc, undo } = mergeEntries(before, entries());
    expect(removeEntries(doc, undo).doc.clusters).to.deep.equal(before.clusters);
  });

  it('remove leaves an entry another process rewrote since, and a current-context the user changed', () => {
    const { doc, undo } = mergeEntries(existing(), entries());
    const second = mergeEntries(doc, entries('prod', 47012)).doc; // a second proxy for the same name
    second['current-context'] = 'dev';
    const removed = removeEntries(second, undo);
    expect(removed.doc.clusters?.find((c) => c.name === 'prod')).to.not.equal(undefined);
    expect(removed.doc.users?.find((u) => u.name === 'clusterconnect-prod')).to.equal(undefined); // the user entry is identical: ours
    expect(removed.doc['current-context']).to.equal('dev');
    expect(removed.restoredCurrentContext).to.equal(undefined);
  });

  it('an empty or missing kubeconfig gets a complete one', () => {
    const { doc, undo } = mergeEntries(parseKubeconfig('', 'f'), entries());
    expect(doc).to.include({ apiVersion: 'v1', kind: 'Config', 'current-context': 'prod' });
    expect(removeEntries(doc, undo).doc['current-context']).to.equal('');
  });

  it('standalone output holds only our entries', () => {
    const doc = standaloneKubeconfig(entries());
    expect(doc.clusters).to.have.length(1);
    expect(doc['current-context']).to.equal('prod');
  });
});

describe('kubeconfig parsing', () => {
  for (const [text, reason] of [
    ['clusters: [unclosed', /YAML/],
    ['- a list', /top level/],
    ['kind: Pod', /kind is "Pod"/],
    ['clusters: {a: 1}', /clusters is not a list/],
    ['users:\n- user: {}', /users\[0\] has no name/],
    ['current-context: [a]', /current-context/],
  ] as const) {
    it(`refuses ${JSON.stringify(text)} with one clear error`, () => {
      expect(() => parseKubeconfig(text, '/home/u/.kube/config')).to.throw(KubeconfigInvalidError, reason).with.property('message').that.matches(/^kubeconfig \/home\/u\/\.kube\/config is not valid .*left unchanged/);
    });
  }
});
