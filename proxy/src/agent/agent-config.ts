// The agent's settings, from the flags the operator's Deployment passes (see cli/agent-command.ts), validated up
// front so a bad flag stops the agent with one sentence instead of a crash loop with a stack trace.
import { readCaBundleFlag } from '../common/ca-bundle.js';
import { parseDuration } from '../common/duration.js';
import { readSecretFlagFile } from '../common/flag-file.js';
import { parseHostPort } from '../common/host-port.js';
import type { HostPort } from '../common/host-port.js';
import { parsePort } from '../common/port.js';
import { parseRelayUrl } from '../common/relay-url.js';
import { AUTH_MODES, validateClusterInfo } from '../relay/cluster-info.js';
import type { AuthMode, ClusterConnectionInfo } from '../relay/cluster-info.js';
import { checkClusterName } from '../relay/cluster-name.js';

/** What --relay-token-file holds, for the message when it is empty: at start and on every dial. */
export const AGENT_TOKEN_DESCRIPTION = "the agent's relay token";

export interface HeartbeatLeaseConfig {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** Outside a cluster; in-cluster configuration otherwise. */
  kubeconfig?: string;
}

export interface AgentConfig {
  clusterName: string;
  relayUrls: URL[];
  relayTokenFile: string;
  relayCaPem?: string;
  upstream: HostPort;
  /** What the agent announces to the relay for clients. */
  clusterInfo: ClusterConnectionInfo;
  heartbeat?: HeartbeatLeaseConfig;
  opsHost: string;
  opsPort: number;
  drainTimeoutMs: number;
  insecure: boolean;
}

/** The flags as commander hands them over (strings, repeatables as arrays). */
export interface AgentFlags {
  clusterName?: string;
  relayUrl?: string[];
  relayTokenFile?: string;
  relayCaFile?: string;
  upstream?: string;
  upstreamCaFile?: string;
  upstreamServerName?: string;
  authModes?: string;
  heartbeatLeaseName?: string;
  heartbeatLeaseNamespace?: string;
  heartbeatLeaseLabels?: string;
  kubeconfig?: string;
  opsPort?: string;
  opsHost?: string;
  drainTimeout?: string;
  insecure?: boolean;
}

function required<T>(value: T | undefined, flag: string): T {
  if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) throw new Error(`${flag} is required`);
  return value;
}

/** "k=v,k=v" into labels, checked against Kubernetes label syntax (prefix/name=value). */
export function parseLabels(text: string | undefined, flag: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!text) return labels;
  const key = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
  const value = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const at = pair.indexOf('=');
    const k = pair.slice(0, at).trim();
    const v = pair.slice(at + 1).trim();
    if (at < 0 || !key.test(k) || !value.test(v)) throw new Error(`${flag} "${pair}" is not a Kubernetes label key=value`);
    labels[k] = v;
  }
  return labels;
}

export function parseAuthModes(text: string | undefined): AuthMode[] {
  const modes = (text ?? 'oidc').split(',').map((m) => m.trim()).filter((m) => m !== '');
  for (const mode of modes) {
    if (!(AUTH_MODES as readonly string[]).includes(mode)) throw new Error(`--auth-modes: "${mode}" is not one of ${AUTH_MODES.join(', ')}`);
  }
  if (modes.length === 0) throw new Error(`--auth-modes needs at least one of ${AUTH_MODES.join(', ')}`);
  return modes as AuthMode[];
}

export function agentConfigFromFlags(flags: AgentFlags): AgentConfig {
  const insecure = flags.insecure === true;
  const clusterName = checkClusterName(required(flags.clusterName, '--cluster-name'));
  const relayUrls = required(flags.relayUrl, '--relay-url').map((u) => parseRelayUrl(u, insecure));
  const relayTokenFile = required(flags.relayTokenFile, '--relay-token-file');
  // Read now only to fail fast; it is read again on every reconnect so a rotated token is picked up.
  readSecretFlagFile(relayTokenFile, '--relay-token-file', AGENT_TOKEN_DESCRIPTION);
  const upstream = parseHostPort(required(flags.upstream, '--upstream'), '--upstream');
  const caBundlePem = readCaBundleFlag(required(flags.upstreamCaFile, '--upstream-ca-file'), '--upstream-ca-file');
  const tlsServerName = required(flags.upstreamServerName, '--upstream-server-name');
  let clusterInfo: ClusterConnectionInfo;
  try {
    clusterInfo = validateClusterInfo({ cluster: clusterName, caBundlePem, tlsServerName, authModes: parseAuthModes(flags.authModes) });
  } catch (error) {
    throw new Error(`the cluster connection info to announce is not valid: ${(error as Error).message} (check --upstream-ca-file and --upstream-server-name)`, { cause: error });
  }
  let heartbeat: HeartbeatLeaseConfig | undefined;
  if (flags.heartbeatLeaseName) {
    heartbeat = {
      name: flags.heartbeatLeaseName,
      namespace: required(flags.heartbeatLeaseNamespace, '--heartbeat-lease-namespace (with --heartbeat-lease-name)'),
      labels: parseLabels(flags.heartbeatLeaseLabels, '--heartbeat-lease-labels'),
      ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
    };
  }
  return {
    clusterName,
    relayUrls,
    relayTokenFile,
    ...(flags.relayCaFile ? { relayCaPem: readCaBundleFlag(flags.relayCaFile, '--relay-ca-file') } : {}),
    upstream,
    clusterInfo,
    ...(heartbeat ? { heartbeat } : {}),
    opsHost: flags.opsHost ?? '0.0.0.0',
    opsPort: parsePort(flags.opsPort, '--ops-port', 8081),
    drainTimeoutMs: parseDuration(flags.drainTimeout ?? '50s', '--drain-timeout'),
    insecure,
  };
}
