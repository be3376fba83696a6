// "host:port" and "[v6]:port" as flags give them.
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
