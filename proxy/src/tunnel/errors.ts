// Typed errors of the tunnel protocol, so callers can tell a malformed frame from a refused open or a dead peer
// without parsing messages.
import { formatHostPort } from '../common/host-port.js';

export type FrameDecodeErrorCode =
  | 'FRAME_TOO_SHORT'
  | 'FRAME_TOO_LARGE'
  | 'UNKNOWN_FRAME_TYPE'
  | 'RESERVED_FLAGS_SET'
  | 'BAD_STREAM_ID'
  | 'BAD_LENGTH'
  | 'BAD_FIELD';

/** A message that is not a well-formed frame. The session that received it is closed. */
export class FrameDecodeError extends Error {
  override readonly name = 'FrameDecodeError';
  constructor(
    readonly code: FrameDecodeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A frame that could not be encoded because a field breaks a protocol limit (a bug in the caller). */
export class FrameEncodeError extends Error {
  override readonly name = 'FrameEncodeError';
}

/** The peer refused to open a stream, e.g. "upstream 10.0.0.1:443 refused the connection". */
export class TunnelOpenError extends Error {
  override readonly name = 'TunnelOpenError';
  constructor(
    readonly target: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** An open stream was reset by the peer (or by this side for a protocol violation). */
export class TunnelStreamResetError extends Error {
  override readonly name = 'TunnelStreamResetError';
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** The session carrying a stream ended; every stream still open on it is destroyed with this error. */
export class TunnelSessionClosedError extends Error {
  override readonly name = 'TunnelSessionClosedError';
}

/** The peer broke the protocol badly enough that the whole session is closed. */
export class TunnelProtocolError extends Error {
  override readonly name = 'TunnelProtocolError';
}

/** No frame arrived from the peer within the dead-peer timeout. */
export class TunnelDeadPeerError extends Error {
  override readonly name = 'TunnelDeadPeerError';
}

/** Turns a failed TCP dial into the sentence an operator needs, without leaking anything but host and port. */
export function describeDialError(error: unknown, host: string, port: number): string {
  const where = `upstream ${formatHostPort({ host, port })}`;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return `${where} refused the connection`;
    case 'ETIMEDOUT':
      return `${where} did not answer (connection timed out)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${where}: host name could not be resolved`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${where} is unreachable (no route)`;
    case 'ECONNRESET':
      return `${where} reset the connection`;
    default:
      return `${where} could not be reached${code ? ` (${code})` : ''}`;
  }
}
