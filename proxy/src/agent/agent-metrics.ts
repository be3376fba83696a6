// The agent's Prometheus metrics.
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

export interface AgentMetrics {
  relayConnections: Gauge;
  streamsOpen: Gauge;
  streamsTotal: Counter<'result'>;
  bytes: Counter<'direction'>;
}

export function createAgentMetrics(registry: Registry): AgentMetrics {
  return {
    relayConnections: new Gauge({ name: 'clusterconnect_agent_relay_connections', help: 'Relays this agent holds a session to', registers: [registry] }),
    streamsOpen: new Gauge({ name: 'clusterconnect_agent_streams_open', help: 'Streams currently bridged to the upstream', registers: [registry] }),
    streamsTotal: new Counter({ name: 'clusterconnect_agent_streams_total', help: 'Streams by result (connected, upstream_failed, refused)', labelNames: ['result'], registers: [registry] }),
    bytes: new Counter({ name: 'clusterconnect_agent_stream_bytes_total', help: 'Bytes bridged, by direction (to_upstream, from_upstream)', labelNames: ['direction'], registers: [registry] }),
  };
}
