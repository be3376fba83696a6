// Connections to the apiserver. Two pools, never shared: one that may present the proxy's client certificate
// (OIDC path) and one that never does (passthrough path), so a keep-alive socket authenticated as the proxy can
// never carry a request the apiserver should judge by the caller's own token.
import { Agent } from 'node:https';
import { connect } from 'node:tls';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import type { UpstreamTarget } from './upstream.js';

export type Pool = 'proxy-identity' | 'caller-identity';

/** Where requests go, taken from the URL once: it never changes while the proxy runs (upstream.ts keeps it). */
export interface UpstreamAddress {
  /** For the Host header: host[:port] as in the URL. */
  readonly host: string;
  /** Without IPv6 brackets, as connect() takes it. */
  readonly hostname: string;
  readonly port: number;
}

export interface UpstreamConnections {
  readonly target: UpstreamAddress;
  agent(pool: Pool): Agent;
  /** A fresh TLS connection for an upgrade (exec, attach, port-forward), ALPN http/1.1. */
  connect(pool: Pool): TLSSocket;
  close(): void;
}

function addressOf(url: URL): UpstreamAddress {
  return { host: url.host, hostname: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 443) };
}

function tlsOptions(upstream: UpstreamTarget, target: UpstreamAddress, pool: Pool): ConnectionOptions {
  const options: ConnectionOptions = {
    host: target.hostname,
    port: target.port,
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

/**
 * One pool, one apiserver, one set of TLS options, all in the agent's own options (requests carry none): every
 * socket of an agent is interchangeable, so its pool key is a constant. Node's key concatenates the CA and the
 * client certificate and key (a Buffer turned into a string) into a new string, twice per request.
 */
class PoolAgent extends Agent {
  override getName(): string {
    return 'apiserver';
  }
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
  const target = addressOf(upstream.url);
  const build = (pool: Pool) => new PoolAgent({ ...tlsOptions(upstream, target, pool), keepAlive: true, maxFreeSockets: 64, scheduling: 'lifo' });
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
    target,
    agent: (pool) => agents[pool],
    connect: (pool) => connect(tlsOptions(upstream, target, pool)),
    close() {
      agents['proxy-identity'].destroy();
      agents['caller-identity'].destroy();
    },
  };
}
