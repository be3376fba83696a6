// The agent's heartbeat Lease against the real local control plane: created with the flags' name, namespace and
// labels while the agent holds a relay session, renewed every 10 s, and left to go stale once the relay is gone.
import { expect } from 'chai';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { adminKubeconfig, createTestNamespace, kubectlOk, requireCluster, waitFor } from '../support/cluster.js';
import { startRole } from '../support/role-process.js';
import type { RoleProcess } from '../support/role-process.js';
import { makeKeys, startTestRelay, testCaPem } from '../unit/relay/fixtures.js';
import type { TestRelay } from '../unit/relay/fixtures.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Lease {
  metadata: { labels?: Record<string, string> };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string };
}

describe('agent heartbeat Lease (real control plane)', function () {
  this.timeout(120_000);
  let namespace: string;
  let relay: TestRelay | undefined;
  let agent: RoleProcess | undefined;
  let upstream: net.Server;

  before(async () => {
    requireCluster();
    namespace = await createTestNamespace('cc-heartbeat');
    upstream = net.createServer((socket) => socket.destroy()).listen(0, '127.0.0.1');
    await once(upstream, 'listening');
  });
  after(async () => {
    await agent?.stop('SIGKILL');
    await relay?.handle.close();
    upstream.close();
    await kubectlOk(['delete', 'namespace', namespace, '--wait=false']);
  });

  const lease = async (): Promise<Lease | undefined> => {
    const out = await kubectlOk(['get', 'lease', 'agent-hb', '-n', namespace, '-o', 'json', '--ignore-not-found']);
    return out.trim() ? (JSON.parse(out) as Lease) : undefined;
  };

  it('creates and renews the Lease while connected, and stops renewing when the relay is gone', async () => {
    const keys = await makeKeys();
    relay = await startTestRelay(keys);
    const caFile = join(keys.dir, 'upstream-ca.pem');
    writeFileSync(caFile, await testCaPem());
    agent = startRole('agent-heartbeat', [
      'agent',
      '--cluster-name=hb',
      `--relay-url=${relay.handle.url}`,
      `--relay-token-file=${await keys.tokenFile('agent', 'hb')}`,
      `--upstream=127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      `--upstream-ca-file=${caFile}`,
      '--upstream-server-name=kube-aad-proxy.clusterconnect.svc',
      '--auth-modes=oidc,serviceaccount',
      '--heartbeat-lease-name=agent-hb',
      `--heartbeat-lease-namespace=${namespace}`,
      '--heartbeat-lease-labels=app.kubernetes.io/name=clusterconnect-agent,clusterconnect.io/cluster=hb',
      '--ops-host=127.0.0.1',
      '--ops-port=0',
      '--drain-timeout=5s',
      '--insecure',
      `--kubeconfig=${adminKubeconfig}`,
    ]);
    const first = await waitFor('the heartbeat Lease', lease, 30_000, 250);
    expect(first.spec).to.include({ holderIdentity: 'agent-hb', leaseDurationSeconds: 30 });
    expect(first.metadata.labels).to.include({ 'app.kubernetes.io/name': 'clusterconnect-agent', 'clusterconnect.io/cluster': 'hb' });
    expect(first.spec.renewTime).to.match(/\.\d{6}Z$/);
    const renewed = await waitFor('a renewal', async () => {
      const now = await lease();
      return now?.spec.renewTime !== first.spec.renewTime ? now : undefined;
    }, 20_000, 500);
    expect(Date.parse(renewed.spec.renewTime ?? '') - Date.parse(first.spec.renewTime ?? '')).to.be.within(8_000, 14_000);

    await relay.handle.close();
    relay = undefined;
    await agent.waitForLog('heartbeat lease renewal stopped');
    const stale = await lease();
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    expect((await lease())?.spec.renewTime).to.equal(stale?.spec.renewTime);
  });
});
