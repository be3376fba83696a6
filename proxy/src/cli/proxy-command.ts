// `clusterconnect proxy`: the client proxy core. kubectl talks to 127.0.0.1:PORT; each connection is one stream
// through the relay to the cluster. (Login and kubeconfig writing come with the client issue.)
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createLogger } from '../common/logger.js';
import { onShutdownSignals } from '../common/shutdown.js';
import { parsePort, parseRelayUrl } from '../agent/agent-config.js';
import { DEFAULT_CLIENT_PROXY_PORT } from '../client/client-proxy-config.js';
import type { ClientProxyConfig } from '../client/client-proxy-config.js';
import { startClientProxy } from '../client/client-proxy.js';
import { checkClusterName } from '../relay/cluster-name.js';
import { parseFlags } from './flag-helpers.js';

interface ProxyFlags {
  name?: string;
  relay?: string;
  port?: string;
  address: string;
  relayTokenFile?: string;
  relayToken?: string;
  relayCaFile?: string;
  insecure?: boolean;
}

export const RELAY_TOKEN_ENV = 'CLUSTERCONNECT_RELAY_TOKEN';

export function proxyConfigFromFlags(flags: ProxyFlags, env: NodeJS.ProcessEnv = process.env): ClientProxyConfig {
  if (!flags.name) throw new Error('-n/--name is required: the cluster to connect to');
  const cluster = checkClusterName(flags.name);
  if (!flags.relay) throw new Error('--relay is required, e.g. --relay wss://relay.example.com');
  const relayUrl = parseRelayUrl(flags.relay, flags.insecure === true, '--relay');
  if (flags.relayTokenFile && flags.relayToken) throw new Error('pass --relay-token-file or --relay-token, not both');
  const inline = flags.relayToken ?? env[RELAY_TOKEN_ENV];
  const tokenFile = flags.relayTokenFile;
  if (!tokenFile && !inline) throw new Error(`a client token is required: pass --relay-token-file FILE (or set ${RELAY_TOKEN_ENV})`);
  let relayCaPem: string | undefined;
  if (flags.relayCaFile) {
    try {
      relayCaPem = readFileSync(flags.relayCaFile, 'utf8');
    } catch (error) {
      throw new Error(`--relay-ca-file ${flags.relayCaFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
    }
  }
  return {
    cluster,
    relayUrl,
    token: tokenFile ? async () => (await readFile(tokenFile, 'utf8')).trim() : () => Promise.resolve(inline ?? ''),
    ...(relayCaPem ? { relayCaPem } : {}),
    listenHost: flags.address,
    listenPort: parsePort(flags.port, '--port', DEFAULT_CLIENT_PROXY_PORT),
    sessionWaitMs: 10_000,
  };
}

export function registerProxyCommand(program: Command): void {
  program
    .command('proxy')
    .description('serve a local endpoint for kubectl; every connection goes through the relay to the cluster')
    .option('-n, --name <cluster>', 'the cluster to connect to')
    .option('--relay <url>', 'the relay, wss://host[:port]')
    .option('--port <port>', `local port (default ${DEFAULT_CLIENT_PROXY_PORT})`)
    .option('--address <host>', 'local address to listen on', '127.0.0.1')
    .option('--relay-token-file <file>', 'client token file (re-read on every reconnect)')
    .option('--relay-token <token>', `client token (visible in the process list; prefer --relay-token-file or ${RELAY_TOKEN_ENV})`)
    .option('--relay-ca-file <file>', "CA bundle for the relay's certificate")
    .option('--insecure', 'allow a plain ws:// relay (loopback tests only)')
    .action(async (flags: ProxyFlags, command: Command) => {
      const config = parseFlags(command, () => proxyConfigFromFlags(flags));
      const logger = createLogger('proxy');
      const handle = await startClientProxy(config, logger);
      process.stderr.write(`Proxy for cluster ${config.cluster} listening on ${handle.address.address}:${handle.address.port}. Press Ctrl+C to close proxy.\n`);
      onShutdownSignals({ logger, graceMs: 5_000, stop: () => handle.close() });
    });
}
