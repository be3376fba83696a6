// Routes a stream a client opened on its session to a new stream the relay opens on one of the cluster's agent
// sessions, and splices the two at the frame level (stream-splice.ts), or refuses it with a reason the user can act on.
import type { Logger } from '../common/logger.js';
import { ResetCode } from '../tunnel/frame.js';
import type { FrameStream } from '../tunnel/frame-stream.js';
import type { AgentRegistry } from './agent-registry.js';
import type { RelayMetrics } from './relay-metrics.js';
import { spliceStreams } from './stream-splice.js';

export interface PairingContext {
  registry: AgentRegistry;
  /** How the relay names itself in errors (its public host or replica id). */
  relayName: string;
  logger: Logger;
  metrics: RelayMetrics;
}

export function noAgentMessage(cluster: string, relayName: string, lastSeen: Date | undefined): string {
  const seen = lastSeen ? ` (last seen ${lastSeen.toISOString()})` : ' (this relay has not seen one since it started)';
  return `no agent is connected for cluster ${cluster} at relay ${relayName}${seen}`;
}

/** Handles one stream a client opened for `cluster`: pick an agent, open, splice; or refuse with the reason. */
export function routeClientStream(clientStream: FrameStream, cluster: string, context: PairingContext): void {
  const { registry, logger, metrics } = context;
  const refuse = (reason: string, code: number = ResetCode.OpenFailed) => clientStream.reset(code, reason);
  // A draining relay needs no check here: drain() sends GOAWAY first, and a session refuses new streams after it.
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
    return refuse(reason);
  }
  let agentStream: FrameStream;
  try {
    agentStream = agent.session.openFrameStream(cluster, { relay: context.relayName });
  } catch (error) {
    metrics.errors.inc({ reason: 'agent_open_failed' });
    metrics.streamsTotal.inc({ result: 'rejected' });
    return refuse(`agent ${agent.id} of cluster ${cluster} could not take the stream: ${(error as Error).message}`);
  }
  metrics.streamsOpen.inc();
  spliceStreams(clientStream, agentStream, {
    bytes: (direction, count) => metrics.bytes.add(direction, count),
    accepted: () => metrics.streamsTotal.inc({ result: 'accepted' }),
    refused(reason) {
      // The agent could not reach its upstream: the client gets the agent's sentence, which names the upstream.
      metrics.errors.inc({ reason: 'upstream_unreachable' });
      metrics.streamsTotal.inc({ result: 'rejected' });
      logger.info('agent refused a stream', { cluster, agent: agent.id, reason });
    },
    finished: () => metrics.streamsOpen.dec(),
  });
}
