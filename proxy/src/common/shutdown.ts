// Graceful stop on SIGTERM/SIGINT: run the role's drain once, bounded by the grace period, then exit.
import type { Logger } from './logger.js';

export interface ShutdownOptions {
  logger: Logger;
  /** Longest the drain may take before the process exits anyway (Kubernetes then sends SIGKILL). */
  graceMs: number;
  stop: (signal: NodeJS.Signals) => Promise<void>;
  exit?: (code: number) => void;
}

/** Installs the handlers; a second signal while draining exits at once. Returns a function that removes them. */
export function onShutdownSignals(options: ShutdownOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.logger.warn('second signal while draining: exiting now', { signal });
      exit(1);
      return;
    }
    stopping = true;
    options.logger.info('stopping', { signal, graceMs: options.graceMs });
    const timer = setTimeout(() => {
      options.logger.warn('grace period over before draining finished: exiting', { graceMs: options.graceMs });
      exit(0);
    }, options.graceMs);
    timer.unref();
    options.stop(signal).then(
      () => {
        clearTimeout(timer);
        options.logger.info('stopped cleanly');
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(timer);
        options.logger.error('error while stopping', { error: err instanceof Error ? err.message : String(err) });
        exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}
