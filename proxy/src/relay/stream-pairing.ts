// Joins a stream a client opened on its session to a new stream the relay opens on one of the cluster's agent
// sessions, byte for byte both ways. Backpressure is the streams' own: pipe() stops reading one side while the
// other side's credit is used up, so a slow reader at either end holds at most one window in the relay.
import type { Logger } from '../common/logger.js';
import { TunnelOpenError } from '../tunnel/errors.js';
import type { TunnelStream } from '../tunnel/stream.js';
import type { AgentRegistry } from './agent-registry.js';
import type { RelayMetrics } from './relay-metrics.js';

export interface PairingContext {
  registry: AgentRegistry;
  /** How the relay names itself in errors (its public host or replica id). */
  relayName: string;
  logger: Logger;
  metrics: RelayMetrics;
  /** The relay is shutting down: refuse new streams so the client retries elsewhere. */
  draining: () => boolean;
}

export function noAgentMessage(cluster: string, relayName: string, lastSeen: Date | undefined): string {
  const seen = lastSeen ? ` (last seen ${lastSeen.toISOString()})` : ' (this relay has not seen one since it started)';
  return `no agent is connected for cluster ${cluster} at relay ${relayName}${seen}`;
}

/** Pipes a to b and b to a, keeping half-close; an error on either side resets the other with the same reason. */
export function joinStreams(clientStream: TunnelStream, agentStream: TunnelStream, onBytes: (direction: 'client_to_agent' | 'agent_to_client', bytes: number) => void): void {
  clientStream.on('data', (chunk: Buffer) => onBytes('client_to_agent', chunk.length));
  agentStream.on('data', (chunk: Buffer) => onBytes('agent_to_client', chunk.length));
  clientStream.pipe(agentStream);
  agentStream.pipe(clientStream);
  const abort = (other: TunnelStream) => (error: Error) => {
    if (!other.destroyed) other.destroy(error);
  };
  clientStream.on('error', abort(agentStream));
  agentStream.on('error', abort(clientStream));
  // A stream destroyed without an error (its session went away cleanly) must not leave the other one hanging.
  const closeOther = (self: TunnelStream, other: TunnelStream) => () => {
    if (!other.destroyed && !(self.readableEnded && self.writableFinished)) other.destroy(new Error('the other side of the relay closed the stream'));
  };
  clientStream.on('close', closeOther(clientStream, agentStream));
  agentStream.on('close', closeOther(agentStream, clientStream));
}

/** Handles one stream a client opened for `cluster`: pick an agent, open, join; or reject with the reason. */
export function routeClientStream(clientStream: TunnelStream, cluster: string, context: PairingContext): void {
  const { registry, logger, metrics } = context;
  clientStream.on('error', () => undefined);
  if (context.draining()) {
    metrics.errors.inc({ reason: 'draining' });
    return clientStream.reject(`relay ${context.relayName} is shutting down; reconnect to another relay replica`);
  }
  const agent = registry.pick(cluster);
  if (!agent) {
    metrics.errors.inc({ reason: 'no_agent' });
    metrics.streamsTotal.inc({ result: 'rejected' });
    const connected = registry.agents(cluster).length;
    const reason =
      connected > 0
        ? `all ${connected} agents of cluster ${cluster} at relay ${context.relayName} are draining; retry in a moment`
        : noAgentMessage(cluster, context.relayName, registry.lastSeen(cluster));
    logger.info('client stream refused', { cluster, reason });
    return clientStream.reject(reason);
  }
  let agentStream: TunnelStream;
  try {
    agentStream = agent.session.openStream(cluster, { relay: context.relayName });
  } catch (error) {
    metrics.errors.inc({ reason: 'agent_open_failed' });
    metrics.streamsTotal.inc({ result: 'rejected' });
    return clientStream.reject(`agent ${agent.id} of cluster ${cluster} could not take the stream: ${(error as Error).message}`);
  }
  metrics.streamsOpen.inc();
  let accounted = false;
  const finish = () => {
    if (accounted) return;
    accounted = true;
    metrics.streamsOpen.dec();
  };
  agentStream.once('open', () => {
    metrics.streamsTotal.inc({ result: 'accepted' });
    clientStream.accept();
  });
  agentStream.once('error', (error) => {
    if (error instanceof TunnelOpenError && !clientStream.isAccepted && !clientStream.destroyed) {
      // The agent could not reach its upstream: the client gets the agent's sentence, which names the upstream.
      metrics.errors.inc({ reason: 'upstream_unreachable' });
      metrics.streamsTotal.inc({ result: 'rejected' });
      logger.info('agent refused a stream', { cluster, agent: agent.id, reason: error.reason });
      clientStream.reject(error.reason);
    }
  });
  agentStream.once('close', finish);
  clientStream.once('close', finish);
  joinStreams(clientStream, agentStream, (direction, bytes) => metrics.bytes.inc({ direction }, bytes));
}
