// Why a bearer token was not accepted. The reason code drives the HTTP status and the failure metric; the
// message is shown to the user in a Kubernetes Status body, so it explains but never contains the token.

export type TokenRejectionReason =
  | 'missing'
  | 'malformed'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_audience'
  | 'wrong_issuer'
  | 'unknown_kid'
  | 'bad_signature'
  | 'alg_not_allowed'
  | 'tenant_not_allowed'
  /** A required identity claim (username, exp…) is absent or not usable. */
  | 'missing_claim'
  /** An identity value the apiserver would not read exactly as sent (edge whitespace, control character…). */
  | 'unsafe_identity'
  /** The token maps to a Kubernetes-reserved name (`system:` user or group), which an issuer must never grant. */
  | 'reserved_name'
  | 'issuer_unreachable';

export class TokenRejected extends Error {
  override readonly name = 'TokenRejected';

  constructor(
    readonly reason: TokenRejectionReason,
    message: string,
  ) {
    super(message);
  }

  /** 503 when we could not decide (issuer or its keys unreachable); 401 for every token we decided against. */
  get httpStatus(): 401 | 503 {
    return this.reason === 'issuer_unreachable' ? 503 : 401;
  }
}

const UNSAFE_CHARS = /[^\x20-\x7e]/g;

/**
 * Makes an attacker-controlled claim or header value safe to quote in a message or log line: printable ASCII
 * only, bounded length. Never pass a token through this; quote only claims like `iss`, `aud` or `kid`.
 */
export function quoteUntrusted(value: unknown, maxLength = 80): string {
  const text =
    typeof value === 'string' ? value : Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.join(', ') : (JSON.stringify(value) ?? String(value));
  const clean = text.replace(UNSAFE_CHARS, '?');
  return JSON.stringify(clean.length > maxLength ? `${clean.slice(0, maxLength)}…` : clean);
}
