// Routes a stream a client opened on its session to a new stream the relay opens on one of the cluster's agent
// sessions, and splices the two at the frame level (stream-splice.ts), or refuses it with a reason the user can act on.
import type { Logger } from '../common/logger.js';
import { ResetCode } from '../tunnel/frame.js';
import type { FrameStream } from '../tunnel/frame-stream.js';
import type { AgentConnection, AgentRegistry } from './agent-registry.js';
import type { RelayMetrics } from './relay-metrics.js';
import { spliceStreams } from './stream-splice.js';

export interface PairingContext {
  registry: AgentRegistry;
  /** How the relay names itself in errors (its public host or replica id). */
  relayName: string;
  logger: Logger;
  metrics: RelayMetrics;
  /** See SpliceOptions.failoverAfterMs (the relay's --open-failover-after). */
  failoverAfterMs: number;
  /** True once the relay closes its sessions: an open whose agent goes then stays where it is. */
  closing(): boolean;
}

export function noAgentMessage(cluster: string, relayName: string, lastSeen: Date | undefined): string {
  const seen = lastSeen ? ` (last seen ${lastSeen.toISOString()})` : ' (this relay has not seen one since it started)';
  return `no agent is connected for cluster ${cluster} at relay ${relayName}${seen}`;
}

/** Handles one stream a client opened for `cluster`: pick an agent, open, splice; or refuse with the reason. */
export function routeClientStream(clientStream: FrameStream, cluster: string, context: PairingContext): void {
  const { registry, logger, metrics } = context;
  const tried = new Set<AgentConnection>();
  let current: AgentConnection | undefined;
  /** The last agent picked that could not take the stream (its session threw), and why. */
  let openFailure: { agent: AgentConnection; reason: string } | undefined;
  /** Opens the stream on the next agent not tried yet; undefined when none is left. */
  const openOnNextAgent = (): FrameStream | undefined => {
    for (let agent = registry.pick(cluster, tried); agent; agent = registry.pick(cluster, tried)) {
      tried.add(agent);
      try {
        const stream = agent.session.openFrameStream(cluster, { relay: context.relayName });
        current = agent;
        return stream;
      } catch (error) {
        openFailure = { agent, reason: (error as Error).message };
        logger.info('agent could not take a stream', { cluster, agent: agent.id, reason: openFailure.reason });
      }
    }
    return undefined;
  };
  // A draining relay needs no check here: drain() sends GOAWAY first, and a session refuses new streams after it.
  const agentStream = openOnNextAgent();
  if (!agentStream) {
    metrics.streamsTotal.inc({ result: 'rejected' });
    let reason: string;
    if (openFailure) {
      metrics.errors.inc({ reason: 'agent_open_failed' });
      reason = `agent ${openFailure.agent.id} of cluster ${cluster} could not take the stream: ${openFailure.reason}`;
    } else {
      metrics.errors.inc({ reason: 'no_agent' });
      const connected = registry.agents(cluster).length;
      reason =
        connected > 0
          ? `all ${connected} agents of cluster ${cluster} at relay ${context.relayName} are draining; retry in a moment`
          : noAgentMessage(cluster, context.relayName, registry.lastSeen(cluster));
    }
    logger.info('client stream refused', { cluster, reason });
    return clientStream.reset(ResetCode.OpenFailed, reason);
  }
  metrics.streamsOpen.inc();
  spliceStreams(
    clientStream,
    agentStream,
    {
      bytes: metrics.bytes.add,
      accepted: () => metrics.streamsTotal.inc({ result: 'accepted' }),
      refused(code, reason, why) {
        // The client gets the agent's sentence; one that could not reach its upstream names it.
        metrics.errors.inc({ reason: why });
        metrics.streamsTotal.inc({ result: 'rejected' });
        logger.info('agent refused a stream or went away before accepting it', { cluster, agent: current?.id, code, reason });
      },
      abandoned: () => metrics.streamsTotal.inc({ result: 'abandoned' }),
      finished: () => metrics.streamsOpen.dec(),
      reopen(why, detail) {
        // Each agent's session is about to close too: a move would only dial the next agent's upstream for nothing.
        if (context.closing()) return undefined;
        const from = current;
        if (why === 'agent_silent' && from) registry.markUnanswered(from);
        const next = openOnNextAgent();
        if (next) {
          metrics.failovers.inc({ reason: why });
          logger.info('stream moved to another agent before it was accepted', { cluster, from: from?.id, to: current?.id, why, detail });
        }
        return next;
      },
    },
    { failoverAfterMs: context.failoverAfterMs },
  );
}
