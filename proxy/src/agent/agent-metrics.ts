// The agent's Prometheus metrics.
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { createByteCounter } from '../common/byte-counter.js';
import type { ByteCounter } from '../common/byte-counter.js';

export interface AgentMetrics {
  relayConnections: Gauge;
  streamsOpen: Gauge;
  streamsTotal: Counter<'result'>;
  bytes: ByteCounter<'to_upstream' | 'from_upstream'>;
}

export function createAgentMetrics(registry: Registry): AgentMetrics {
  return {
    relayConnections: new Gauge({ name: 'clusterconnect_agent_relay_connections', help: 'Relays this agent holds a session to', registers: [registry] }),
    streamsOpen: new Gauge({ name: 'clusterconnect_agent_streams_open', help: 'Streams currently bridged to the upstream', registers: [registry] }),
    streamsTotal: new Counter({ name: 'clusterconnect_agent_streams_total', help: 'Streams by result (connected, upstream_failed)', labelNames: ['result'], registers: [registry] }),
    bytes: createByteCounter({ name: 'clusterconnect_agent_stream_bytes_total', help: 'Bytes bridged, by direction (to_upstream, from_upstream)', directions: ['to_upstream', 'from_upstream'], registry }),
  };
}
