// Connections to the apiserver. Two pools, never shared: one that may present the proxy's client certificate
// (OIDC path) and one that never does (passthrough path), so a keep-alive socket authenticated as the proxy can
// never carry a request the apiserver should judge by the caller's own token.
import { Agent } from 'node:https';
import { connect } from 'node:tls';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import type { UpstreamTarget } from './upstream.js';

export type Pool = 'proxy-identity' | 'caller-identity';

export interface UpstreamConnections {
  agent(pool: Pool): Agent;
  /** A fresh TLS connection for an upgrade (exec, attach, port-forward), ALPN http/1.1. */
  connect(pool: Pool): TLSSocket;
  close(): void;
}

function tlsOptions(upstream: UpstreamTarget, pool: Pool): ConnectionOptions {
  const options: ConnectionOptions = {
    host: upstream.url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(upstream.url.port || 443),
    ca: upstream.ca,
    rejectUnauthorized: upstream.rejectUnauthorized,
    ALPNProtocols: ['http/1.1'],
  };
  if (upstream.servername) options.servername = upstream.servername;
  const { cert, key } = upstream.credentials();
  if (pool === 'proxy-identity' && cert && key) {
    options.cert = cert;
    options.key = key;
  }
  return options;
}

/** Idle sockets only: requests in flight (watches, logs -f) on an old pool run to their end. */
function retire(agent: Agent): void {
  for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
}

function tlsMaterial(upstream: UpstreamTarget): unknown[] {
  const { cert, key } = upstream.credentials();
  return [upstream.ca, upstream.servername, upstream.rejectUnauthorized, cert, key].map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : v));
}

export function createUpstreamConnections(upstream: UpstreamTarget): UpstreamConnections {
  const build = (pool: Pool) => new Agent({ ...tlsOptions(upstream, pool), keepAlive: true, maxFreeSockets: 64, scheduling: 'lifo' });
  let agents = { 'proxy-identity': build('proxy-identity'), 'caller-identity': build('caller-identity') };
  let material = tlsMaterial(upstream);
  upstream.onChange(() => {
    // A new bearer token is a header, not a pool matter; a new CA or client certificate needs new connections.
    const next = tlsMaterial(upstream);
    if (next.every((value, i) => value === material[i])) return;
    material = next;
    const old = agents;
    agents = { 'proxy-identity': build('proxy-identity'), 'caller-identity': build('caller-identity') };
    retire(old['proxy-identity']);
    retire(old['caller-identity']);
  });
  return {
    agent: (pool) => agents[pool],
    connect: (pool) => connect(tlsOptions(upstream, pool)),
    close() {
      agents['proxy-identity'].destroy();
      agents['caller-identity'].destroy();
    },
  };
}
