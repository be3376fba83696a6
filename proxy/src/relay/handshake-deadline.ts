// Closes connections that do not send a complete request (an upgrade or an API call) within the deadline. Node's
// own headersTimeout check stops working once the server holds an upgraded connection (seen on Node 24), and a
// relay holds thousands, so the relay keeps its own timer per connection until the first request arrives.
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../common/logger.js';

export function enforceHandshakeDeadline(server: HttpServer, secure: boolean, deadlineMs: number, logger: Logger, onTimeout: () => void): void {
  const timers = new WeakMap<Socket, NodeJS.Timeout>();
  const start = (socket: Socket) => {
    const timer = setTimeout(() => {
      onTimeout();
      logger.info('peer sent no complete request in time; connection closed', { remote: socket.remoteAddress, deadlineMs });
      socket.destroy();
    }, deadlineMs);
    timer.unref();
    timers.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  };
  const met = (req: IncomingMessage) => {
    const socket = req.socket;
    clearTimeout(timers.get(socket));
    timers.delete(socket);
  };
  // With TLS the handshake has its own timeout (handshakeTimeout); the deadline starts once TLS is up.
  server.on(secure ? 'secureConnection' : 'connection', start);
  server.on('request', met);
  server.on('upgrade', met);
}
