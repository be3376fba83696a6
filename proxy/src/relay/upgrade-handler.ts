// WebSocket upgrades: agents announcing a cluster, and clients opening their one multiplexed session per cluster.
// Authentication happens before the upgrade completes, so a refused peer gets an HTTP status and a JSON reason,
// and never a tunnel session.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { SESSION_STREAM_WINDOW } from '../common/stream-window.js';
import { TUNNEL_SUBPROTOCOL } from '../tunnel/frame.js';
import { TunnelSession } from '../tunnel/session.js';
import { WebSocketTransport } from '../tunnel/ws-transport.js';
import type { AgentConnection } from './agent-registry.js';
import { CLUSTER_INFO_HEADER, decodeClusterInfoHeader } from './cluster-info.js';
import type { ClusterConnectionInfo } from './cluster-info.js';
import { bearerToken, checkClusterAccess } from './credentials/client-authenticator.js';
import { asRelayError, refuseUpgrade } from './http-replies.js';
import { RelayError } from './relay-error.js';
import type { RelayContext } from './relay-context.js';
import { parseRoute, pathForLog } from './routes.js';
import { routeClientStream } from './stream-pairing.js';

function remoteAddress(req: IncomingMessage): string {
  return `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
}

function offersTunnelProtocol(req: IncomingMessage): boolean {
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  return offered.includes(TUNNEL_SUBPROTOCOL);
}

async function authenticateAgent(context: RelayContext, req: IncomingMessage): Promise<{ cluster: string; subject: string; info: ClusterConnectionInfo }> {
  const claims = await context.relayTokens(bearerToken(req.headers.authorization, 'agent'), 'agent');
  let info: ClusterConnectionInfo;
  try {
    info = decodeClusterInfoHeader(req.headers[CLUSTER_INFO_HEADER] as string | undefined);
  } catch (error) {
    throw new RelayError(400, 'bad_cluster_info', `agent connection info rejected: ${(error as Error).message}`);
  }
  if (info.cluster !== claims.cluster) {
    throw new RelayError(403, 'wrong_cluster', `agent token is for cluster "${claims.cluster}", but the agent announces cluster "${info.cluster}"`);
  }
  return { cluster: claims.cluster, subject: claims.subject, info };
}

/**
 * Adds a new session to the live ones. A relay that started draining while the peer was being authenticated sent
 * its GOAWAYs before this session existed: it gets its own now, so it opens nothing here and its peer dials anew.
 */
function track(context: RelayContext, session: TunnelSession): void {
  context.sessions.add(session);
  if (context.draining()) session.goAway('relay shutting down');
}

function acceptAgent(context: RelayContext, ws: WebSocket, req: IncomingMessage, cluster: string, info: ClusterConnectionInfo): void {
  const id = randomUUID().slice(0, 8);
  const logger = context.logger.child({ peer: 'agent', cluster, agent: id, remote: remoteAddress(req) });
  const session = new TunnelSession(new WebSocketTransport(ws), { side: 'listener', logger, streamWindow: SESSION_STREAM_WINDOW });
  const connection: AgentConnection = { id, cluster, session, info, connectedAt: new Date() };
  const previous = context.registry.info(cluster);
  if (previous && previous.caBundlePem !== info.caBundlePem) logger.warn('agents of this cluster announce different CA bundles; clients get the newest');
  context.registry.add(connection);
  track(context, session);
  context.metrics.agentConnections.inc();
  logger.info('agent connected', { agents: context.registry.agents(cluster).length });
  session.on('goaway', (_code, reason) => logger.info('agent is draining; no new streams go to it', { reason }));
  session.once('close', (error) => {
    context.registry.remove(connection);
    context.sessions.delete(session);
    context.metrics.agentConnections.dec();
    logger.info('agent disconnected', { reason: error?.message ?? 'closed by the relay', agentsLeft: context.registry.agents(cluster).length });
  });
}

function acceptClient(context: RelayContext, ws: WebSocket, req: IncomingMessage, cluster: string, subject: string): void {
  const logger = context.logger.child({ peer: 'client', cluster, client: subject, remote: remoteAddress(req) });
  const session = new TunnelSession(new WebSocketTransport(ws), { side: 'listener', logger, streamWindow: SESSION_STREAM_WINDOW });
  track(context, session);
  context.metrics.clientSessions.inc();
  logger.info('client connected');
  session.on('frameStream', (stream) => routeClientStream(stream, cluster, { ...context, logger }));
  session.once('close', (error) => {
    context.sessions.delete(session);
    context.metrics.clientSessions.dec();
    logger.info('client disconnected', { reason: error?.message ?? 'closed by the relay' });
  });
}

export function createUpgradeHandler(context: RelayContext, wss: WebSocketServer) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => undefined);
    const route = parseRoute(req.url);
    const refuse = (error: RelayError) => {
      context.metrics.errors.inc({ reason: error.code });
      context.logger.info('connection refused', { path: pathForLog(req.url), remote: remoteAddress(req), status: error.status, reason: error.message });
      refuseUpgrade(socket, error);
    };
    const upgrade = (onSocket: (ws: WebSocket) => void) => {
      if (socket.destroyed) return;
      wss.handleUpgrade(req, socket, head, onSocket);
    };
    void (async () => {
      if (context.draining()) throw new RelayError(503, 'draining', `relay ${context.relayName} is shutting down; connect again (another replica will answer)`);
      if (!offersTunnelProtocol(req)) throw new RelayError(400, 'bad_request', `the WebSocket subprotocol ${TUNNEL_SUBPROTOCOL} is required`);
      switch (route.kind) {
        case 'agent-connect': {
          const { cluster, info } = await authenticateAgent(context, req);
          // Same tick as the upgrade callback: the session must own the socket before any message arrives.
          return upgrade((ws) => acceptAgent(context, ws, req, cluster, info));
        }
        case 'client-connect': {
          const principal = await context.clients.authenticate(req.headers.authorization);
          checkClusterAccess(principal, route.cluster);
          return upgrade((ws) => acceptClient(context, ws, req, route.cluster, principal.subject));
        }
        case 'bad-cluster-name':
          throw new RelayError(400, 'bad_request', `${JSON.stringify(route.name)} is not a valid cluster name`);
        default:
          throw new RelayError(404, 'not_found', 'no WebSocket endpoint here: agents use /v1/agent/connect, clients /v1/clusters/NAME/connect');
      }
    })().catch((error: unknown) => {
      if (!(error instanceof RelayError)) context.logger.error('upgrade failed', { error: (error as Error).message });
      refuse(asRelayError(error));
    });
  };
}
