// `clusterconnect relay` (serve), `relay keygen` and `relay issue-token`.
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { Option } from 'commander';
import { parseDuration } from '../common/duration.js';
import { FlagFileError } from '../common/flag-file.js';
import { parseHostPort } from '../common/host-port.js';
import { createLogger } from '../common/logger.js';
import { parsePort } from '../common/port.js';
import { onShutdownSignals } from '../common/shutdown.js';
import { checkClusterName } from '../relay/cluster-name.js';
import { RELAY_ROLES } from '../relay/credentials/relay-token.js';
import type { RelayRole } from '../relay/credentials/relay-token.js';
import type { RelayConfig } from '../relay/relay-config.js';
import { addOpsHostOption, collect, parseFlags } from './flag-helpers.js';
import { readCaBundleFlag } from '../common/ca-bundle.js';

interface RelayFlags {
  listen: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  insecure?: boolean;
  publicKeyFile?: string;
  clientAuth: 'token' | 'none';
  oidcIssuerUrl?: string[];
  oidcAudience?: string;
  oidcCaFile?: string;
  oidcUsernameClaim?: string;
  opsHost: string;
  opsPort: string;
  relayName?: string;
  drainTimeout: string;
  handshakeTimeout: string;
  openFailoverAfter: string;
}

export function relayConfigFromFlags(flags: RelayFlags): RelayConfig {
  const listen = parseHostPort(flags.listen, '--listen', true);
  const insecure = flags.insecure === true;
  if (!flags.publicKeyFile) throw new Error('--public-key-file is required (make a key pair with: clusterconnect relay keygen)');
  let tls: RelayConfig['tls'];
  if (flags.tlsCertFile || flags.tlsKeyFile) {
    if (!flags.tlsCertFile || !flags.tlsKeyFile) throw new Error('--tls-cert-file and --tls-key-file go together');
    tls = { certFile: flags.tlsCertFile, keyFile: flags.tlsKeyFile };
    if (insecure) throw new Error('--insecure serves plain ws and cannot be combined with --tls-cert-file');
  } else if (!insecure) {
    throw new Error('--tls-cert-file and --tls-key-file are required (or --insecure for a loopback test)');
  }
  const issuers = flags.oidcIssuerUrl ?? [];
  if (issuers.length > 0 && !flags.oidcAudience) throw new Error("--oidc-audience is required with --oidc-issuer-url: the relay's own audience, not the cluster's");
  const caPem = flags.oidcCaFile ? readCaBundleFlag(flags.oidcCaFile, '--oidc-ca-file') : undefined;
  return {
    listenHost: listen.host,
    listenPort: listen.port,
    ...(tls ? { tls } : {}),
    insecure,
    publicKeyFile: flags.publicKeyFile,
    clientAuth: flags.clientAuth,
    oidcIssuers: issuers.map((issuerUrl) => ({
      issuerUrl,
      audience: flags.oidcAudience ?? '',
      ...(caPem ? { caPem } : {}),
      ...(flags.oidcUsernameClaim ? { usernameClaim: flags.oidcUsernameClaim } : {}),
    })),
    opsHost: flags.opsHost,
    opsPort: parsePort(flags.opsPort, '--ops-port', 8081),
    relayName: flags.relayName ?? hostname(),
    drainTimeoutMs: parseDuration(flags.drainTimeout, '--drain-timeout'),
    handshakeTimeoutMs: parseDuration(flags.handshakeTimeout, '--handshake-timeout'),
    failoverAfterMs: parseDuration(flags.openFailoverAfter, '--open-failover-after'),
  };
}

