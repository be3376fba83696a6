// The clusterconnect-agent: a ServiceAccount, a RoleBinding to renew its heartbeat Lease, and a Deployment that only dials
// out (no Service). The agent announces kube-aad-proxy's CA and server name to the relay, so clients can pin them.
import type { V1ClusterRole, V1ConfigMap, V1Deployment, V1EnvVar, V1RoleBinding, V1ServiceAccount, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { ClusterConnect } from '../api/clusterconnect.js';
import { childLabels } from '../api/labels.js';
import { AGENT_DRAIN_SECONDS, AGENT_TERMINATION_GRACE_SECONDS, AUTH_PROXY_SERVICE_PORT, OPS_PORT, relayCredentialsKey, type OperatorSettings } from './defaults.js';
import { ownedMeta } from './meta.js';
import { childNames } from './names.js';
import { authModes } from './auth-proxy.js';
import { roleDeployment } from './role-deployment.js';

const RELAY_TOKEN_DIR = '/var/run/clusterconnect/relay';
const UPSTREAM_CA_DIR = '/var/run/clusterconnect/upstream';
const RELAY_CA_DIR = '/var/run/clusterconnect/relay-ca';

export function agentServiceAccount(cc: ClusterConnect): V1ServiceAccount {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: ownedMeta(cc, childNames(cc).agent, 'agent') };
}

/** The ClusterRole (shipped by the Helm chart) an agent's heartbeat needs: its Leases, in its namespace only
 *  (granted through a RoleBinding). Shipped rather than created so the operator needs `bind`, not `escalate`. */
export const AGENT_HEARTBEAT_CLUSTER_ROLE = 'clusterconnect-agent-heartbeat';

export function agentHeartbeatClusterRole(): V1ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: AGENT_HEARTBEAT_CLUSTER_ROLE, labels: { 'app.kubernetes.io/part-of': 'clusterconnect' } },
    rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create', 'get', 'update', 'patch'] }],
  };
}

export function agentHeartbeatRoleBinding(cc: ClusterConnect): V1RoleBinding {
  const names = childNames(cc);
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: ownedMeta(cc, names.agentHeartbeatBinding, 'agent'),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: AGENT_HEARTBEAT_CLUSTER_ROLE },
    subjects: [{ kind: 'ServiceAccount', name: names.agent, namespace: cc.metadata.namespace }],
  };
}

/** Labels the agent puts on its heartbeat Lease, so the operator finds it. */
export function heartbeatLeaseLabels(cc: ClusterConnect): Record<string, string> {
  return childLabels(cc.metadata, 'agent-heartbeat');
}

function agentArgs(cc: ClusterConnect): string[] {
  const names = childNames(cc);
  const labels = Object.entries(heartbeatLeaseLabels(cc)).map(([k, v]) => `${k}=${v}`).join(',');
  const args = [
    'agent',
    `--cluster-name=${cc.spec.clusterName}`,
    `--relay-url=${cc.spec.relay.url}`,
    `--relay-token-file=${RELAY_TOKEN_DIR}/token`,
    `--upstream=${names.authProxyServerName}:${AUTH_PROXY_SERVICE_PORT}`,
    `--upstream-ca-file=${UPSTREAM_CA_DIR}/ca.crt`,
    `--upstream-server-name=${names.authProxyServerName}`,
    `--auth-modes=${authModes(cc).join(',')}`,
    // Kubernetes expands $(VAR) from the container's env: one Lease per pod.
    '--heartbeat-lease-name=$(POD_NAME)',
    '--heartbeat-lease-namespace=$(POD_NAMESPACE)',
    `--heartbeat-lease-labels=${labels}`,
    `--ops-port=${OPS_PORT}`,
    `--drain-timeout=${AGENT_DRAIN_SECONDS}s`,
  ];
  if (cc.spec.relay.caBundle) args.push(`--relay-ca-file=${RELAY_CA_DIR}/ca.crt`);
  if (cc.spec.relay.allowInsecure) args.push('--insecure');
  return args;
}

function agentEnv(cc: ClusterConnect): V1EnvVar[] {
  const env: V1EnvVar[] = [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
  ];
  const agent = cc.spec.agent ?? {};
  // Both spellings: Node's and Go's tooling read either.
  if (agent.httpsProxy) env.push({ name: 'HTTPS_PROXY', value: agent.httpsProxy }, { name: 'https_proxy', value: agent.httpsProxy });
  if (agent.noProxy) env.push({ name: 'NO_PROXY', value: agent.noProxy }, { name: 'no_proxy', value: agent.noProxy });
  return env;
}

/** A private relay CA (spec.relay.caBundle), mounted for the agent; undefined when the relay has a public certificate. */
export function relayCaConfigMap(cc: ClusterConnect): V1ConfigMap | undefined {
  if (!cc.spec.relay.caBundle) return undefined;
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: ownedMeta(cc, childNames(cc).relayCa, 'agent'), data: { 'ca.crt': cc.spec.relay.caBundle } };
}

export function agentDeployment(cc: ClusterConnect, settings: OperatorSettings): V1Deployment {
  const names = childNames(cc);
  const relayKey = relayCredentialsKey(cc);
  const volumes: V1Volume[] = [
    { name: 'relay-credentials', secret: { secretName: cc.spec.relay.credentialsSecretRef.name, items: [{ key: relayKey, path: 'token' }], defaultMode: 0o440 } },
    { name: 'upstream-ca', secret: { secretName: names.authProxyCertificateSecret, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
  ];
  const mounts: V1VolumeMount[] = [
    { name: 'relay-credentials', mountPath: RELAY_TOKEN_DIR, readOnly: true },
    { name: 'upstream-ca', mountPath: UPSTREAM_CA_DIR, readOnly: true },
  ];
  if (cc.spec.relay.caBundle) {
    volumes.push({ name: 'relay-ca', configMap: { name: names.relayCa } });
    mounts.push({ name: 'relay-ca', mountPath: RELAY_CA_DIR, readOnly: true });
  }
  const agent = cc.spec.agent ?? {};
  // maxUnavailable 0 (in roleDeployment): a rollout never drops the cluster off the relay.
  return roleDeployment(cc, settings, {
    name: names.agent,
    component: 'agent',
    containerName: 'agent',
    serviceAccountName: names.agent,
    replicas: agent.replicas,
    image: agent.image,
    args: agentArgs(cc),
    env: agentEnv(cc),
    resources: agent.resources,
    defaultResources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
    volumes,
    mounts,
    terminationGracePeriodSeconds: AGENT_TERMINATION_GRACE_SECONDS,
  });
}
