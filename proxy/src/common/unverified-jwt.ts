// The claims of a compact JWS read WITHOUT verifying it: only to choose a path or schedule work (which issuer's
// verifier applies, when a token needs renewing), never to trust anything. Buffer's base64url after a strict
// alphabet check gives what jose's decodeJwt gives, without loading jose: the client's relay credential
// (client/relay-credential.ts, the relay token's expiry for `proxy` and `clusters`) is among the modules every run
// of the CLI loads, get-token included (kubectl runs it for every command), so this file must not bring jose.
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** A base64url JSON object, as a JWS header or payload is; undefined for anything else. */
function jsonObjectPart(part: string): Record<string, unknown> | undefined {
  if (!BASE64URL.test(part)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The payload object of `header.payload.signature`, or undefined when the token is not one. */
export function unverifiedClaims(token: string): Record<string, unknown> | undefined {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0 || token.includes('.', second + 1)) return undefined;
  return jsonObjectPart(token.slice(first + 1, second));
}

/** The header object of a compact JWS (the part before the first dot), or undefined when it is not one. */
export function unverifiedHeader(token: string): Record<string, unknown> | undefined {
  const first = token.indexOf('.');
  return first < 0 ? undefined : jsonObjectPart(token.slice(0, first));
}
