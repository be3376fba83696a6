// "host:port" and "[v6]:port" as flags give them.
export interface HostPort {
  host: string;
  port: number;
}

export function parseHostPort(text: string, what: string, allowPortZero = false): HostPort {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (!match || !(port <= 65535) || (port === 0 && !allowPortZero)) throw new Error(`${what} "${text}" is not HOST:PORT (e.g. kube-aad-proxy.clusterconnect.svc:443)`);
  return { host: match[1] ?? match[2] ?? '', port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
