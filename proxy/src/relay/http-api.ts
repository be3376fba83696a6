// The relay's plain HTTP endpoints, for authenticated clients: which clusters have agents here, and what a client
// needs to reach one (the connection info its agents announced).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkClusterAccess } from './credentials/client-authenticator.js';
import { asRelayError, sendError, sendJson } from './http-replies.js';
import { RelayError } from './relay-error.js';
import type { RelayContext } from './relay-context.js';
import { parseRoute, pathForLog } from './routes.js';
import { noAgentMessage } from './stream-pairing.js';

export async function handleApiRequest(context: RelayContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const route = parseRoute(req.url);
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new RelayError(405, 'bad_request', 'only GET is served here');
    switch (route.kind) {
      case 'list-clusters': {
        const principal = await context.clients.authenticate(req.headers.authorization);
        const clusters = context.registry.clusters().filter((c) => principal.cluster === undefined || c.name === principal.cluster);
        return sendJson(res, 200, { relay: context.relayName, clusters });
      }
      case 'cluster-info': {
        const principal = await context.clients.authenticate(req.headers.authorization);
        checkClusterAccess(principal, route.cluster);
        const info = context.registry.info(route.cluster);
        if (!info) throw new RelayError(404, 'no_agent', noAgentMessage(route.cluster, context.relayName, context.registry.lastSeen(route.cluster)));
        const agents = context.registry.agents(route.cluster).length;
        return sendJson(res, 200, { ...info, agents, relay: context.relayName });
      }
      case 'bad-cluster-name':
        throw new RelayError(400, 'bad_request', `${JSON.stringify(route.name)} is not a valid cluster name`);
      case 'agent-connect':
      case 'client-connect':
        throw new RelayError(426, 'bad_request', `${pathForLog(req.url)} is a WebSocket endpoint: connect with an Upgrade: websocket request`);
      default:
        throw new RelayError(404, 'not_found', 'not found: the relay serves GET /v1/clusters, GET /v1/clusters/NAME and the WebSocket endpoints /v1/agent/connect and /v1/clusters/NAME/connect');
    }
  } catch (error) {
    const relayError = asRelayError(error);
    if (relayError.status >= 500) context.logger.error('relay request failed', { path: pathForLog(req.url), error: (error as Error).message });
    if (relayError.status === 401 || relayError.status === 403) context.metrics.errors.inc({ reason: relayError.code });
    sendError(res, relayError);
  }
}
