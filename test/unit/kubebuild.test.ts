// The control plane the tests run against must be the version versions.env names, built the documented way.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { repoPath } from '../support/repo.js';

const versions = Object.fromEntries(
  readFileSync(repoPath('test/cluster/versions.env'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => line.split('=', 2) as [string, string]),
);
const goMod = readFileSync(repoPath('test/cluster/kubebuild/go.mod'), 'utf8');

describe('test/cluster: the Kubernetes build', () => {
  const kube = versions.KUBE_VERSION ?? '';

  it('pins a Kubernetes 1.34 patch release', () => {
    expect(kube).to.match(/^v1\.34\.\d+$/);
  });

  it('requires the same k8s.io/kubernetes version in kubebuild/go.mod', () => {
    expect(goMod).to.match(new RegExp(`k8s\\.io/kubernetes ${kube.replace(/\./g, '\\.')}\\b`));
  });

  it('replaces every staging module with its v0.x tag of the same patch', () => {
    const staging = kube.replace(/^v1\./, 'v0.');
    const replaces = [...goMod.matchAll(/^\s*k8s\.io\/([\w-]+) => k8s\.io\/([\w-]+) (v\S+)$/gm)];
    expect(replaces).to.have.length(31);
    for (const [, from, to, version] of replaces) {
      expect(to).to.equal(from);
      expect(version, `k8s.io/${from}`).to.equal(staging);
    }
  });

  it('carries the godebug line of the kubernetes go.mod', () => {
    expect(goMod).to.match(/^godebug default=go1\.\d+$/m);
  });
});
