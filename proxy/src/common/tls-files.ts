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

async function readPair(certFile: string, keyFile: string): Promise<TlsPair> {
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  return { cert, key };
}

/** Reads the pair and checks that it loads: throws on a malformed PEM or a key that does not match the certificate. */
export async function readTlsPair(certFile: string, keyFile: string): Promise<TlsPair> {
  const pair = await readPair(certFile, keyFile);
  createSecureContext(pair);
  return pair;
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
   * The server's other context options (minVersion, ciphers, honorCipherOrder): setSecureContext builds a whole new
   * context and resets each of them to Node's default unless it is given again.
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
        const next = await readPair(options.certFile, options.keyFile);
        if (next.cert.equals(current.cert) && next.key.equals(current.key)) return false;
        // The one check that the pair loads: setSecureContext builds the new context before it replaces the one in
        // use, so a pair that does not load throws here and the server keeps serving the current one
        // (test/unit/relay/tls-reload.test.ts installs half a rotation to check this).
        server.setSecureContext({ ...options.contextOptions, ...next });
        current = next;
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
