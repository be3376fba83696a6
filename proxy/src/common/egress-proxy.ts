// Which egress proxy, if any, a dial to the relay goes through: HTTPS_PROXY for wss://, HTTP_PROXY for ws://, both
// overridden by NO_PROXY, read the way curl and Go read them (lower-case names win, as in curl). Clusters that
// forbid inbound traffic usually force outbound traffic through such a proxy, so the agent must honour it.
import { BlockList, isIP } from 'node:net';

function env(vars: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = vars[name.toLowerCase()] ?? vars[name.toUpperCase()];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' || protocol === 'wss:' ? '443' : '80';
}

/** True when `target` matches a NO_PROXY entry: `*`, a host, `.domain` or `domain` (and its subdomains), `host:port`, an IP or a CIDR. */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || defaultPort(target.protocol);
  for (const raw of noProxy.split(/[,\s]+/)) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    let entryPort: string | undefined;
    const portMatch = /^(.*[^:]):(\d+)$/.exec(entry);
    if (portMatch && !entry.includes('::')) {
      entry = portMatch[1] ?? entry;
      entryPort = portMatch[2];
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    entry = entry.replace(/^\[|\]$/g, '');
    if (entry.includes('/') && isIP(host)) {
      const [network = '', bits = ''] = entry.split('/');
      const family = isIP(network) === 6 ? 'ipv6' : 'ipv4';
      if (isIP(network) === 0 || isIP(host) !== isIP(network)) continue;
      const list = new BlockList();
      try {
        list.addSubnet(network, Number(bits), family);
      } catch {
        continue;
      }
      if (list.check(host, family)) return true;
      continue;
    }
    const domain = entry.replace(/^\*?\./, '');
    if (host === domain || host.endsWith(`.${domain}`)) return true;
  }
  return false;
}

/** The proxy URL to reach `target` through, or undefined for a direct connection. */
export function egressProxyFor(target: URL, vars: NodeJS.ProcessEnv = process.env): URL | undefined {
  const secure = target.protocol === 'wss:' || target.protocol === 'https:';
  const proxy = secure ? (env(vars, 'https_proxy') ?? env(vars, 'all_proxy')) : (env(vars, 'http_proxy') ?? env(vars, 'all_proxy'));
  if (!proxy) return undefined;
  if (bypassesProxy(target, env(vars, 'no_proxy'))) return undefined;
  // "proxy.corp:3128" without a scheme is common in the wild; curl reads it as http.
  const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`egress proxy ${url.protocol}//${url.host} is not supported: use an http:// or https:// proxy`);
  return url;
}

/** Proxy URL for log lines: scheme, host and port only (a proxy URL may carry a password). */
export function describeProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}
