// Shared fixtures for relay, agent and client unit tests: a key pair in a temp dir, tokens, an in-process relay.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSelfSignedCertificate } from '../../support/oidc/self-signed-cert.js';
import { makeTempDir } from '../../support/temp-dir.js';
import { writeTlsFiles } from '../../support/tls-probe.js';
import { issueToken } from '../../../proxy/src/relay/credentials/issue-token.js';
import { generateKeyPairFiles, loadPrivateKey } from '../../../proxy/src/relay/credentials/key-files.js';
import type { RelayKey } from '../../../proxy/src/relay/credentials/key-files.js';
import type { RelayRole } from '../../../proxy/src/relay/credentials/relay-token.js';
import type { RelayConfig } from '../../../proxy/src/relay/relay-config.js';
import { startRelay } from '../../../proxy/src/relay/relay-server.js';
import type { RelayHandle } from '../../../proxy/src/relay/relay-server.js';
import type { ClusterConnectionInfo } from '../../../proxy/src/relay/cluster-info.js';
import { captureLogger } from '../tunnel/helpers.js';
import type { CapturedLogger } from '../tunnel/helpers.js';

export interface TestKeys {
  /** A temp dir (removeTempDir() it when done; else it goes when the process exits). */
  dir: string;
  privateKeyFile: string;
  publicKeyFile: string;
  privateKey: RelayKey;
  token(role: RelayRole, cluster: string, ttl?: number, now?: () => Date): Promise<string>;
  /** Writes a token to a file in the temp dir and returns the path. */
  tokenFile(role: RelayRole, cluster: string, name?: string): Promise<string>;
}

export async function makeKeys(): Promise<TestKeys> {
  const dir = makeTempDir('cc-relay-keys-');
  const privateKeyFile = join(dir, 'key.pem');
  const publicKeyFile = join(dir, 'key.pub.pem');
  await generateKeyPairFiles({ privateKeyFile, publicKeyFile });
  const privateKey = await loadPrivateKey(privateKeyFile);
  const token = (role: RelayRole, cluster: string, ttl = 3600, now?: () => Date) => issueToken({ role, cluster, ttl, key: privateKey, ...(now ? { now } : {}) });
  return {
    dir,
    privateKeyFile,
    publicKeyFile,
    privateKey,
    token,
    async tokenFile(role, cluster, name = `${role}-${cluster}.token`) {
      const path = join(dir, name);
      writeFileSync(path, `${await token(role, cluster)}\n`);
      return path;
    },
  };
}

export const testCaPem = async (): Promise<string> => (await createSelfSignedCertificate('upstream.test')).certPem;

/** The relay's certificate files, and the certificate's PEM for the dialers to trust. */
export type RelayTls = NonNullable<RelayConfig['tls']> & { certPem: string };

let relayTlsCount = 0;

/** A self-signed serving certificate for an in-process relay, written to files in `dir` (the relay reads and watches them). */
export async function relayTls(dir: string, commonName?: string): Promise<RelayTls> {
  const pair = await createSelfSignedCertificate(commonName);
  return { certPem: pair.certPem, ...writeTlsFiles(dir, pair, `relay-tls-${++relayTlsCount}`) };
}

export function clusterInfo(cluster: string, caBundlePem: string): ClusterConnectionInfo {
  return { cluster, caBundlePem, tlsServerName: 'kube-aad-proxy.clusterconnect.svc', authModes: ['oidc'] };
}

export interface TestRelay {
  handle: RelayHandle;
  log: CapturedLogger;
}

export async function startTestRelay(keys: TestKeys, overrides: Partial<RelayConfig> = {}): Promise<TestRelay> {
  const log = captureLogger('debug');
  const handle = await startRelay(
    {
      listenHost: '127.0.0.1',
      listenPort: 0,
      insecure: true,
      publicKeyFile: keys.publicKeyFile,
      clientAuth: 'token',
      oidcIssuers: [],
      opsHost: '127.0.0.1',
      opsPort: 0,
      relayName: 'relay-test',
      drainTimeoutMs: 2_000,
      handshakeTimeoutMs: 2_000,
      failoverAfterMs: 3_000,
      ...overrides,
    },
    log.logger,
  );
  return { handle, log };
}
