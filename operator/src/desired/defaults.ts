// Operator-wide settings the desired objects depend on (from the operator's flags), and defaults of the spec.
import type { ClusterConnect } from '../api/clusterconnect.js';

export interface OperatorSettings {
  /** Image every role runs from when the ClusterConnect names none. */
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

export const OPS_PORT = 8081;
export const AUTH_PROXY_PORT = 8443;
export const AUTH_PROXY_SERVICE_PORT = 443;
/** Agents drain in-flight streams on SIGTERM; the pod gets this long before SIGKILL. */
export const AGENT_TERMINATION_GRACE_SECONDS = 60;
export const AGENT_DRAIN_SECONDS = 50;

/** Replicas of the agent and of kube-aad-proxy when the ClusterConnect names none. */
export const DEFAULT_REPLICAS = 2;

/** The key of the relay credentials Secret that holds the agent's token (spec.relay.credentialsSecretRef.key). */
export function relayCredentialsKey(cc: ClusterConnect): string {
  return cc.spec.relay.credentialsSecretRef.key ?? 'token';
}

/** Whether kube-aad-proxy accepts Kubernetes service account tokens (spec.authProxy.serviceAccountTokens.enabled). */
export function serviceAccountTokensEnabled(cc: ClusterConnect): boolean {
  return cc.spec.authProxy?.serviceAccountTokens?.enabled ?? true;
}
