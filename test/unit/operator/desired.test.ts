import { expect } from 'chai';
import { accessBindingObjects } from '../../../operator/src/desired/access.js';
import { agentDeployment, agentHeartbeatClusterRole, agentHeartbeatRoleBinding, relayCaConfigMap } from '../../../operator/src/desired/agent.js';
import { authModes, authProxyDeployment, authProxyService, graphCaConfigMap, impersonatorBinding, oidcCaConfigMap } from '../../../operator/src/desired/auth-proxy.js';
import { childNames, IMPERSONATOR_CLUSTER_ROLE } from '../../../operator/src/desired/names.js';
import { ownerKeyFromLabels } from '../../../operator/src/api/labels.js';
import { sampleClusterConnect } from './fixtures.js';

const settings = { image: 'ghcr.io/clusterconnect/clusterconnect:0.1.0' };
const argValue = (args: string[] | undefined, flag: string) => args?.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);

describe('operator desired state: agent', () => {
  const cc = sampleClusterConnect();
  const deployment = agentDeployment(cc, settings);
  const pod = deployment.spec!.template.spec!;
  const container = pod.containers[0]!;

  it('is owned by the ClusterConnect (controller reference) and labelled back to it', () => {
    expect(deployment.metadata!.ownerReferences).to.deep.equal([
      { apiVersion: 'clusterconnect.io/v1alpha1', kind: 'ClusterConnect', name: 'prod', uid: cc.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(ownerKeyFromLabels(deployment.metadata!.labels)).to.equal('clusterconnect/prod');
    expect(ownerKeyFromLabels(deployment.spec!.template.metadata!.labels)).to.equal('clusterconnect/prod');
  });

  it('dials the relay with the credentials Secret and points at kube-aad-proxy through its Service name', () => {
    expect(argValue(container.args, '--relay-url')).to.equal('wss://relay.example.com');
    expect(argValue(container.args, '--cluster-name')).to.equal('prod-west');
    expect(argValue(container.args, '--upstream')).to.equal('prod-kube-aad-proxy.clusterconnect.svc:443');
    expect(argValue(container.args, '--upstream-server-name')).to.equal('prod-kube-aad-proxy.clusterconnect.svc');
    expect(argValue(container.args, '--auth-modes')).to.equal('oidc,serviceaccount');
    const relayVolume = pod.volumes!.find((v) => v.name === 'relay-credentials');
    expect(relayVolume?.secret).to.deep.include({ secretName: 'relay-token', items: [{ key: 'token', path: 'token' }] });
    expect(container.args).not.to.include('--insecure');
  });

  it('has no Service, spreads replicas, keeps connected agents during rollouts and drains on stop', () => {
    expect(deployment.spec!.replicas).to.equal(2);
    expect(deployment.spec!.strategy!.rollingUpdate).to.deep.equal({ maxUnavailable: 0, maxSurge: 1 });
    expect(pod.affinity!.podAntiAffinity!.preferredDuringSchedulingIgnoredDuringExecution).to.have.length(1);
    expect(pod.terminationGracePeriodSeconds).to.be.greaterThan(50);
    expect(container.readinessProbe!.httpGet!.path).to.equal('/readyz');
    expect(container.livenessProbe!.httpGet!.path).to.equal('/healthz');
  });

  it('runs restricted: non-root, read-only root filesystem, no capabilities', () => {
    expect(pod.securityContext!.runAsNonRoot).to.equal(true);
    expect(container.securityContext).to.deep.include({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(container.securityContext!.capabilities!.drop).to.deep.equal(['ALL']);
  });

  it('passes egress proxy settings and the insecure flag only when the spec asks', () => {
    const proxied = agentDeployment(sampleClusterConnect({
      agent: { replicas: 3, httpsProxy: 'http://proxy.corp:3128', noProxy: '.svc,10.0.0.0/8' },
      relay: { url: 'ws://127.0.0.1:9000', allowInsecure: true, credentialsSecretRef: { name: 'r' } },
    }), settings);
    const c = proxied.spec!.template.spec!.containers[0]!;
    expect(proxied.spec!.replicas).to.equal(3);
    expect(c.env).to.deep.include({ name: 'HTTPS_PROXY', value: 'http://proxy.corp:3128' });
    expect(c.env).to.deep.include({ name: 'NO_PROXY', value: '.svc,10.0.0.0/8' });
    expect(c.args).to.include('--insecure');
  });

  it('mounts a private relay CA from spec.relay.caBundle and passes it to the agent', () => {
    const withCa = sampleClusterConnect({ relay: { url: 'wss://relay.internal', credentialsSecretRef: { name: 'r' }, caBundle: '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n' } });
    const args = agentDeployment(withCa, settings).spec!.template.spec!.containers[0]!.args;
    expect(argValue(args, '--relay-ca-file')).to.equal('/var/run/clusterconnect/relay-ca/ca.crt');
    expect(relayCaConfigMap(withCa)!.data).to.deep.equal({ 'ca.crt': withCa.spec.relay.caBundle });
    expect(relayCaConfigMap(cc)).to.equal(undefined);
    expect(argValue(container.args, '--relay-ca-file')).to.equal(undefined);
  });

  it('may renew only Leases, only in its namespace (a RoleBinding to the heartbeat ClusterRole)', () => {
    expect(agentHeartbeatClusterRole().rules).to.deep.equal([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create', 'get', 'update', 'patch'] },
    ]);
    const binding = agentHeartbeatRoleBinding(cc);
    expect(binding.kind).to.equal('RoleBinding');
    expect(binding.metadata!.namespace).to.equal('clusterconnect');
    expect(binding.roleRef.name).to.equal(agentHeartbeatClusterRole().metadata!.name);
    expect(binding.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'prod-agent', namespace: 'clusterconnect' }]);
  });
});

describe('operator desired state: kube-aad-proxy', () => {
  const cc = sampleClusterConnect({
    authProxy: {
      replicas: 2,
      oidc: { issuerURL: 'https://login.example.com/t/v2.0', audience: 'api://kube', usernameClaim: 'oid', usernamePrefix: 'aad:', groupsClaim: 'groups', allowedTenants: ['t1', 't2'] },
      serviceAccountTokens: { enabled: false },
      groupOverage: { clientId: 'graph-app', clientSecretRef: { name: 'graph', key: 'secret' } },
    },
  });
  const container = authProxyDeployment(cc, settings).spec!.template.spec!.containers[0]!;

  it('configures OIDC, tenants, service-account passthrough and group overage from the spec', () => {
    expect(argValue(container.args, '--oidc-issuer-url')).to.equal('https://login.example.com/t/v2.0');
    expect(argValue(container.args, '--oidc-audience')).to.equal('api://kube');
    expect(argValue(container.args, '--oidc-username-prefix')).to.equal('aad:');
    expect(argValue(container.args, '--oidc-allowed-tenants')).to.equal('t1,t2');
    expect(container.args).to.include('--no-service-account-tokens');
    expect(argValue(container.args, '--graph-client-id')).to.equal('graph-app');
    expect(authModes(cc)).to.deep.equal(['oidc']);
  });

  it("mounts a private issuer CA from spec.authProxy.oidc.caBundle and passes --oidc-ca-file", () => {
    const pem = '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n';
    const withCa = sampleClusterConnect({ authProxy: { oidc: { issuerURL: 'https://idp.internal', audience: 'kube', caBundle: pem } } });
    const deployment = authProxyDeployment(withCa, settings);
    expect(argValue(deployment.spec!.template.spec!.containers[0]!.args, '--oidc-ca-file')).to.equal('/var/run/clusterconnect/oidc-ca/ca.crt');
    expect(deployment.spec!.template.spec!.volumes!.find((v) => v.name === 'oidc-ca')?.configMap?.name).to.equal('prod-kube-aad-proxy-oidc-ca');
    expect(oidcCaConfigMap(withCa)!.data).to.deep.equal({ 'ca.crt': pem });
    expect(oidcCaConfigMap(cc)).to.equal(undefined);
  });

  it('mounts a private Graph CA from spec.authProxy.groupOverage.caBundle and passes --graph-ca-file (Graph does not inherit the issuer CA)', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nG\n-----END CERTIFICATE-----\n';
    const overage = { clientId: 'graph-app', clientSecretRef: { name: 'g' } };
    const oidc = { issuerURL: 'https://idp.internal', audience: 'kube', caBundle: 'issuer PEM' };
    const withCa = sampleClusterConnect({ authProxy: { oidc, groupOverage: { ...overage, caBundle: pem } } });
    const pod = authProxyDeployment(withCa, settings).spec!.template.spec!;
    expect(argValue(pod.containers[0]!.args, '--graph-ca-file')).to.equal('/var/run/clusterconnect/graph-ca/ca.crt');
    expect(pod.volumes!.find((v) => v.name === 'graph-ca')?.configMap?.name).to.equal('prod-kube-aad-proxy-graph-ca');
    expect(pod.containers[0]!.volumeMounts!.find((m) => m.name === 'graph-ca')?.mountPath).to.equal('/var/run/clusterconnect/graph-ca');
    expect(graphCaConfigMap(withCa)!.data).to.deep.equal({ 'ca.crt': pem });
    const without = sampleClusterConnect({ authProxy: { oidc, groupOverage: overage } });
    expect(graphCaConfigMap(without)).to.equal(undefined);
    expect(argValue(authProxyDeployment(without, settings).spec!.template.spec!.containers[0]!.args, '--graph-ca-file')).to.equal(undefined);
  });

  it('is reached through a ClusterIP Service on 443 and serves the operator-issued certificate', () => {
    const service = authProxyService(cc);
    expect(service.spec!.type).to.equal('ClusterIP');
    expect(service.spec!.ports).to.deep.equal([{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }]);
    const tls = authProxyDeployment(cc, settings).spec!.template.spec!.volumes!.find((v) => v.name === 'tls');
    expect(tls?.secret?.secretName).to.equal(childNames(cc).authProxyCertificateSecret);
  });

  it('binds its service account to the impersonate-only ClusterRole and nothing else', () => {
    const binding = impersonatorBinding(cc);
    expect(binding.roleRef).to.deep.equal({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: IMPERSONATOR_CLUSTER_ROLE });
    expect(binding.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'prod-kube-aad-proxy', namespace: 'clusterconnect' }]);
    expect(binding.metadata!.ownerReferences).to.equal(undefined);
    expect(ownerKeyFromLabels(binding.metadata!.labels)).to.equal('clusterconnect/prod');
  });
});

