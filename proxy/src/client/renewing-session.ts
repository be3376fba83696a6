// The client proxy's relay session, renewable without a gap: renew() dials a second ReconnectingSession (with
// whatever credential is current now), and only once it is up do new streams move to it. The old session is
// closed when its last stream ends, so kubectl's open connections (watches, exec, port-forward) keep going.
import type { ReconnectingSession } from '../common/reconnecting-session.js';
import type { TunnelSession } from '../tunnel/session.js';

/** How often a retired session is checked for remaining streams. */
const DRAIN_CHECK_MS = 1_000;

export class RenewingSession {
  private active: ReconnectingSession;
  private readonly retired = new Set<ReconnectingSession>();
  private readonly drainTimer: NodeJS.Timeout;

  constructor(private readonly create: () => ReconnectingSession) {
    this.active = create();
    this.drainTimer = setInterval(() => this.closeDrained(), DRAIN_CHECK_MS);
    this.drainTimer.unref();
  }

  start(): void {
    this.active.start();
  }

  waitForSession(timeoutMs: number): Promise<TunnelSession> {
    return this.active.waitForSession(timeoutMs);
  }

  /** Every open session, retired ones included. */
  get sessions(): TunnelSession[] {
    return [this.active, ...this.retired].flatMap((s) => s.sessions);
  }

  /** Dials a new session; on success new streams use it and the previous one drains. */
  async renew(timeoutMs: number): Promise<void> {
    const next = this.create();
    next.start();
    try {
      await next.waitForSession(timeoutMs);
    } catch (error) {
      next.stop();
      for (const session of next.sessions) session.close('renewal failed');
      throw error;
    }
    const previous = this.active;
    this.active = next;
    previous.stop();
    this.retired.add(previous);
    this.closeDrained();
  }

  stop(): void {
    clearInterval(this.drainTimer);
    for (const reconnecting of [this.active, ...this.retired]) reconnecting.stop();
  }

  private closeDrained(): void {
    for (const reconnecting of this.retired) {
      const open = reconnecting.sessions;
      for (const session of open) if (session.streamCount === 0) session.close('relay credential renewed');
      if (open.every((s) => s.streamCount === 0)) this.retired.delete(reconnecting);
    }
  }
}
