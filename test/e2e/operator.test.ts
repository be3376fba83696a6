// The operator against the real control plane: installed by the Helm chart, run with the chart's own service
// account (so the least-privilege RBAC is what is tested), reconciling ClusterConnects.
import { expect } from 'chai';
import { startRole, type RoleProcess } from '../support/role-process.js';
import {
  createTestNamespace, helmPath, kubeconfigForToken, kubectl, kubectlOk, requireCluster, waitFor,
} from '../support/cluster.js';
import { repoPath } from '../support/repo.js';
import { CHART_RELEASE, OPERATOR_SERVICE_ACCOUNT, SYSTEM_NAMESPACE } from './setup.js';
import { run } from '../support/run.js';

const SYSTEM_NS = SYSTEM_NAMESPACE;
const OPERATOR_SA = OPERATOR_SERVICE_ACCOUNT;

interface Condition { type: string; status: string; reason: string; message: string }
interface CcStatus { conditions?: Condition[]; agents?: string; caBundle?: string; connectedAgents?: number }

describe('the operator, installed by the Helm chart', function () {
  this.timeout(180_000);
  const operators: RoleProcess[] = [];
  let ns: string;
  let operatorKubeconfig: string;

  const getJson = async <T>(args: string[]): Promise<T> => JSON.parse(await kubectlOk([...args, '-o', 'json'])) as T;
  const status = async (name = 'prod') => (await getJson<{ status?: CcStatus }>(['get', 'clusterconnect', name, '-n', ns])).status ?? {};
  const condition = async (type: string, name = 'prod') => (await status(name)).conditions?.find((c) => c.type === type);
  const startOperator = (podName: string, extra: string[] = []) => {
    const operator = startRole(podName,
      ['operator', '--kubeconfig', operatorKubeconfig, '--ops-host', '127.0.0.1', '--ops-port', '0', '--image', 'clusterconnect:e2e',
        '--leader-election-namespace', SYSTEM_NS, '--leader-election-name', OPERATOR_SA, ...extra],
      { env: { POD_NAME: podName } },
    );
    operators.push(operator);
    return operator;
  };
  const applyCc = (spec: object, name = 'prod') =>
    kubectl(['apply', '-n', ns, '-f', '-'], { input: JSON.stringify({ apiVersion: 'clusterconnect.io/v1alpha1', kind: 'ClusterConnect', metadata: { name }, spec }) });
  const baseSpec = {
    clusterName: 'prod-west',
    relay: { url: 'wss://relay.example.com', credentialsSecretRef: { name: 'relay-token' } },
    authProxy: { oidc: { issuerURL: 'https://issuer.example.com', audience: 'api://kube' } },
    access: [{ name: 'viewers', clusterRole: 'view', users: ['11111111-2222'] }, { name: 'dev', clusterRole: 'edit', namespace: 'default', groups: ['g-dev'] }],
  };

  before(async () => {
    requireCluster();
    const lint = await run(helmPath, ['lint', '--strict', repoPath('helm/clusterconnect-agent')]);
    expect(lint.code, lint.stdout + lint.stderr).to.equal(0);
    const notes = await run(helmPath, ['get', 'notes', CHART_RELEASE, '-n', SYSTEM_NS, '--kubeconfig', repoPath('.cache/cluster/kubeconfig')]);
    expect(notes.stdout).to.contain('kubectl get clusterconnects'); // NOTES.txt says what to do next
    await kubectlOk(['wait', '--for=condition=Established', 'crd/clusterconnects.clusterconnect.io', '--timeout=30s']);
    const token = (await kubectlOk(['create', 'token', OPERATOR_SA, '-n', SYSTEM_NS, '--duration', '2h'])).trim();
    operatorKubeconfig = kubeconfigForToken(token, OPERATOR_SA);
    ns = await createTestNamespace('operator');
    await startOperator('operator-a').waitForLog(/became leader/);
  });

  after(async () => {
    await Promise.all(operators.map((o) => o.stop('SIGKILL')));
    if (ns) await kubectl(['delete', 'namespace', ns, '--wait=false']);
    // A killed leader leaves its Lease held for its duration: release it for the next file's operator.
    await kubectl(['delete', 'lease', OPERATOR_SA, '-n', SYSTEM_NS, '--ignore-not-found']);
  });

  it('refuses an invalid ClusterConnect with the CEL message, before the operator sees it', async () => {
    const result = await applyCc({ ...baseSpec, relay: { url: 'ws://relay.example.com', credentialsSecretRef: { name: 'x' } }, access: [{ name: 'bad', clusterRole: 'view', role: 'x' }] }, 'invalid');
    expect(result.code).to.equal(1);
    expect(result.stderr).to.contain('relay.url must start with wss:// (plain ws:// only with relay.allowInsecure: true');
    expect(result.stderr).to.contain('each access binding needs exactly one of clusterRole or role');
  });

  it('reports a missing relay credentials Secret as Ready=False RelayCredentialsMissing naming it', async () => {
    expect((await applyCc(baseSpec)).code).to.equal(0);
    const ready = await waitFor('Ready=False RelayCredentialsMissing', async () => {
      const c = await condition('Ready');
      return c?.reason === 'RelayCredentialsMissing' ? c : undefined;
    }, 20_000);
    expect(ready.status).to.equal('False');
    expect(ready.message).to.contain(`relay credentials Secret ${ns}/relay-token not found`);
  });

  it('creates the children with the right specs and owner references', async () => {
    const agent = await waitFor('the agent Deployment', async () => (await kubectl(['get', 'deploy', 'prod-agent', '-n', ns, '-o', 'json'])).stdout || undefined);
    const deployment = JSON.parse(agent) as { metadata: { ownerReferences: { kind: string; name: string; controller: boolean }[] }; spec: { replicas: number; template: { spec: { containers: { args: string[] }[] } } } };
    expect(deployment.metadata.ownerReferences).to.deep.include({ ...deployment.metadata.ownerReferences[0], kind: 'ClusterConnect', name: 'prod', controller: true });
    expect(deployment.spec.replicas).to.equal(2);
    expect(deployment.spec.template.spec.containers[0]!.args).to.include('--relay-url=wss://relay.example.com');
    await kubectlOk(['get', 'service/prod-kube-aad-proxy', 'serviceaccount/prod-agent', 'serviceaccount/prod-kube-aad-proxy', 'deploy/prod-kube-aad-proxy', '-n', ns]);
    const tls = await getJson<{ type: string; data: Record<string, string> }>(['get', 'secret', 'prod-kube-aad-proxy-certificate', '-n', ns]);
    expect(tls.type).to.equal('kubernetes.io/tls');
    expect(Object.keys(tls.data).sort()).to.deep.equal(['ca.crt', 'tls.crt', 'tls.key']);
    const ca = Buffer.from(tls.data['ca.crt']!, 'base64').toString('utf8');
    expect((await status()).caBundle).to.equal(ca);
    const impersonator = await getJson<{ roleRef: { name: string }; subjects: { name: string; namespace: string }[] }>(['get', 'clusterrolebinding', `clusterconnect:${ns}:prod:impersonator`]);
    expect(impersonator.roleRef.name).to.equal('clusterconnect-kube-aad-proxy-impersonator');
    expect(impersonator.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'prod-kube-aad-proxy', namespace: ns }]);
    await kubectlOk(['get', 'clusterrolebinding', `clusterconnect:${ns}:prod:viewers`]);
    await kubectlOk(['get', 'rolebinding', `clusterconnect:${ns}:prod:dev`, '-n', 'default']);
  });

  it("turns agents' heartbeat Leases (renewed with the agent's own service account) into AGENTS and Ready", async () => {
    await kubectlOk(['create', 'secret', 'generic', 'relay-token', '-n', ns, '--from-literal=token=agent-token']);
    const agentToken = (await kubectlOk(['create', 'token', 'prod-agent', '-n', ns])).trim();
    const labels = { 'app.kubernetes.io/managed-by': 'clusterconnect-operator', 'app.kubernetes.io/part-of': 'clusterconnect', 'app.kubernetes.io/component': 'agent-heartbeat', 'app.kubernetes.io/instance': 'prod', 'clusterconnect.io/name': 'prod', 'clusterconnect.io/namespace': ns };
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'prod-agent-1', labels }, spec: { holderIdentity: 'prod-agent-1', leaseDurationSeconds: 30, renewTime: new Date().toISOString().replace('Z', '000Z') } };
    await kubectlOk(['create', '-n', ns, '-f', '-'], { kubeconfig: kubeconfigForToken(agentToken), input: JSON.stringify(lease) });
    await waitFor('Ready=True with 1/2 agents', async () => ((await condition('Ready'))?.status === 'True' && (await status()).agents === '1/2' ? true : undefined), 20_000);
    const table = await kubectlOk(['get', 'clusterconnects', '-n', ns, '-o', 'wide']);
    const [header, row] = table.trim().split('\n');
    expect(header!.split(/\s+/)).to.deep.equal(['NAME', 'CLUSTER', 'RELAY', 'AGENTS', 'READY', 'AGE', 'REASON', 'MESSAGE']);
    expect(row).to.match(/^prod\s+prod-west\s+wss:\/\/relay\.example\.com\s+1\/2\s+True\s+/);
    const events = await kubectlOk(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=prod']);
    expect(events).to.contain('RelayCredentialsMissing');
    // The whole reason and type: NoAgentConnected (recorded first) also contains the word "Connected".
    expect(events).to.match(/\bNormal\s+Connected\s/);
  });

  it('applies changes to replicas and access, and removes bindings dropped from the spec', async () => {
    expect((await applyCc({ ...baseSpec, agent: { replicas: 3 }, access: [{ name: 'viewers', clusterRole: 'view', users: ['11111111-2222', '33333333-4444'] }] })).code).to.equal(0);
    await waitFor('agent replicas 3', async () => ((await getJson<{ spec: { replicas: number } }>(['get', 'deploy', 'prod-agent', '-n', ns])).spec.replicas === 3 ? true : undefined), 15_000);
    await waitFor('the dropped RoleBinding to go', async () => ((await kubectl(['get', 'rolebinding', `clusterconnect:${ns}:prod:dev`, '-n', 'default'])).code === 1 ? true : undefined), 15_000);
    const viewers = await getJson<{ subjects: { name: string }[] }>(['get', 'clusterrolebinding', `clusterconnect:${ns}:prod:viewers`]);
    expect(viewers.subjects.map((s) => s.name)).to.deep.equal(['11111111-2222', '33333333-4444']);
  });

  it('cannot grant a ClusterRole the chart did not make grantable (least privilege), and says so in the status', async () => {
    expect((await applyCc({ ...baseSpec, access: [{ name: 'root', clusterRole: 'cluster-admin', users: ['mallory'] }] })).code).to.equal(0);
    const access = await waitFor('AccessBindingsApplied=False', async () => {
      const c = await condition('AccessBindingsApplied');
      return c?.status === 'False' ? c : undefined;
    }, 15_000);
    expect(access.reason).to.equal('Forbidden');
    expect(access.message).to.contain('root: the operator may not grant ClusterRole cluster-admin');
    expect((await kubectl(['get', 'clusterrolebinding', `clusterconnect:${ns}:prod:root`])).code).to.equal(1);
    expect((await applyCc(baseSpec)).code).to.equal(0);
  });

  it('restores children edited or deleted by hand within 10 s', async () => {
    await kubectlOk(['delete', 'deploy', 'prod-kube-aad-proxy', '-n', ns, '--wait=false']);
    await kubectlOk(['patch', 'deploy', 'prod-agent', '-n', ns, '--type=merge', '-p', '{"spec":{"replicas":7}}']);
    await kubectlOk(['delete', 'clusterrolebinding', `clusterconnect:${ns}:prod:impersonator`]);
    const t0 = Date.now();
    await waitFor('drift repaired', async () => {
      const proxy = await kubectl(['get', 'deploy', 'prod-kube-aad-proxy', '-n', ns, '-o', 'jsonpath={.metadata.deletionTimestamp}']);
      const agent = await getJson<{ spec: { replicas: number } }>(['get', 'deploy', 'prod-agent', '-n', ns]);
      const crb = await kubectl(['get', 'clusterrolebinding', `clusterconnect:${ns}:prod:impersonator`]);
      return proxy.code === 0 && proxy.stdout === '' && agent.spec.replicas === 2 && crb.code === 0 ? true : undefined;
    }, 10_000);
    expect(Date.now() - t0).to.be.lessThan(10_000);
  });

  it('hands over to a standby within 15 s when the leader dies', async () => {
    const standby = startOperator('operator-b');
    await standby.waitForLog(/operator started/);
    const leader = operators[0]!;
    const t0 = Date.now();
    await leader.stop('SIGKILL');
    await standby.waitForLog(/became leader/, 15_000);
    expect(Date.now() - t0).to.be.lessThan(15_000);
    // The new leader reconciles: a deleted child comes back.
    await kubectlOk(['delete', 'service', 'prod-kube-aad-proxy', '-n', ns]);
    await waitFor('the Service restored by the new leader', async () => ((await kubectl(['get', 'service', 'prod-kube-aad-proxy', '-n', ns])).code === 0 ? true : undefined), 10_000);
  });

  it('leaves nothing behind when the ClusterConnect is deleted, ClusterRoleBindings included', async () => {
    const names = async (args: string[]) => (await kubectlOk([...args, '-o', 'name'])).split('\n').map((line) => line.trim()).filter(Boolean);
    const labelled = async () => ({
      crbs: await names(['get', 'clusterrolebinding', '-l', `clusterconnect.io/namespace=${ns}`]),
      namespaced: await names(['get', 'deploy,svc,secret,sa,rolebinding', '-n', ns, '-l', 'app.kubernetes.io/managed-by=clusterconnect-operator']),
      // Access RoleBindings in other namespaces (the "dev" one in default) have no owner reference: the finalizer removes them.
      elsewhere: await names(['get', 'rolebinding', '-A', '-l', `clusterconnect.io/namespace=${ns}`]),
    });
    // The selectors must match the children first, or the emptiness checked after the delete proves nothing.
    const before = await waitFor('the labelled children before the delete', async () => {
      const found = await labelled();
      return found.crbs.length > 0 && found.namespaced.length > 0 && found.elsewhere.length > 0 ? found : undefined;
    }, 15_000).catch(labelled);
    expect(before.crbs, 'ClusterRoleBindings labelled clusterconnect.io/namespace').to.include.members([
      `clusterrolebinding.rbac.authorization.k8s.io/clusterconnect:${ns}:prod:impersonator`,
      `clusterrolebinding.rbac.authorization.k8s.io/clusterconnect:${ns}:prod:viewers`,
    ]);
    expect(before.namespaced, 'children labelled app.kubernetes.io/managed-by').to.include.members([
      'deployment.apps/prod-agent', 'deployment.apps/prod-kube-aad-proxy', 'service/prod-kube-aad-proxy',
    ]);
    expect(before.elsewhere, 'RoleBindings in other namespaces labelled clusterconnect.io/namespace').to.include(`rolebinding.rbac.authorization.k8s.io/clusterconnect:${ns}:prod:dev`);

    await kubectlOk(['delete', 'clusterconnect', 'prod', '-n', ns, '--timeout=30s']);
    await waitFor('children garbage-collected', async () => {
      const after = await labelled();
      return after.crbs.length === 0 && after.namespaced.length === 0 && after.elsewhere.length === 0 ? true : undefined;
    }, 30_000);
  });
});
