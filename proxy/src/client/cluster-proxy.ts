// `clusterconnect proxy` end to end, without the command line: ask the relay for the cluster's connection info,
// check it against a pinned CA, open the local listener and its relay session, write the kubeconfig, keep the
// relay credential fresh — and undo the kubeconfig change on close. All state lives in this process (the merge's
// undo record), so any number of proxies run side by side on their own ports.
import type { AddressInfo } from 'node:net';
import type { Logger } from '../common/logger.js';
import { checkPinnedCa } from './ca-pin.js';
import { startCredentialRenewal } from './credential-renewal.js';
import { buildKubeconfigEntries } from './kubeconfig/kubeconfig-entries.js';
import type { ExecUser, TokenUser } from './kubeconfig/kubeconfig-entries.js';
import type { MergeFileOutcome, RemoveFileOutcome } from './kubeconfig/kubeconfig-file.js';
import { fetchClusterInfo } from './relay-api.js';
import type { RelayApiError } from './relay-api.js';
import type { RelayCredential } from './relay-credential.js';
import { withRelayRetries } from './relay-retry.js';

export interface ClusterProxyOptions {
  cluster: string;
  relayUrl: URL;
  /** CA for the relay's own certificate (not the cluster's). */
  relayCaPem?: string;
  credential: RelayCredential;
  listenHost: string;
  listenPort: number;
  /** How long to keep retrying an unreachable relay before giving up. */
  relayWaitMs: number;
  /** --certificate-authority: the cluster CA the relay's copy must match. */
  pinnedCa?: { pem: string; file: string };
  kubeconfig: {
    /** A path, or '-' for stdout. */
    file: string;
    contextName: string;
    user: ExecUser | TokenUser;
    keep: boolean;
    stdout?: NodeJS.WritableStream;
  };
  logger: Logger;
  onRelayRetry?: (error: RelayApiError, delayMs: number, attempt: number) => void;
}

export interface ClusterProxy {
  address: AddressInfo;
  merge: MergeFileOutcome;
  /** Closes the listener and streams, then removes what the merge added (unless kept). */
  close(): Promise<RemoveFileOutcome | undefined>;
}

export async function startClusterProxy(options: ClusterProxyOptions): Promise<ClusterProxy> {
  const { credential, logger } = options;
  // Fails first (not logged in, unreadable token file) before anything is opened.
  const initial = await credential.current();
  // Loaded on use (ws, the tunnel, yaml): proxy-command.js is imported by every CLI run, get-token's included.
  const [{ startClientProxy }, kubeconfigFile] = await Promise.all([import('./client-proxy.js'), import('./kubeconfig/kubeconfig-file.js')]);
  const proxy = await startClientProxy(
    {
      cluster: options.cluster,
      relayUrl: options.relayUrl,
      token: async () => (await credential.current()).token,
      ...(options.relayCaPem ? { relayCaPem: options.relayCaPem } : {}),
      listenHost: options.listenHost,
      listenPort: options.listenPort,
      sessionWaitMs: 10_000,
    },
    logger,
  );
  try {
    // The info request and the tunnel session's dial run side by side, so "ready" follows the relay's answer at once.
    // The first attempt uses the token just fetched; retries fetch it again (a rotated file, a refreshed login).
    let firstToken: string | undefined = initial.token;
    const info = await withRelayRetries(
      async () => {
        const token = firstToken ?? (await credential.current()).token;
        firstToken = undefined;
        return fetchClusterInfo({ relayUrl: options.relayUrl, token, ...(options.relayCaPem ? { caPem: options.relayCaPem } : {}) }, options.cluster);
      },
      { maxWaitMs: options.relayWaitMs, ...(options.onRelayRetry ? { onRetry: options.onRelayRetry } : {}) },
    );
    logger.info('relay answered with the cluster connection info', { cluster: options.cluster, agents: info.agents, tlsServerName: info.tlsServerName });
    if (options.pinnedCa) checkPinnedCa(options.pinnedCa.pem, options.pinnedCa.file, info.caBundlePem, options.cluster);
    await proxy.relaySession.waitForSession(Math.max(options.relayWaitMs, 1_000));
    const entries = buildKubeconfigEntries({
      contextName: options.kubeconfig.contextName,
      host: proxy.address.address,
      port: proxy.address.port,
      caPem: options.pinnedCa?.pem ?? info.caBundlePem,
      tlsServerName: info.tlsServerName,
      user: options.kubeconfig.user,
    });
    const merge = await kubeconfigFile.mergeIntoKubeconfigFile(options.kubeconfig.file, entries, { ...(options.kubeconfig.stdout ? { stdout: options.kubeconfig.stdout } : {}) });
    const renewal = startCredentialRenewal({ credential, initial, renew: () => proxy.renewSession(), logger });
    let closing: Promise<RemoveFileOutcome | undefined> | undefined;
    return {
      address: proxy.address,
      merge,
      close() {
        closing ??= (async () => {
          renewal.stop();
          await proxy.close();
          if (!merge.undo || options.kubeconfig.keep) return undefined;
          return kubeconfigFile.removeFromKubeconfigFile(merge.file, merge.undo);
        })();
        return closing;
      },
    };
  } catch (error) {
    await proxy.close();
    throw error;
  }
}
