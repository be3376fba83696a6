// Operator-wide settings the desired objects depend on (from the operator's flags).
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
