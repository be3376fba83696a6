// What the relay's request and upgrade handlers share: the live-connection registry, authentication, metrics.
import type { Logger } from '../common/logger.js';
import type { TunnelSession } from '../tunnel/session.js';
import type { AgentRegistry } from './agent-registry.js';
import type { ClientAuthenticator } from './credentials/client-authenticator.js';
import type { RelayTokenVerifier } from './credentials/verify-relay-token.js';
import type { RelayMetrics } from './relay-metrics.js';

export interface RelayContext {
  registry: AgentRegistry;
  relayTokens: RelayTokenVerifier;
  clients: ClientAuthenticator;
  metrics: RelayMetrics;
  logger: Logger;
  relayName: string;
  /** A stream an agent leaves unanswered this long moves to another agent (0: never). */
  failoverAfterMs: number;
  /** Every live session (agents and clients), so shutdown can send GOAWAY to all. */
  sessions: Set<TunnelSession>;
  draining(): boolean;
  /** True once close() started closing every session (see PairingContext.closing). */
  closing(): boolean;
}
