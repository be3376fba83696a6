// `clusterconnect auth-proxy`: kube-aad-proxy, the in-cluster HTTPS endpoint that authenticates Entra ID / OIDC
// callers and calls the apiserver impersonating them. Flags are checked before anything starts; a bad one stops
// with one line naming the fix.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { parseSecondsOrDuration } from '../common/duration.js';
import { readFlagFile, readSecretFlagFile } from '../common/flag-file.js';
import { createLogger } from '../common/logger.js';
import { onShutdownSignals } from '../common/shutdown.js';
import type { AuthProxyConfig, GraphGroupsConfig } from '../authproxy/config.js';
import type { GraphClientCredential } from '../authproxy/graph-app-token.js';
import { createHttpsFetch, TrustingAgent } from '../authproxy/https-fetch.js';
import { msalClientCertificate } from '../common/client-certificate.js';
import type { OidcVerifierConfig } from '../authproxy/oidc-config.js';
import { addOpsHostOption, parseFlags, portArgument } from './flag-helpers.js';
import { readCaBundleFlag } from '../common/ca-bundle.js';

interface AuthProxyFlags {
  address: string;
  port: number;
  opsHost: string;
  opsPort: number;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  kubeconfig?: string;
  oidcIssuerUrl?: string;
  oidcAudience?: string[];
  oidcUsernameClaim: string;
  oidcUsernamePrefix: string;
  oidcGroupsClaim: string;
  oidcGroupsPrefix: string;
  oidcAllowedTenants?: string[];
  oidcCaFile?: string;
  serviceAccountTokens: boolean;
  graphUrl: string;
  graphAuthority?: string;
  graphClientId?: string;
  graphClientSecretFile?: string;
  graphClientCertificateFile?: string;
  graphCaFile?: string;
  graphCacheTtl: number;
  /** A duration, or whole seconds as before it took durations. */
  drainSeconds: string;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number of seconds');
  return n;
}

function list(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((v) => v.trim()).filter((v) => v.length > 0)];
}

function httpsUrl(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${flag} ${JSON.stringify(value)} is not a URL; give e.g. https://login.microsoftonline.com/<tenant>/v2.0`);
  }
  if (url.protocol !== 'https:') throw new Error(`${flag} must be an https URL, got ${JSON.stringify(value)}`);
  return value;
}

function graphCredential(flags: AuthProxyFlags): GraphClientCredential {
  if (flags.graphClientSecretFile && flags.graphClientCertificateFile) {
    throw new Error('give only one of --graph-client-secret-file and --graph-client-certificate-file');
  }
  if (flags.graphClientSecretFile) {
    return { kind: 'secret', secret: readSecretFlagFile(flags.graphClientSecretFile, '--graph-client-secret-file', "the app's client secret") };
  }
  if (flags.graphClientCertificateFile) {
    const pem = readFlagFile(flags.graphClientCertificateFile, '--graph-client-certificate-file');
    // Checked now (parseable, unencrypted, key matching the certificate), not at the first overage request.
    return { kind: 'certificate', certificate: msalClientCertificate(pem, '--graph-client-certificate-file', flags.graphClientCertificateFile) };
  }
  throw new Error('--graph-client-id needs --graph-client-secret-file or --graph-client-certificate-file');
}

