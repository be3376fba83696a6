// The relay's Prometheus metrics. Labels are low-cardinality on purpose (no cluster names: a relay may serve
// thousands of clusters).
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { createByteCounter } from '../common/byte-counter.js';
import type { ByteCounter } from '../common/byte-counter.js';
import type { ByteDirection } from './stream-splice.js';

export interface RelayMetrics {
  streamsOpen: Gauge;
  streamsTotal: Counter<'result'>;
  bytes: ByteCounter<ByteDirection>;
  agentConnections: Gauge;
  clientSessions: Gauge;
  errors: Counter<'reason'>;
  failovers: Counter<'reason'>;
}

export function createRelayMetrics(registry: Registry): RelayMetrics {
  return {
    streamsOpen: new Gauge({ name: 'clusterconnect_relay_streams_open', help: 'Client streams currently paired with an agent stream', registers: [registry] }),
    streamsTotal: new Counter({
      name: 'clusterconnect_relay_streams_total',
      help: 'Client stream opens by result: accepted; rejected (no agent could take it, or the agent refused it or went away before accepting); abandoned (the client reset it before an agent accepted)',
      labelNames: ['result'],
      registers: [registry],
    }),
    bytes: createByteCounter({
      name: 'clusterconnect_relay_stream_bytes_total',
      help: 'Payload bytes relayed, by direction (client_to_agent, agent_to_client)',
      directions: ['client_to_agent', 'agent_to_client'],
      registry,
    }),
    agentConnections: new Gauge({ name: 'clusterconnect_relay_agent_connections', help: 'Agent WebSocket sessions currently connected', registers: [registry] }),
    clientSessions: new Gauge({ name: 'clusterconnect_relay_client_sessions', help: 'Client WebSocket sessions currently connected', registers: [registry] }),
    errors: new Counter({ name: 'clusterconnect_relay_errors_total', help: 'Refused connections and streams, by reason', labelNames: ['reason'], registers: [registry] }),
    failovers: new Counter({
      name: 'clusterconnect_relay_stream_failovers_total',
      help: 'Stream opens moved to another agent before one accepted, by reason (agent_gone, agent_refused, agent_silent)',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}
