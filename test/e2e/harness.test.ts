// Proves the local control plane is the real thing: version, RBAC, scheduling onto a kwok node,
// controller-manager garbage collection, TokenRequest, and our CRD served.
import { expect } from 'chai';
import {
  createTestNamespace, kubeconfigForToken, kubectl, kubectlOk, requireCluster, staticToken, waitFor,
} from '../support/cluster.js';
import { repoPath } from '../support/repo.js';

describe('the local control plane', function () {
  let namespace: string;

  before(async () => {
    requireCluster();
    namespace = await createTestNamespace('harness');
  });

  after(async () => {
    if (namespace) await kubectl(['delete', 'namespace', namespace, '--wait=false']);
  });

  it('is a Kubernetes 1.34 apiserver', async () => {
    const version = JSON.parse(await kubectlOk(['get', '--raw', '/version'])) as { gitVersion: string; major: string; minor: string };
    expect(version.gitVersion).to.match(/^v1\.34\.\d+$/);
    expect(version.major).to.equal('1');
    expect(version.minor).to.equal('34');
  });

  it('enforces RBAC: a user with no rights is denied listing Secrets, the admin is not', async () => {
    const nobody = kubeconfigForToken(staticToken('nobody'), 'nobody');
    const whoami = JSON.parse(await kubectlOk(['auth', 'whoami', '-o', 'json'], { kubeconfig: nobody })) as {
      status: { userInfo: { username: string } };
    };
    expect(whoami.status.userInfo.username).to.equal('clusterconnect-test-nobody');

    const denied = await kubectl(['get', 'secrets', '-n', namespace], { kubeconfig: nobody });
    expect(denied.code).to.equal(1);
    expect(denied.stderr).to.contain('Forbidden');
    expect(denied.stderr).to.contain('User "clusterconnect-test-nobody" cannot list resource "secrets"');

    const allowed = await kubectl(['get', 'secrets', '-n', namespace]);
    expect(allowed.code, allowed.stderr).to.equal(0);
  });

  it('issues service-account tokens through the TokenRequest API that the apiserver accepts', async () => {
    await kubectlOk(['create', 'serviceaccount', 'probe', '-n', namespace]);
    const token = (await kubectlOk(['create', 'token', 'probe', '-n', namespace, '--duration', '10m'])).trim();
    expect(token.split('.')).to.have.length(3);
    const whoami = JSON.parse(await kubectlOk(['auth', 'whoami', '-o', 'json'], { kubeconfig: kubeconfigForToken(token) })) as {
      status: { userInfo: { username: string } };
    };
    expect(whoami.status.userInfo.username).to.equal(`system:serviceaccount:${namespace}:probe`);
  });

  it("runs a Deployment's Pod to Running on the kwok fake node", async () => {
    await kubectlOk(['create', 'deployment', 'web', '--image=registry.example/web:1', '-n', namespace]);
    const pod = await waitFor('a Running pod of deployment web', async () => {
      const list = JSON.parse(await kubectlOk(['get', 'pods', '-n', namespace, '-l', 'app=web', '-o', 'json'])) as {
        items: { status: { phase: string }; spec: { nodeName?: string } }[];
      };
      return list.items.find((p) => p.status.phase === 'Running');
    });
    const node = JSON.parse(await kubectlOk(['get', 'node', pod.spec.nodeName ?? '', '-o', 'json'])) as {
      metadata: { annotations: Record<string, string> };
    };
    expect(node.metadata.annotations['kwok.x-k8s.io/node']).to.equal('fake');
  });

  it('garbage-collects the ReplicaSet when its Deployment is deleted (controller-manager runs)', async () => {
    await waitFor('the ReplicaSet of deployment web', async () =>
      (await kubectlOk(['get', 'rs', '-n', namespace, '-l', 'app=web', '-o', 'name'])).trim() || undefined);
    await kubectlOk(['delete', 'deployment', 'web', '-n', namespace, '--cascade=background']);
    await waitFor('the ReplicaSet to be garbage-collected', async () =>
      (await kubectlOk(['get', 'rs', '-n', namespace, '-l', 'app=web', '-o', 'name'])).trim() === '' ? true : undefined);
  });

  it('serves the ClusterConnect CRD: kubectl get clusterconnects -A answers with its columns', async () => {
    // Helm installs a chart's crds/ once and never upgrades them, so on a cluster kept between runs the CRD may be
    // an older one helm owns; this checkout's CRD is the one under test, so take its fields over.
    await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', repoPath('crds/clusterconnect.yaml')]);
    await kubectlOk(['wait', '--for=condition=Established', 'crd/clusterconnects.clusterconnect.io', '--timeout=30s']);
    await kubectlOk(['apply', '-n', namespace, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'clusterconnect.io/v1alpha1',
        kind: 'ClusterConnect',
        metadata: { name: 'sample' },
        spec: { clusterName: 'harness-sample', relay: { url: 'wss://relay.example:443', credentialsSecretRef: { name: 'relay-token' } } },
      }),
    });
    const table = await kubectlOk(['get', 'clusterconnects', '-A']);
    const [header, ...rows] = table.trim().split('\n');
    expect(header?.split(/\s+/)).to.deep.equal(['NAMESPACE', 'NAME', 'CLUSTER', 'RELAY', 'AGENTS', 'READY', 'AGE']);
    expect(rows.some((row) => row.includes('harness-sample') && row.includes(namespace))).to.equal(true);
  });
});
