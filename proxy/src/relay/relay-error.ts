// A failure the relay reports to a peer: an HTTP status, a stable code for scripts and metrics, and a sentence
// that says what is wrong. Never put a token in the message.
export type RelayErrorCode =
  | 'missing_token'
  | 'token_rejected'
  | 'wrong_role'
  | 'wrong_cluster'
  | 'bad_cluster_info'
  | 'bad_request'
  | 'not_found'
  | 'no_agent'
  | 'draining'
  | 'issuer_unreachable'
  /** A fault in the relay itself (500), never the peer's: retrying as-is may work, changing the request will not. */
  | 'internal';

export class RelayError extends Error {
  override readonly name = 'RelayError';
  constructor(
    readonly status: number,
    readonly code: RelayErrorCode,
    message: string,
  ) {
    super(message);
  }

  toJSON(): { error: { code: RelayErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}
