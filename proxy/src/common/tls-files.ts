// The serving certificate and key, read from files and re-read when they change (the operator rotates the
// Secret; the kubelet swaps the mounted files by symlink, which file-change events miss, so this polls). A pair
// that does not load — typically caught between writing the certificate and the key — is skipped until it does.
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import type { SecureContextOptions } from 'node:tls';
import type { Server } from 'node:https';
import type { Logger } from './logger.js';

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

export async function readTlsPair(certFile: string, keyFile: string): Promise<TlsPair> {
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  // Throws on a malformed PEM or a key that does not match the certificate.
  createSecureContext({ cert, key });
  return { cert, key };
}

export interface TlsReloader {
  /** Checks the files now (tests; the timer does the same). Resolves true when a new pair was installed. */
  check(): Promise<boolean>;
  stop(): void;
}

export interface WatchTlsFilesOptions {
  certFile: string;
  keyFile: string;
  initial: TlsPair;
  intervalMs: number;
  logger: Logger;
  /**
   * The server's other context options (ciphers, honorCipherOrder): setSecureContext builds a whole new context
   * and resets ciphers to Node's defaults unless they are given again.
   */
  contextOptions?: SecureContextOptions;
}

export function watchTlsFiles(server: Server, options: WatchTlsFilesOptions): TlsReloader {
  let current = options.initial;
  let checking: Promise<boolean> | undefined;
  let lastError: string | undefined;
  const check = () =>
    (checking ??= (async () => {
      try {
        const [cert, key] = await Promise.all([readFile(options.certFile), readFile(options.keyFile)]);
        if (cert.equals(current.cert) && key.equals(current.key)) return false;
        createSecureContext({ ...options.contextOptions, cert, key });
        server.setSecureContext({ ...options.contextOptions, cert, key });
        current = { cert, key };
        lastError = undefined;
        options.logger.info('serving certificate reloaded', { certFile: options.certFile });
        return true;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (message !== lastError) options.logger.warn('serving certificate files changed but do not load yet; keeping the current pair', { error: message });
        lastError = message;
        return false;
      }
    })().finally(() => {
      checking = undefined;
    }));
  const timer = setInterval(() => void check(), options.intervalMs);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
