// The ClusterConnect resource as the operator sees it (the schema itself lives in crds/clusterconnect.yaml).
import type { V1ObjectMeta } from '@kubernetes/client-node';

export const GROUP = 'clusterconnect.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'ClusterConnect';
export const PLURAL = 'clusterconnects';

export interface SecretKeyRef {
  name: string;
  key?: string;
}

export interface ResourceRequirements {
  requests?: Record<string, string | number>;
  limits?: Record<string, string | number>;
}

export interface OidcSpec {
  issuerURL: string;
  audience: string;
  usernameClaim?: string;
  usernamePrefix?: string;
  groupsClaim?: string;
  groupsPrefix?: string;
  allowedTenants?: string[];
  caBundle?: string;
}

export interface AccessBinding {
  name: string;
  clusterRole?: string;
  role?: string;
  namespace?: string;
  users?: string[];
  groups?: string[];
  /** namespace/name */
  serviceAccounts?: string[];
}

export interface ClusterConnectSpec {
  clusterName: string;
  relay: { url: string; allowInsecure?: boolean; credentialsSecretRef: SecretKeyRef; caBundle?: string };
  agent?: { replicas?: number; image?: string; resources?: ResourceRequirements; httpsProxy?: string; noProxy?: string };
  authProxy?: {
    replicas?: number;
    image?: string;
    resources?: ResourceRequirements;
    oidc?: OidcSpec;
    serviceAccountTokens?: { enabled?: boolean };
    groupOverage?: { clientId: string; clientSecretRef: SecretKeyRef; authorityURL?: string; graphURL?: string; caBundle?: string };
  };
  access?: AccessBinding[];
}

/** metav1.Condition as it travels in JSON (times are RFC 3339 strings). */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export interface ClusterConnectStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  connectedAgents?: number;
  desiredAgents?: number;
  agents?: string;
  lastHeartbeatTime?: string;
  caBundle?: string;
  authProxyServerName?: string;
}

export interface ClusterConnect {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: V1ObjectMeta & { name: string; namespace: string };
  spec: ClusterConnectSpec;
  status?: ClusterConnectStatus;
}

/** The queue key of a ClusterConnect: namespace/name. */
export function keyOf(cc: { metadata: { namespace?: string; name?: string } }): string {
  return `${cc.metadata.namespace ?? ''}/${cc.metadata.name ?? ''}`;
}

export function parseKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
