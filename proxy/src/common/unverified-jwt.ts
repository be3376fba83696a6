// The claims of a compact JWS read WITHOUT verifying it: only to choose a path or schedule work (which issuer's
// verifier applies, when a token needs renewing), never to trust anything. Buffer's base64url after a strict
// alphabet check gives what jose's decodeJwt gives, without loading jose: get-token, which kubectl runs for every
// command, reads a relay token's expiry this way.
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The payload object of `header.payload.signature`, or undefined when the token is not one. */
export function unverifiedClaims(token: string): Record<string, unknown> | undefined {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0 || token.includes('.', second + 1)) return undefined;
  const payload = token.slice(first + 1, second);
  if (!BASE64URL.test(payload)) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
}
