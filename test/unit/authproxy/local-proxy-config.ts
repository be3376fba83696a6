// kube-aad-proxy started in-process by a test: the files it serves and reads (its self-signed serving pair, the
// in-cluster token and CA) in a temporary directory, and the config such a test starts from.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthProxyConfig } from '../../../proxy/src/authproxy/config.js';
import { createSelfSignedCertificate } from '../../support/oidc/self-signed-cert.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dir.js';
import { captureLogger } from '../tunnel/helpers.js';

export interface LocalProxyFiles {
  readonly dir: string;
  /** The proxy's serving certificate (self-signed for kube-aad-proxy.test): what clients trust. */
  readonly proxyCa: string;
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  /** The in-cluster service-account token the proxy sends upstream; tests rewrite it to see it re-read. */
  readonly tokenFile: string;
  /** The in-cluster CA the proxy trusts for the apiserver. */
  readonly caFile: string;
  remove(): void;
}

/** `upstreamCaPem`: the apiserver's CA (default: the proxy's own certificate, for a proxy that never reaches one). */
export async function writeLocalProxyFiles(options: { upstreamCaPem?: string; token?: string } = {}): Promise<LocalProxyFiles> {
  const dir = makeTempDir('cc-authproxy-');
  const tls = await createSelfSignedCertificate('kube-aad-proxy.test');
  const files = { tlsCertFile: join(dir, 'tls.crt'), tlsKeyFile: join(dir, 'tls.key'), tokenFile: join(dir, 'token'), caFile: join(dir, 'ca.crt') };
  writeFileSync(files.tlsCertFile, tls.certPem);
  writeFileSync(files.tlsKeyFile, tls.keyPem);
  writeFileSync(files.tokenFile, `${options.token ?? 'proxy-sa-token'}\n`);
  writeFileSync(files.caFile, options.upstreamCaPem ?? tls.certPem);
  return { dir, proxyCa: tls.certPem, ...files, remove: () => removeTempDir(dir) };
}

/**
 * A proxy on 127.0.0.1 (any free port, ops too) serving `files`, in-cluster upstream 127.0.0.1:`upstreamPort`
 * (default 1: nothing there), service-account tokens on, no drain wait, a captured logger, no OIDC issuer;
 * `overrides` replace any of it.
 */
export function localProxyConfig(files: LocalProxyFiles, overrides: Partial<AuthProxyConfig> & { upstreamPort?: number } = {}): AuthProxyConfig {
  const { upstreamPort = 1, ...rest } = overrides;
  return {
    listenHost: '127.0.0.1',
    listenPort: 0,
    opsHost: '127.0.0.1',
    opsPort: 0,
    tlsCertFile: files.tlsCertFile,
    tlsKeyFile: files.tlsKeyFile,
    upstream: { kind: 'in-cluster', host: '127.0.0.1', port: String(upstreamPort), tokenFile: files.tokenFile, caFile: files.caFile },
    oidc: [],
    serviceAccountTokens: true,
    drainMs: 0,
    logger: captureLogger().logger,
    ...rest,
  };
}
