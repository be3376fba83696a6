// The cluster, user and context entries that reach one cluster through the local proxy. Pure: no files.
// TLS is end-to-end, so the cluster entry carries the cluster's kube-aad-proxy CA and the name its certificate
// holds, while the server is the local listener.
import { EXEC_API_VERSIONS } from '../login/exec-credential.js';
import { dialableHost, formatHostPort } from '../../common/host-port.js';

export interface ExecUser {
  kind: 'exec';
  /** Absolute path of the clusterconnect CLI (or node), see execCommandForThisCli. */
  command: string;
  args: string[];
}

export interface TokenUser {
  kind: 'token';
  /** A service-account token: it goes into the kubeconfig as `az connectedk8s proxy --token` puts it. */
  token: string;
}

export interface ClusterAccess {
  /** Context name; also the cluster entry's name (the az default: the cluster name). */
  contextName: string;
  /** Where the client proxy listens (`--address`); default and wildcard addresses become loopback. */
  host?: string;
  port: number;
  /** PEM bundle of the cluster's kube-aad-proxy CA. */
  caPem: string;
  /** The DNS name in the kube-aad-proxy certificate (the server is the local proxy's address). */
  tlsServerName?: string;
  user: ExecUser | TokenUser;
  namespace?: string;
}

export type NamedEntry = { name: string } & Record<string, unknown>;

export interface KubeconfigEntries {
  cluster: NamedEntry;
  user: NamedEntry;
  context: NamedEntry;
}

/** The exec credential version we write: the newest kubectl speaks. */
export const EXEC_API_VERSION = EXEC_API_VERSIONS[0];

export function userEntryName(contextName: string): string {
  return `clusterconnect-${contextName}`;
}

export function buildKubeconfigEntries(access: ClusterAccess): KubeconfigEntries {
  if (!Number.isInteger(access.port) || access.port < 1 || access.port > 65535) throw new RangeError(`port ${access.port} is not a TCP port`);
  if (!access.contextName) throw new Error('a context name is required');
  const userName = userEntryName(access.contextName);
  const cluster: Record<string, unknown> = {
    server: `https://${formatHostPort({ host: dialableHost(access.host), port: access.port })}`,
    'certificate-authority-data': Buffer.from(access.caPem, 'utf8').toString('base64'),
  };
  if (access.tlsServerName) cluster['tls-server-name'] = access.tlsServerName;
  const user: Record<string, unknown> =
    access.user.kind === 'token'
      ? { token: access.user.token }
      : {
          exec: {
            apiVersion: EXEC_API_VERSION,
            command: access.user.command,
            args: access.user.args,
            // kubectl passes a terminal through when it has one; the plugin itself never prompts.
            interactiveMode: 'IfAvailable',
            provideClusterInfo: false,
            installHint: 'clusterconnect is needed to get tokens for this cluster: npm install -g clusterconnect (or see the ClusterConnect README)',
          },
        };
  const context: Record<string, unknown> = { cluster: access.contextName, user: userName };
  if (access.namespace) context.namespace = access.namespace;
  return {
    cluster: { name: access.contextName, cluster },
    user: { name: userName, user },
    context: { name: access.contextName, context },
  };
}

/**
 * How a kubeconfig calls back into this CLI: the installed binary by absolute path, or `node <main.js>` when run
 * from a checkout, so kubectl finds it without relying on PATH.
 */
export function execCommandForThisCli(argv: readonly string[] = process.argv, execPath: string = process.execPath): { command: string; prefixArgs: string[] } {
  const script = argv[1];
  if (script && /\.(c|m)?js$/.test(script)) return { command: execPath, prefixArgs: [script] };
  if (script && script.startsWith('/')) return { command: script, prefixArgs: [] };
  return { command: 'clusterconnect', prefixArgs: [] };
}