describe('operator desired state: access bindings', () => {
  it('turns cluster-wide, namespaced-clusterRole and role grants into the right binding kinds', () => {
    const cc = sampleClusterConnect({
      access: [
        { name: 'admins', clusterRole: 'cluster-admin', users: ['11111111-aaaa'], groups: ['g-admins'] },
        { name: 'dev-view', clusterRole: 'view', namespace: 'dev', serviceAccounts: ['ci/deployer'] },
        { name: 'dev-custom', role: 'deployer', namespace: 'dev', groups: ['g-dev'] },
      ],
    });
    const [admins, devView, devCustom] = accessBindingObjects(cc);
    expect(admins!.kind).to.equal('ClusterRoleBinding');
    expect(admins!.metadata!.name).to.equal('clusterconnect:clusterconnect:prod:admins');
    expect(admins!.subjects).to.deep.equal([
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: '11111111-aaaa' },
      { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'g-admins' },
    ]);
    expect(devView!.kind).to.equal('RoleBinding');
    expect(devView!.metadata!.namespace).to.equal('dev');
    expect(devView!.roleRef).to.deep.equal({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });
    expect(devView!.subjects).to.deep.equal([{ kind: 'ServiceAccount', namespace: 'ci', name: 'deployer' }]);
    expect(devCustom!.roleRef).to.deep.equal({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' });
    for (const binding of [admins, devView, devCustom]) expect(ownerKeyFromLabels(binding!.metadata!.labels)).to.equal('clusterconnect/prod');
  });

  it('refuses a service account that is not namespace/name, naming the binding', () => {
    const cc = sampleClusterConnect({ access: [{ name: 'bad', clusterRole: 'view', serviceAccounts: ['deployer'] }] });
    expect(() => accessBindingObjects(cc)).to.throw('access binding bad: service account "deployer" must be namespace/name');
  });
});
