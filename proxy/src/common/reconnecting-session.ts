// Keeps one tunnel session to a relay: dials, and after a drop dials again with backoff. When the relay sends
// GOAWAY (it is draining), a new session is dialed at once for new streams while the old one finishes its own.
// Used by the agent (one per relay URL) and by the client proxy.
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff } from './backoff.js';
import type { Logger } from './logger.js';
import type { TunnelSession } from '../tunnel/session.js';

export interface ReconnectingSessionOptions {
  /** The relay, as shown in logs and errors (origin only). */
  relay: string;
  dial: () => Promise<TunnelSession>;
  logger: Logger;
  backoff?: Backoff;
}

export interface ReconnectingSessionEvents {
  up: [session: TunnelSession];
  /** The current session closed or went into drain; `error` says why when it failed. */
  down: [error: Error | undefined];
}

export class ReconnectingSession extends EventEmitter<ReconnectingSessionEvents> {
  private currentSession: TunnelSession | undefined;
  private readonly live = new Set<TunnelSession>();
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly backoff: Backoff;
  private running: Promise<void> | undefined;
  /** Why the last dial failed, for "not connected" messages. */
  lastError: Error | undefined;

  constructor(private readonly options: ReconnectingSessionOptions) {
    super();
    this.backoff = options.backoff ?? new Backoff();
  }

  /** The session that takes new streams, if connected. */
  get current(): TunnelSession | undefined {
    return this.currentSession;
  }

  /** Every session still open, including ones draining after a GOAWAY. */
  get sessions(): TunnelSession[] {
    return [...this.live];
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Stops dialing; sessions stay open (close or drain them separately). A dial still in flight closes its session itself. */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  /** The current session, or the next one within `timeoutMs`; else an error saying why there is none. */
  async waitForSession(timeoutMs: number): Promise<TunnelSession> {
    if (this.currentSession) return this.currentSession;
    if (this.stopped) throw new Error(`not connected to relay ${this.options.relay}: shutting down`);
    return new Promise((resolve, reject) => {
      const onUp = (session: TunnelSession) => {
        clearTimeout(timer);
        resolve(session);
      };
      const timer = setTimeout(() => {
        this.off('up', onUp);
        reject(new Error(`not connected to relay ${this.options.relay} after waiting ${timeoutMs} ms${this.lastError ? `: ${this.lastError.message}` : ''}`));
      }, timeoutMs);
      this.once('up', onUp);
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let redialNow = false;
      try {
        const session = await this.options.dial();
        if (this.stopped) {
          session.close('stopping');
          break;
        }
        this.backoff.reset();
        this.lastError = undefined;
        this.live.add(session);
        session.once('close', () => this.live.delete(session));
        this.currentSession = session;
        this.options.logger.info('connected to the relay', { relay: this.options.relay });
        this.emit('up', session);
        const ended = await new Promise<{ goaway: boolean; error?: Error }>((resolve) => {
          // stop() must not wait for the relay to close the session: drain and close are the owner's call.
          const onAbort = () => resolve({ goaway: false });
          const settle = (result: { goaway: boolean; error?: Error }) => {
            this.abort.signal.removeEventListener('abort', onAbort);
            resolve(result);
          };
          session.once('close', (error) => settle({ goaway: false, ...(error ? { error } : {}) }));
          session.once('goaway', () => settle({ goaway: true }));
          this.abort.signal.addEventListener('abort', onAbort, { once: true });
        });
        if (this.stopped) break;
        if (this.currentSession === session) this.currentSession = undefined;
        redialNow = ended.goaway;
        if (ended.error) this.lastError = ended.error;
        this.options.logger.info(ended.goaway ? 'relay is draining; dialing a new session' : 'relay connection lost', {
          relay: this.options.relay,
          ...(ended.error ? { reason: ended.error.message } : {}),
        });
        this.emit('down', ended.error);
      } catch (error) {
        this.lastError = error as Error;
        this.options.logger.warn('could not connect to the relay', { relay: this.options.relay, reason: this.lastError.message });
      }
      if (this.stopped) break;
      const delay = redialNow ? 0 : this.backoff.next();
      if (delay > 0) this.options.logger.debug('reconnecting after a delay', { relay: this.options.relay, delayMs: delay });
      try {
        await sleep(delay, undefined, { signal: this.abort.signal });
      } catch {
        break;
      }
    }
  }
}
