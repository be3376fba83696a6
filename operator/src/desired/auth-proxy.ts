// kube-aad-proxy: ServiceAccount (bound only to the impersonate-only ClusterRole), Deployment and ClusterIP Service.
// Its TLS Secret comes from desired/certificates.ts.
import type {
  V1ClusterRoleBinding, V1ConfigMap, V1Deployment, V1Service, V1ServiceAccount, V1Volume, V1VolumeMount,
} from '@kubernetes/client-node';
import type { AuthMode } from '../../../proxy/src/relay/cluster-info.js';
import type { ClusterConnect } from '../api/clusterconnect.js';
import { AUTH_PROXY_PORT, AUTH_PROXY_SERVICE_PORT, OPS_PORT, serviceAccountTokensEnabled, type OperatorSettings } from './defaults.js';
import { labelledMeta, ownedMeta } from './meta.js';
import { IMPERSONATOR_CLUSTER_ROLE, childNames } from './names.js';
import { roleDeployment, roleSelector } from './role-deployment.js';

const TLS_DIR = '/var/run/clusterconnect/tls';
const GRAPH_SECRET_DIR = '/var/run/clusterconnect/graph';
const OIDC_CA_DIR = '/var/run/clusterconnect/oidc-ca';
const GRAPH_CA_DIR = '/var/run/clusterconnect/graph-ca';

/** The ways a caller can authenticate, as the agent announces them to clients. */
export function authModes(cc: ClusterConnect): AuthMode[] {
  const modes: AuthMode[] = [];
  if (cc.spec.authProxy?.oidc) modes.push('oidc');
  if (serviceAccountTokensEnabled(cc)) modes.push('serviceaccount');
  return modes;
}

/** The issuer's private CA (spec.authProxy.oidc.caBundle), mounted for kube-aad-proxy; undefined for public issuers. */
export function oidcCaConfigMap(cc: ClusterConnect): V1ConfigMap | undefined {
  return caConfigMap(cc, childNames(cc).oidcCa, cc.spec.authProxy?.oidc?.caBundle);
}

/** A private Graph or token authority CA (spec.authProxy.groupOverage.caBundle); undefined for the public Graph. */
export function graphCaConfigMap(cc: ClusterConnect): V1ConfigMap | undefined {
  return caConfigMap(cc, childNames(cc).graphCa, cc.spec.authProxy?.groupOverage?.caBundle);
}

function caConfigMap(cc: ClusterConnect, name: string, pem: string | undefined): V1ConfigMap | undefined {
  if (!pem) return undefined;
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: ownedMeta(cc, name, 'kube-aad-proxy'), data: { 'ca.crt': pem } };
}

export function authProxyServiceAccount(cc: ClusterConnect): V1ServiceAccount {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: ownedMeta(cc, childNames(cc).authProxy, 'kube-aad-proxy') };
}

/** kube-aad-proxy may impersonate and nothing else (the ClusterRole ships with the Helm chart). */
export function impersonatorBinding(cc: ClusterConnect): V1ClusterRoleBinding {
  const names = childNames(cc);
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: labelledMeta(cc, names.impersonatorBinding, 'kube-aad-proxy'),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: IMPERSONATOR_CLUSTER_ROLE },
    subjects: [{ kind: 'ServiceAccount', name: names.authProxy, namespace: cc.metadata.namespace }],
  };
}

function authProxyArgs(cc: ClusterConnect): string[] {
  const spec = cc.spec.authProxy ?? {};
  const args = [
    'auth-proxy',
    `--port=${AUTH_PROXY_PORT}`,
    `--ops-port=${OPS_PORT}`,
    `--tls-cert-file=${TLS_DIR}/tls.crt`,
    `--tls-key-file=${TLS_DIR}/tls.key`,
  ];
  const oidc = spec.oidc;
  if (oidc) {
    args.push(`--oidc-issuer-url=${oidc.issuerURL}`, `--oidc-audience=${oidc.audience}`, `--oidc-username-claim=${oidc.usernameClaim ?? 'oid'}`);
    if (oidc.usernamePrefix) args.push(`--oidc-username-prefix=${oidc.usernamePrefix}`);
    args.push(`--oidc-groups-claim=${oidc.groupsClaim ?? 'groups'}`);
    if (oidc.groupsPrefix) args.push(`--oidc-groups-prefix=${oidc.groupsPrefix}`);
    if (oidc.allowedTenants?.length) args.push(`--oidc-allowed-tenants=${oidc.allowedTenants.join(',')}`);
    if (oidc.caBundle) args.push(`--oidc-ca-file=${OIDC_CA_DIR}/ca.crt`);
  }
  args.push(serviceAccountTokensEnabled(cc) ? '--service-account-tokens' : '--no-service-account-tokens');
  const overage = spec.groupOverage;
  if (overage) {
    args.push(`--graph-client-id=${overage.clientId}`, `--graph-client-secret-file=${GRAPH_SECRET_DIR}/client-secret`);
    if (overage.authorityURL) args.push(`--graph-authority=${overage.authorityURL}`);
    if (overage.graphURL) args.push(`--graph-url=${overage.graphURL}`);
    if (overage.caBundle) args.push(`--graph-ca-file=${GRAPH_CA_DIR}/ca.crt`);
  }
  return args;
}

export function authProxyDeployment(cc: ClusterConnect, settings: OperatorSettings): V1Deployment {
  const names = childNames(cc);
  const spec = cc.spec.authProxy ?? {};
  const volumes: V1Volume[] = [
    { name: 'tls', secret: { secretName: names.authProxyCertificateSecret, items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }] } },
  ];
  const mounts: V1VolumeMount[] = [{ name: 'tls', mountPath: TLS_DIR, readOnly: true }];
  if (spec.oidc?.caBundle) {
    volumes.push({ name: 'oidc-ca', configMap: { name: names.oidcCa } });
    mounts.push({ name: 'oidc-ca', mountPath: OIDC_CA_DIR, readOnly: true });
  }
  if (spec.groupOverage) {
    const ref = spec.groupOverage.clientSecretRef;
    volumes.push({ name: 'graph', secret: { secretName: ref.name, items: [{ key: ref.key ?? 'clientSecret', path: 'client-secret' }] } });
    mounts.push({ name: 'graph', mountPath: GRAPH_SECRET_DIR, readOnly: true });
    if (spec.groupOverage.caBundle) {
      volumes.push({ name: 'graph-ca', configMap: { name: names.graphCa } });
      mounts.push({ name: 'graph-ca', mountPath: GRAPH_CA_DIR, readOnly: true });
    }
  }
  return roleDeployment(cc, settings, {
    name: names.authProxy,
    component: 'kube-aad-proxy',
    containerName: 'kube-aad-proxy',
    serviceAccountName: names.authProxy,
    replicas: spec.replicas,
    image: spec.image,
    args: authProxyArgs(cc),
    ports: [{ name: 'https', containerPort: AUTH_PROXY_PORT }],
    resources: spec.resources,
    defaultResources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
    volumes,
    mounts,
    // exec and port-forward sessions are long; give them time to end on a rollout.
    terminationGracePeriodSeconds: 60,
  });
}

export function authProxyService(cc: ClusterConnect): V1Service {
  const names = childNames(cc);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMeta(cc, names.authProxyService, 'kube-aad-proxy'),
    spec: {
      type: 'ClusterIP',
      selector: roleSelector(cc, 'kube-aad-proxy'),
      ports: [{ name: 'https', port: AUTH_PROXY_SERVICE_PORT, targetPort: 'https', protocol: 'TCP' }],
    },
  };
}
