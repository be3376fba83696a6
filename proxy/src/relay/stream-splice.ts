// Joins a client's stream to the agent's stream at the frame level. DATA is passed on as the same message with its
// stream id rewritten (no re-chunking, no copy), and each receiver's WINDOW grants go to the far sender one for one,
// so flow control runs end to end: the relay holds at most one window per stream, the far receiver's, and only
// while its socket to that receiver is backed up. Half-close and resets pass through with their code and reason.
//
// Until an agent accepts, the open can move to another agent (failover): when the agent's session dies, when it
// refuses the open (RESET Refused: it is draining, or at its stream limit), or when it does not answer in time. What
// the client sent so far (its TLS ClientHello) is replayed there (early-frames.ts); nothing upstream has answered it
// yet, so the move is invisible to the client.
import type { FrameStream } from '../tunnel/frame-stream.js';
import { ResetCode } from '../tunnel/frame.js';
import { EarlyFrames } from './early-frames.js';

export type ByteDirection = 'client_to_agent' | 'agent_to_client';

/** Why an open moved to another agent (a metrics label). */
export type FailoverReason = 'agent_gone' | 'agent_refused' | 'agent_silent';

/** Why an open ended on the agent's side before it was accepted (a metrics label). */
export type RefusalReason = FailoverReason | 'upstream_unreachable' | 'agent_error';

/** The label for an agent-side end before ACCEPT, by its reset code. */
function refusalReason(code: number): RefusalReason {
  switch (code) {
    case ResetCode.OpenFailed:
      return 'upstream_unreachable';
    case ResetCode.Refused:
      return 'agent_refused';
    case ResetCode.SessionClosed:
      return 'agent_gone';
    case ResetCode.Cancel: // the open timed out (or the agent cancelled it)
      return 'agent_silent';
    default:
      return 'agent_error';
  }
}

/** What the splice reports. Each open ends in exactly one of accepted, refused and abandoned. */
export interface SpliceHooks {
  /** DATA payload bytes forwarded (for metrics). */
  bytes(direction: ByteDirection, bytes: number): void;
  /** The agent accepted: the client's stream is accepted too. */
  accepted(): void;
  /**
   * The open ended on the agent's side before it was accepted, and no other agent took it over: `code` and `reason`
   * are those of the agent's RESET (an agent that cannot reach its upstream names it), of its session's end
   * (ResetCode.SessionClosed), or of the open timeout; `why` is refusalReason(code). The client's stream is reset
   * with them.
   */
  refused(code: number, reason: string, why: RefusalReason): void;
  /** The client's stream ended (reset, or its session closed) before an agent accepted. */
  abandoned(): void;
  /** Both streams are gone. Called once. */
  finished(): void;
  /** A stream on another agent for this open, or undefined when no other agent is left to try. */
  reopen?(why: FailoverReason, detail: string): FrameStream | undefined;
}

export interface SpliceOptions {
  /** Move an open that got no answer for this long to another agent, if there is one (0: wait for the open timeout). */
  failoverAfterMs?: number;
}

export function spliceStreams(client: FrameStream, firstAgent: FrameStream, hooks: SpliceHooks, options: SpliceOptions = {}): void {
  const failoverAfterMs = options.failoverAfterMs ?? 0;
  let agent = firstAgent;
  let finished = false;
  /** The client's frames before any agent accepted, kept for a failover; undefined once the open can no longer move. */
  let early: EarlyFrames | undefined = new EarlyFrames();
  /**
   * Credit the agent granted before it accepted, held back from the client while the open may still move: the next
   * agent's stream starts from the initial window, and a client that had been given more would send beyond it.
   */
  let heldGrants = 0;
  // The relay's own deadline, not the FrameStream's open timeout: that one (30 s) gives up on the open and resets it;
  // this one is shorter and only moves the open to another agent, which the tunnel layer knows nothing about.
  let answerTimer: NodeJS.Timeout | undefined;

  const stopTimer = () => {
    if (answerTimer) clearTimeout(answerTimer);
    answerTimer = undefined;
  };
  const releaseGrants = () => {
    if (heldGrants > 0) client.sendWindow(heldGrants);
    heldGrants = 0;
  };
  /** The open stays on the current agent from now on: no replay to keep, no timer, no credit to hold back. */
  const endFailover = () => {
    early = undefined;
    stopTimer();
    releaseGrants();
  };
  const maybeFinished = () => {
    if (finished || client.isOpen || agent.isOpen) return;
    finished = true;
    stopTimer();
    hooks.finished();
  };

  /** Moves the open to another agent and replays the client's early frames there; false if there is none. */
  const failover = (why: FailoverReason, detail: string): boolean => {
    if (!early || !client.isOpen) return false;
    const next = hooks.reopen?.(why, detail);
    if (!next) return false;
    const previous = agent;
    heldGrants = 0; // granted by the previous agent: void on the next one
    attachAgent(next);
    // Already gone when it died or refused; a silent agent is told to drop the open.
    previous.reset(ResetCode.Cancel, 'no answer in time; the stream was opened on another agent');
    early.replayTo(next);
    return true;
  };

  client.attach({
    data(message, length) {
      hooks.bytes('client_to_agent', length);
      // The replay keeps a copy of the payload; a client that sent more than it holds gives up failover.
      if (early && !early.addData(message, length)) endFailover();
      agent.sendData(message, length);
    },
    window(increment) {
      early?.addWindow(increment);
      agent.sendWindow(increment);
    },
    accept: () => undefined,
    closeWrite() {
      early?.markCloseWrite();
      agent.closeWrite();
    },
    reset(code, reason, beforeAccept) {
      stopTimer();
      if (beforeAccept) hooks.abandoned();
      agent.reset(code, reason);
    },
    finished: maybeFinished,
  });

  function attachAgent(stream: FrameStream): void {
    agent = stream;
    stopTimer();
    if (failoverAfterMs > 0) {
      answerTimer = setTimeout(() => failover('agent_silent', `no answer to the open within ${failoverAfterMs} ms`), failoverAfterMs).unref();
    }
    // Frames from an agent the open moved away from are dropped: `stream !== agent`.
    stream.attach({
      data(message, length) {
        if (stream !== agent) return;
        hooks.bytes('agent_to_client', length);
        client.sendData(message, length);
      },
      window(increment) {
        if (stream !== agent) return;
        if (early) heldGrants += increment;
        else client.sendWindow(increment);
      },
      accept() {
        if (stream !== agent) return;
        client.accept();
        endFailover();
        hooks.accepted();
      },
      closeWrite() {
        if (stream === agent) client.closeWrite();
      },
      reset(code, reason, beforeAccept) {
        if (stream !== agent) return;
        stopTimer();
        if (beforeAccept) {
          const why = refusalReason(code);
          // Not after an open timeout (the client waited long enough), nor for an unreachable upstream (the cluster's answer).
          if ((why === 'agent_gone' || why === 'agent_refused') && failover(why, reason)) return;
          hooks.refused(code, reason, why);
        }
        client.reset(code, reason);
      },
      finished() {
        if (stream === agent) maybeFinished();
      },
    });
  }

  attachAgent(firstAgent);
}
