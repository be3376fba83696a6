// Joins a client's stream to the agent's stream at the frame level. DATA is passed on as the same message with its
// stream id rewritten (no re-chunking, no copy), and each receiver's WINDOW grants go to the far sender one for one,
// so flow control runs end to end: the relay holds at most one window per stream, the far receiver's, and only
// while its socket to that receiver is backed up. Half-close and resets pass through with their code and reason.
import type { FrameStream } from '../tunnel/frame-stream.js';
import { ResetCode } from '../tunnel/frame.js';

export type ByteDirection = 'client_to_agent' | 'agent_to_client';

export interface SpliceHooks {
  /** DATA payload bytes forwarded (for metrics). */
  bytes(direction: ByteDirection, bytes: number): void;
  /** The agent accepted: the client's stream is accepted too. */
  accepted(): void;
  /** The agent refused the open (its sentence names the upstream) or never answered; not when its session died. */
  refused(reason: string): void;
  /** Both streams are gone. Called once. */
  finished(): void;
}

export function spliceStreams(client: FrameStream, agent: FrameStream, hooks: SpliceHooks): void {
  let finished = false;
  const maybeFinished = () => {
    if (finished || client.isOpen || agent.isOpen) return;
    finished = true;
    hooks.finished();
  };
  client.attach({
    data(message, length) {
      hooks.bytes('client_to_agent', length);
      agent.sendData(message, length);
    },
    window: (increment) => agent.sendWindow(increment),
    accept: () => undefined,
    closeWrite: () => agent.closeWrite(),
    reset: (code, reason) => agent.reset(code, reason),
    finished: maybeFinished,
  });
  agent.attach({
    data(message, length) {
      hooks.bytes('agent_to_client', length);
      client.sendData(message, length);
    },
    window: (increment) => client.sendWindow(increment),
    accept() {
      client.accept();
      hooks.accepted();
    },
    closeWrite: () => client.closeWrite(),
    reset(code, reason, refused) {
      if (refused && code !== ResetCode.SessionClosed) hooks.refused(reason);
      client.reset(code, reason);
    },
    finished: maybeFinished,
  });
}
