// `clusterconnect agent`: dials every configured relay and keeps those sessions up, announces the cluster's
// connection info, bridges each stream the relay opens to the upstream, and heartbeats a Lease while connected.
import { readSecretFlagFileAsync } from '../common/flag-file.js';
import { createLogger } from '../common/logger.js';
import type { Logger } from '../common/logger.js';
import { createRegistry, startOpsServer } from '../common/ops-server.js';
import type { OpsServer } from '../common/ops-server.js';
import { ReconnectingSession } from '../common/reconnecting-session.js';
import { dialRelay } from '../common/relay-dial.js';
import { relayEndpoint } from '../common/relay-url.js';
import { formatHostPort } from '../common/host-port.js';
import { CLUSTER_INFO_HEADER, encodeClusterInfoHeader } from '../relay/cluster-info.js';
import { waitForStreams } from '../tunnel/drain.js';
import { AGENT_TOKEN_DESCRIPTION } from './agent-config.js';
import type { AgentConfig } from './agent-config.js';
import { createAgentMetrics } from './agent-metrics.js';
import { LeaseHeartbeat, leaseApiFor } from './heartbeat-lease.js';
import type { LeaseApi } from './heartbeat-lease.js';
import { bridgeToUpstream } from './upstream-bridge.js';

export interface AgentHandle {
  opsUrl: string;
  /** Relays with a session that takes new streams. */
  connectedRelays(): number;
  heartbeat: LeaseHeartbeat | undefined;
  /** GOAWAY to every relay, wait for in-flight streams (bounded by the drain timeout), then close. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export interface AgentDependencies {
  logger?: Logger;
  leaseApi?: LeaseApi;
  env?: NodeJS.ProcessEnv;
}

export async function startAgent(config: AgentConfig, deps: AgentDependencies = {}): Promise<AgentHandle> {
  const logger = deps.logger ?? createLogger('agent');
  if (config.insecure) logger.warn('INSECURE: --insecure allows plain ws:// relay URLs; the relay token then crosses the network in clear text');
  const registry = createRegistry('clusterconnect_agent_');
  const metrics = createAgentMetrics(registry);
  const infoHeader = encodeClusterInfoHeader(config.clusterInfo);
  let draining = false;

  const heartbeat = config.heartbeat ? new LeaseHeartbeat(deps.leaseApi ?? leaseApiFor(config.heartbeat.kubeconfig), config.heartbeat, logger) : undefined;

  const links = config.relayUrls.map((base) => {
    const url = relayEndpoint(new URL(base), '/v1/agent/connect');
    const relay = url.origin;
    const linkLogger = logger.child({ relay });
    const link = new ReconnectingSession({
      relay,
      logger: linkLogger,
      dial: async () =>
        dialRelay({
          url,
          // Re-read on every dial: a rotated token (a projected or refreshed Secret) is picked up on reconnect.
          token: await readSecretFlagFileAsync(config.relayTokenFile, '--relay-token-file', AGENT_TOKEN_DESCRIPTION),
          headers: { [CLUSTER_INFO_HEADER]: infoHeader },
          ...(config.relayCaPem ? { caPem: config.relayCaPem } : {}),
          logger: linkLogger,
          ...(deps.env ? { env: deps.env } : {}),
        }),
    });
    link.on('up', (session) => {
      session.on('stream', (stream) => bridgeToUpstream(stream, { upstream: config.upstream, logger: linkLogger, metrics }));
    });
    return link;
  });

  const connectedRelays = () => links.filter((link) => link.current !== undefined).length;
  const onConnectivity = () => {
    const connected = connectedRelays();
    metrics.relayConnections.set(connected);
    if (!draining) heartbeat?.setActive(connected > 0);
  };
  for (const link of links) {
    link.on('up', onConnectivity);
    link.on('down', onConnectivity);
    link.start();
  }

  let ops: OpsServer;
  try {
    ops = await startOpsServer({
      host: config.opsHost,
      port: config.opsPort,
      registry,
      notReadyReason: () => (draining ? 'draining' : connectedRelays() === 0 ? `not connected to any relay (${links.map((l) => l.lastError?.message ?? 'connecting').join('; ')})` : undefined),
    });
  } catch (error) {
    for (const link of links) link.stop();
    throw error;
  }
  logger.info('agent started', {
    cluster: config.clusterName,
    relays: config.relayUrls.map((u) => u.origin),
    upstream: formatHostPort(config.upstream),
    opsUrl: ops.url,
    heartbeatLease: config.heartbeat ? `${config.heartbeat.namespace}/${config.heartbeat.name}` : undefined,
  });

  const allSessions = () => links.flatMap((link) => link.sessions);
  const close = async () => {
    for (const link of links) link.stop();
    for (const session of allSessions()) session.close('agent shutting down');
    await heartbeat?.stop();
    await ops.close();
  };

  return {
    opsUrl: ops.url,
    connectedRelays,
    heartbeat,
    async drain() {
      draining = true;
      for (const link of links) link.stop();
      for (const session of allSessions()) session.goAway('agent shutting down');
      await waitForStreams({ sessions: allSessions, timeoutMs: config.drainTimeoutMs, logger });
      await close();
    },
    close,
  };
}
