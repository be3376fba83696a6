// Names of a ClusterConnect's children. Namespaced ones are prefixed by the CR's name; cluster-scoped ones also
// carry its namespace, so two ClusterConnects of the same name in two namespaces never collide.
import type { ClusterConnect } from '../api/clusterconnect.js';

export interface ChildNames {
  agent: string;
  agentHeartbeatBinding: string;
  relayCa: string;
  oidcCa: string;
  graphCa: string;
  authProxy: string;
  authProxyService: string;
  authProxyCertificateSecret: string;
  authProxyCaSecret: string;
  impersonatorBinding: string;
  /** DNS name in the serving certificate, what the agent dials and kubeconfigs name as tls-server-name. */
  authProxyServerName: string;
  accessBinding: (bindingName: string) => string;
}

/** The ClusterRole (shipped by the Helm chart) that holds only impersonate rights. */
export { DEFAULT_IMPERSONATOR_ROLE as IMPERSONATOR_CLUSTER_ROLE } from '../../../proxy/src/authproxy/impersonator-rbac.js';

export function childNames(cc: Pick<ClusterConnect, 'metadata'>): ChildNames {
  const { name, namespace } = cc.metadata;
  const authProxy = `${name}-kube-aad-proxy`;
  return {
    agent: `${name}-agent`,
    agentHeartbeatBinding: `${name}-agent-heartbeat`,
    relayCa: `${name}-relay-ca`,
    oidcCa: `${authProxy}-oidc-ca`,
    graphCa: `${authProxy}-graph-ca`,
    authProxy,
    authProxyService: authProxy,
    authProxyCertificateSecret: `${authProxy}-certificate`,
    authProxyCaSecret: `${authProxy}-ca`,
    impersonatorBinding: `clusterconnect:${namespace}:${name}:impersonator`,
    authProxyServerName: `${authProxy}.${namespace}.svc`,
    accessBinding: (bindingName) => (`clusterconnect:${namespace}:${name}:${bindingName}`),
  };
}
