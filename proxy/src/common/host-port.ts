// "host:port" and "[v6]:port" as flags give them, and the address a client dials for a listener.
import { portFromText } from './port.js';

export interface HostPort {
  host: string;
  port: number;
}

export function parseHostPort(text: string, what: string, allowPortZero = false): HostPort {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d+)$/.exec(text.trim());
  const port = portFromText(match?.[3] ?? '');
  if (!match || port === undefined || (port === 0 && !allowPortZero)) throw new Error(`${what} "${text}" is not HOST:PORT (e.g. kube-aad-proxy.clusterconnect.svc:443)`);
  return { host: match[1] ?? match[2] ?? '', port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * The address to dial for a listener on `host`: a wildcard listener (0.0.0.0, ::, or no address) is reached over
 * loopback of the same family; any other address is itself. Bracket it with formatHostPort.
 */
export function dialableHost(host: string | undefined): string {
  if (host === undefined || host === '' || host === '0.0.0.0') return '127.0.0.1';
  return host === '::' ? '::1' : host;
}
