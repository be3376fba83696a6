// What a client needs to reach a cluster through the relay, as its agent announces it on connect: the CA bundle
// of kube-aad-proxy's certificate, the TLS server name that certificate carries, and the auth modes enabled.
// Carried as one header of base64url JSON, so the agent's WebSocket upgrade is the whole announcement.
import { PEM_CERTIFICATE } from '../common/ca-bundle.js';
import { checkClusterName } from './cluster-name.js';

export const CLUSTER_INFO_HEADER = 'x-clusterconnect-cluster-info';

export const AUTH_MODES = ['oidc', 'serviceaccount'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export interface ClusterConnectionInfo {
  cluster: string;
  /** PEM bundle that verifies kube-aad-proxy's serving certificate (goes into the client's kubeconfig). */
  caBundlePem: string;
  /** The name kube-aad-proxy's certificate is valid for (kubeconfig tls-server-name). */
  tlsServerName: string;
  authModes: AuthMode[];
}

/** Node's default header limit is 16 KiB for all headers; a CA bundle of a few certificates fits well below. */
export const MAX_CLUSTER_INFO_HEADER_BYTES = 12 * 1024;
const SERVER_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Checks every field; throws a sentence naming the bad one. */
export function validateClusterInfo(value: unknown): ClusterConnectionInfo {
  if (typeof value !== 'object' || value === null) throw new Error('cluster info is not a JSON object');
  const { cluster, caBundlePem, tlsServerName, authModes } = value as Record<string, unknown>;
  if (typeof cluster !== 'string') throw new Error('cluster info has no cluster name');
  checkClusterName(cluster);
  if (typeof caBundlePem !== 'string' || !PEM_CERTIFICATE.test(caBundlePem)) throw new Error('cluster info caBundlePem holds no PEM certificate');
  if (typeof tlsServerName !== 'string' || !SERVER_NAME.test(tlsServerName)) throw new Error('cluster info tlsServerName is not a DNS name');
  if (!Array.isArray(authModes) || authModes.length === 0 || !authModes.every((m) => (AUTH_MODES as readonly unknown[]).includes(m))) {
    throw new Error(`cluster info authModes must be a non-empty list of ${AUTH_MODES.join(', ')}`);
  }
  return { cluster, caBundlePem, tlsServerName, authModes: [...new Set(authModes as AuthMode[])] };
}

export function encodeClusterInfoHeader(info: ClusterConnectionInfo): string {
  const value = Buffer.from(JSON.stringify(validateClusterInfo(info)), 'utf8').toString('base64url');
  if (value.length > MAX_CLUSTER_INFO_HEADER_BYTES) throw new Error(`cluster info is ${value.length} bytes encoded, limit ${MAX_CLUSTER_INFO_HEADER_BYTES}: trim the CA bundle`);
  return value;
}

export function decodeClusterInfoHeader(header: string | undefined): ClusterConnectionInfo {
  if (!header) throw new Error(`the ${CLUSTER_INFO_HEADER} header is missing`);
  if (header.length > MAX_CLUSTER_INFO_HEADER_BYTES) throw new Error(`the ${CLUSTER_INFO_HEADER} header exceeds ${MAX_CLUSTER_INFO_HEADER_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  } catch {
    throw new Error(`the ${CLUSTER_INFO_HEADER} header is not base64url JSON`);
  }
  return validateClusterInfo(parsed);
}
