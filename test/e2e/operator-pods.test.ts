// What the operator writes must run: its kube-aad-proxy Pods, started by the local pod runner exactly as written
// (args, env, mounted Secrets, a Pod-bound service-account token), serve real kubectl through their Service.
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startRole, type RoleProcess } from '../support/role-process.js';
import {
  clusterEndpoint, createTestNamespace, kubeconfigForToken, kubectl, kubectlOk, requireCluster, waitFor,
} from '../support/cluster.js';
import { runPodLocally, type RunningPod } from '../support/pods/run-pod.js';
import { LocalServices } from '../support/pods/services.js';
import { makeTempDir } from '../support/temp-dir.js';
import { OPERATOR_SERVICE_ACCOUNT, SYSTEM_NAMESPACE } from './setup.js';


describe('pods the operator creates, run locally', function () {
  this.timeout(180_000);
  let ns: string;
  let operator: RoleProcess | undefined;
  const pods: RunningPod[] = [];
  const services = new LocalServices();

  before(async function () {
    requireCluster();
    if (process.getuid?.() !== 0) this.skip(); // the pod runner mounts volumes in a private mount namespace
    const token = (await kubectlOk(['create', 'token', OPERATOR_SERVICE_ACCOUNT, '-n', SYSTEM_NAMESPACE, '--duration', '1h'])).trim();
    operator = startRole('operator', ['operator', '--kubeconfig', kubeconfigForToken(token), '--no-leader-election', '--ops-host', '127.0.0.1', '--ops-port', '0']);
    await operator.waitForLog('watching ClusterConnects');
    ns = await createTestNamespace('pods');
    await kubectlOk(['create', 'secret', 'generic', 'relay-token', '-n', ns, '--from-literal=token=unused-here']);
    await kubectlOk(['apply', '-n', ns, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'clusterconnect.io/v1alpha1', kind: 'ClusterConnect', metadata: { name: 'edge' },
        spec: { clusterName: 'edge', relay: { url: 'wss://relay.example.com', credentialsSecretRef: { name: 'relay-token' } }, authProxy: { replicas: 2 } },
      }),
    });
  });

  after(async () => {
    await Promise.all(pods.map((p) => p.stop('SIGKILL')));
    await services.close();
    await operator?.stop('SIGKILL');
    if (ns) await kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  it('serve kubectl with a service-account token through the Service, TLS verified against status.caBundle', async () => {
    const list = await waitFor('two Running kube-aad-proxy pods', async () => {
      const items = (JSON.parse(await kubectlOk(['get', 'pods', '-n', ns, '-l', 'app.kubernetes.io/component=kube-aad-proxy', '-o', 'json'])) as { items: V1Pod[] }).items;
      return items.filter((p) => p.status?.phase === 'Running').length === 2 ? items : undefined;
    }, 30_000);
    const { server } = clusterEndpoint();
    const apiserver = new URL(server);
    for (const pod of list) pods.push(await runPodLocally(pod, { apiserver: { host: apiserver.hostname, port: Number(apiserver.port) }, hostsFile: services.hostsFile }));
    for (const pod of pods) await pod.process.waitForLog(/listening|started/i, 20_000);

    const service = JSON.parse(await kubectlOk(['get', 'service', 'edge-kube-aad-proxy', '-n', ns, '-o', 'json'])) as V1Service;
    const address = await services.expose(service, (target) => pods.map((p) => ({ host: '127.0.0.1', port: p.hostPorts.get(target) ?? 0 })));
    const status = JSON.parse(await kubectlOk(['get', 'clusterconnect', 'edge', '-n', ns, '-o', 'json'])) as { status: { caBundle: string; authProxyServerName: string } };
    expect(status.status.authProxyServerName).to.equal(`edge-kube-aad-proxy.${ns}.svc`);

    await kubectlOk(['create', 'serviceaccount', 'reader', '-n', ns]);
    await kubectlOk(['create', 'rolebinding', 'reader-view', '-n', ns, '--clusterrole=view', `--serviceaccount=${ns}:reader`]);
    const saToken = (await kubectlOk(['create', 'token', 'reader', '-n', ns])).trim();
    const dir = makeTempDir('cc-pods-');
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'edge',
      clusters: [{ name: 'edge', cluster: { server: `https://${address}:443`, 'tls-server-name': status.status.authProxyServerName, 'certificate-authority-data': Buffer.from(status.status.caBundle).toString('base64') } }],
      users: [{ name: 'reader', user: { token: saToken } }],
      contexts: [{ name: 'edge', context: { cluster: 'edge', user: 'reader' } }],
    }), { mode: 0o600 });

    for (let i = 0; i < 4; i++) { // round robin: both replicas answer
      const whoami = JSON.parse(await kubectlOk(['auth', 'whoami', '-o', 'json'], { kubeconfig })) as { status: { userInfo: { username: string } } };
      expect(whoami.status.userInfo.username).to.equal(`system:serviceaccount:${ns}:reader`);
    }
    expect(await kubectlOk(['get', 'pods', '-n', ns], { kubeconfig })).to.contain('edge-kube-aad-proxy');
    const denied = await kubectl(['get', 'secrets', '-n', ns], { kubeconfig });
    expect(denied.code).to.equal(1);
    expect(denied.stderr).to.contain(`User "system:serviceaccount:${ns}:reader" cannot list resource "secrets"`);
  });
});