function registerServe(relay: Command): void {
  relay
    .option('--listen <host:port>', 'address of the tunnel port (WSS)', '0.0.0.0:8443')
    .option('--tls-cert-file <file>', 'serving certificate chain, PEM (re-read every 10 s: a rotated certificate is served without a restart)')
    .option('--tls-key-file <file>', 'serving private key, PEM')
    .option('--insecure', 'serve plain ws:// without TLS (loopback tests only; logs a warning)')
    .option('--public-key-file <file>', 'Ed25519 public key that verifies agent and client tokens (from relay keygen)')
    .addOption(new Option('--client-auth <mode>', 'how clients authenticate; "none" is for the local demo only').choices(['token', 'none']).default('token'))
    .option('--oidc-issuer-url <url>', 'also accept client OIDC access tokens from this issuer (repeatable)', collect)
    .option('--oidc-audience <aud>', "audience client OIDC tokens must carry: the relay's own, never the cluster's")
    .option('--oidc-ca-file <file>', 'CA bundle for an OIDC issuer with a private CA, trusted instead of the default roots for that issuer\'s discovery and keys')
    .option('--oidc-username-claim <claim>', 'claim naming the client in logs', 'sub');
  addOpsHostOption(relay)
    .option('--ops-port <port>', 'ops port', '8081')
    .option('--relay-name <name>', 'how this relay names itself in errors (default: the host name)')
    .option('--drain-timeout <duration>', 'on SIGTERM, how long open streams may take to finish', '30s')
    .option('--handshake-timeout <duration>', 'TLS handshake and upgrade request must finish within this', '10s')
    .option('--open-failover-after <duration>', 'a new stream an agent leaves unanswered this long moves to another agent of the cluster (0s: never)', '3s')
    .action(async (flags: RelayFlags, command: Command) => {
      const config = parseFlags(command, () => relayConfigFromFlags(flags));
      const logger = createLogger('relay');
      // Loaded on use: kubectl runs `clusterconnect get-token` on every command, so no server role's runtime loads then.
      const { startRelay } = await import('../relay/relay-server.js');
      const handle = await startRelay(config, logger).catch((error: unknown) => {
        // The serving pair is read at start, not with the flags: a file that cannot be read is still a flag error.
        if (error instanceof FlagFileError) parseFlags(command, (): never => { throw error; });
        throw error;
      });
      onShutdownSignals({ logger, graceMs: config.drainTimeoutMs + 5_000, stop: () => handle.drain() });
    });
}

function registerKeygen(relay: Command): void {
  relay
    .command('keygen')
    .description('create the Ed25519 key pair that signs (private) and verifies (public) relay tokens')
    .option('--private-key <file>', 'where to write the private key (mode 0600; keep it off the relay)', 'relay-signing-key.pem')
    .option('--public-key <file>', 'where to write the public key (give it to every relay replica)', 'relay-signing-key.pub.pem')
    .option('--force', 'overwrite an existing private key (every token signed with it stops working)')
    .action(async (flags: { privateKey: string; publicKey: string; force?: boolean }) => {
      const { generateKeyPairFiles } = await import('../relay/credentials/key-files.js'); // jose: loaded on use
      await generateKeyPairFiles({ privateKeyFile: flags.privateKey, publicKeyFile: flags.publicKey }, flags.force === true);
      process.stdout.write(`wrote ${flags.privateKey} (private, mode 0600) and ${flags.publicKey} (public)\n`);
    });
}

function registerIssueToken(relay: Command): void {
  relay
    .command('issue-token')
    .description('mint a relay token for an agent or a client of one cluster; prints it on stdout')
    .addOption(new Option('--role <role>', 'who the token is for').choices([...RELAY_ROLES]).makeOptionMandatory())
    .requiredOption('--cluster <name>', 'the cluster the token is scoped to')
    .requiredOption('--key <file>', 'the private key from relay keygen')
    .option('--ttl <duration>', 'lifetime, e.g. 1h, 30d', '24h')
    .option('--subject <name>', 'who holds the token (default <role>:<cluster>)')
    .action(async (flags: { role: RelayRole; cluster: string; key: string; ttl: string; subject?: string }, command: Command) => {
      const ttlMs = parseFlags(command, () => parseDuration(flags.ttl, '--ttl'));
      parseFlags(command, () => checkClusterName(flags.cluster));
      if (ttlMs < 1000) command.error('error: --ttl must be at least 1s', { exitCode: 2 });
      const [{ loadPrivateKey }, { issueToken }] = await Promise.all([import('../relay/credentials/key-files.js'), import('../relay/credentials/issue-token.js')]);
      const key = await loadPrivateKey(flags.key);
      const token = await issueToken({ role: flags.role, cluster: flags.cluster, ttl: Math.round(ttlMs / 1000), key, ...(flags.subject ? { subject: flags.subject } : {}) });
      process.stdout.write(`${token}\n`);
    });
}

export function registerRelayCommand(program: Command): void {
  const relay = program.command('relay').description('run the public relay that agents dial out to and clients connect through');
  registerServe(relay);
  registerKeygen(relay);
  registerIssueToken(relay);
}