/** Turns parsed flags into the proxy's configuration, or throws an error naming the fix (a usage error, exit 2). */
export function authProxyConfigFromFlags(flags: AuthProxyFlags): Omit<AuthProxyConfig, 'logger'> & { drainMs: number } {
  if (!flags.tlsCertFile || !flags.tlsKeyFile) {
    throw new Error('--tls-cert-file and --tls-key-file are required: the PEM certificate and key the proxy serves (the kube-aad-proxy-certificate Secret)');
  }
  if (!flags.oidcIssuerUrl && !flags.serviceAccountTokens) {
    throw new Error('nothing could authenticate: give --oidc-issuer-url, or drop --no-service-account-tokens');
  }
  const oidc: OidcVerifierConfig[] = [];
  let issuerTrust: TrustingAgent | undefined;
  if (flags.oidcIssuerUrl) {
    if (!flags.oidcAudience?.length) {
      throw new Error('--oidc-audience is required with --oidc-issuer-url (for Entra, the server application id or its api:// URI)');
    }
    const config: OidcVerifierConfig = {
      issuerURL: httpsUrl('--oidc-issuer-url', flags.oidcIssuerUrl),
      audience: flags.oidcAudience,
      usernameClaim: flags.oidcUsernameClaim,
      usernamePrefix: flags.oidcUsernamePrefix,
      groupsClaim: flags.oidcGroupsClaim,
      groupsPrefix: flags.oidcGroupsPrefix,
      allowedTenants: flags.oidcAllowedTenants ?? [],
    };
    if (flags.oidcCaFile) {
      // The file alone, as kube-apiserver's --oidc-ca-file: the keys every token is checked with must not come from
      // whoever any public root vouches for.
      issuerTrust = new TrustingAgent(readCaBundleFlag(flags.oidcCaFile, '--oidc-ca-file'));
      config.fetch = createHttpsFetch({ trust: issuerTrust });
    }
    oidc.push(config);
  } else if (flags.oidcAudience || flags.oidcAllowedTenants || flags.oidcCaFile) {
    throw new Error('--oidc-audience, --oidc-allowed-tenants and --oidc-ca-file need --oidc-issuer-url');
  }

  let graph: GraphGroupsConfig | undefined;
  if (flags.graphClientId) {
    if (!flags.oidcIssuerUrl) throw new Error('--graph-client-id resolves group overage of OIDC tokens: give --oidc-issuer-url too');
    const authority = httpsUrl('--graph-authority', flags.graphAuthority ?? flags.oidcIssuerUrl.replace(/\/v2\.0\/?$/, ''));
    graph = {
      graphURL: httpsUrl('--graph-url', flags.graphUrl),
      authority,
      clientId: flags.graphClientId,
      credential: graphCredential(flags),
      cacheTtlMs: flags.graphCacheTtl * 1000,
    };
    if (flags.graphCaFile) graph.ca = readCaBundleFlag(flags.graphCaFile, '--graph-ca-file');
    // The issuer's trust covers whatever the proxy fetches on the issuer's origin: the Graph token authority (by
    // default the issuer itself) included, through the same agent; Graph never (a private issuer next to the public
    // Graph must work).
    if (issuerTrust && new URL(authority).origin === new URL(flags.oidcIssuerUrl).origin) graph.issuerTrust = issuerTrust;
  } else if (flags.graphClientSecretFile || flags.graphClientCertificateFile || flags.graphAuthority || flags.graphCaFile) {
    throw new Error('the --graph-* credentials need --graph-client-id (the app registration the proxy calls Graph as)');
  }

  return {
    listenHost: flags.address,
    listenPort: flags.port,
    opsHost: flags.opsHost,
    opsPort: flags.opsPort,
    tlsCertFile: flags.tlsCertFile,
    tlsKeyFile: flags.tlsKeyFile,
    upstream: flags.kubeconfig ? { kind: 'kubeconfig', path: flags.kubeconfig } : { kind: 'in-cluster' },
    oidc,
    serviceAccountTokens: flags.serviceAccountTokens,
    ...(graph ? { graph } : {}),
    drainMs: parseSecondsOrDuration(flags.drainSeconds, '--drain-seconds'),
  };
}

