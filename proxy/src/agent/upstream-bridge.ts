// Each stream the relay opens on an agent session becomes one TCP connection to the configured upstream
// (kube-aad-proxy). The target the relay names is ignored on purpose: a compromised relay must not be able to
// make the agent connect anywhere else inside the cluster.
import type { Logger } from '../common/logger.js';
import { formatHostPort } from '../common/host-port.js';
import type { HostPort } from '../common/host-port.js';
import type { TunnelStream } from '../tunnel/stream.js';
import { dialTarget } from '../tunnel/tcp-bridge.js';
import type { AgentMetrics } from './agent-metrics.js';

export interface UpstreamBridgeOptions {
  upstream: HostPort;
  logger: Logger;
  metrics: AgentMetrics;
}

export function bridgeToUpstream(stream: TunnelStream, options: UpstreamBridgeOptions): void {
  const { metrics, logger } = options;
  stream.on('error', (error) => logger.debug('stream ended with an error', { streamId: stream.id, reason: error.message }));
  // No draining check here: drain() sends GOAWAY on every session first, and a session that sent GOAWAY refuses
  // new streams itself, before they reach this point.
  const socket = dialTarget(stream, { host: options.upstream.host, port: options.upstream.port });
  socket.once('connect', () => {
    metrics.streamsTotal.inc({ result: 'connected' });
    metrics.streamsOpen.inc();
    stream.once('close', () => metrics.streamsOpen.dec());
    socket.on('data', (chunk: Buffer) => metrics.bytes.add('from_upstream', chunk.length));
    stream.on('data', (chunk: Buffer) => metrics.bytes.add('to_upstream', chunk.length));
  });
  socket.once('error', (error: NodeJS.ErrnoException) => {
    if (stream.isAccepted) return;
    metrics.streamsTotal.inc({ result: 'upstream_failed' });
    logger.warn('upstream could not be reached', { upstream: formatHostPort(options.upstream), reason: error.code ?? error.message });
  });
}