export function registerAuthProxyCommand(program: Command): void {
  const command = program
    .command('auth-proxy')
    .description(
      'Run kube-aad-proxy: an HTTPS endpoint that validates Entra ID / OIDC bearer tokens and calls the apiserver ' +
        'impersonating the caller (its own service account needs only `impersonate`); other bearer tokens ' +
        '(service-account tokens) are passed through unchanged for the apiserver to authenticate.',
    )
    .option('--address <ip>', 'address to listen on', '0.0.0.0')
    .option('--port <port>', 'HTTPS port', portArgument, 8443);
  addOpsHostOption(command)
    .option('--ops-port <port>', 'port of the /healthz, /readyz and /metrics endpoint', portArgument, 8081)
    .option('--tls-cert-file <path>', 'PEM certificate served (re-read when it changes)')
    .option('--tls-key-file <path>', 'PEM private key of the certificate (re-read when it changes)')
    .option('--kubeconfig <path>', "the proxy's own apiserver credentials when running outside a cluster (default: in-cluster service account)")
    .option('--oidc-issuer-url <url>', 'trusted issuer, exactly the tokens\' "iss" (Entra: https://login.microsoftonline.com/<tenant>/v2.0)')
    .option('--oidc-audience <aud>', 'accepted "aud" values, comma-separated or repeated (Entra: the server app id)', list)
    .option('--oidc-username-claim <claim>', 'claim that becomes the Kubernetes username (oid, sub, upn, email)', 'oid')
    .option('--oidc-username-prefix <prefix>', 'prefix added to usernames', '')
    .option('--oidc-groups-claim <claim>', 'claim holding the groups', 'groups')
    .option('--oidc-groups-prefix <prefix>', 'prefix added to group names', '')
    .option('--oidc-allowed-tenants <tids>', 'Entra tenant ids ("tid") accepted, comma-separated (default: any the issuer signs for)', list)
    .option(
      '--oidc-ca-file <path>',
      "PEM CA bundle the issuer's certificate must chain to, replacing the system roots (as kube-apiserver's --oidc-ca-file); " +
        "used for the issuer's origin only: the issuer, and the Graph token authority when on that origin (the default), never Graph",
    )
    .option('--service-account-tokens', 'pass other bearer tokens (service-account tokens) through to the apiserver', true)
    .option('--no-service-account-tokens', 'refuse bearer tokens that are not from the OIDC issuer')
    .option('--graph-url <url>', 'Microsoft Graph, for group overage (tokens with more than 200 groups)', 'https://graph.microsoft.com')
    .option('--graph-authority <url>', 'authority the proxy gets its Graph token from (default: the issuer without /v2.0)')
    .option('--graph-client-id <id>', "the proxy's app registration for Graph (app permissions User.Read.All and Application.Read.All, or Directory.Read.All)")
    .option('--graph-client-secret-file <path>', "file holding that app's client secret")
    .option('--graph-client-certificate-file <path>', "PEM file holding that app's certificate and private key")
    .option(
      '--graph-ca-file <path>',
      'PEM CA bundle for --graph-authority and --graph-url (private endpoints, a TLS-inspecting egress proxy), added to the ' +
        "system roots, never replacing them; an authority on the issuer's origin trusts --oidc-ca-file instead when that is given; " +
        'Graph does not inherit --oidc-ca-file',
    )
    .option('--graph-cache-ttl <seconds>', 'how long resolved groups are cached per principal', seconds, 300)
    .option('--drain-seconds <duration>', 'on SIGTERM, how long in-flight requests may finish: a duration (10s, 1m) or whole seconds (10)', '10s')
    .action(async (flags: AuthProxyFlags) => {
      const config = parseFlags(command, () => authProxyConfigFromFlags(flags));
      const logger = createLogger('auth-proxy');
      // Loaded on use: kubectl runs `clusterconnect get-token` on every command, so no server role's runtime loads then.
      const { startAuthProxy } = await import('../authproxy/start.js');
      const running = await startAuthProxy({ ...config, logger });
      const code = await new Promise<number>((resolve) => {
        onShutdownSignals({ logger, graceMs: config.drainMs + 5_000, stop: () => running.close(), exit: resolve });
      });
      // Anything still holding the event loop (an msal timer, a half-closed socket) must not keep a stopped proxy alive.
      setTimeout(() => process.exit(), 1_000).unref();
      if (code !== 0) throw new Error('the auth proxy did not stop cleanly (see the log above)');
    });
}
