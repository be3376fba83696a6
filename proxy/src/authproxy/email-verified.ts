// Kubernetes' own OIDC authenticator takes the `email` claim as a username only when the issuer has not said the
// address is unverified: `email_verified`, when present, must be the boolean true (the legacy
// --oidc-username-claim=email, and structured authentication's `claims.?email_verified.orValue(true) == true`).
// Otherwise whoever can put an unverified address on an account at the issuer gets that address's RBAC.
import type { JWTPayload } from 'jose';
import { TokenRejected } from './token-rejected.js';

const EMAIL_CLAIM = 'email';

/** Throws TokenRejected when the username comes from `email` and `email_verified` is present but not true. */
export function requireVerifiedEmail(claims: JWTPayload, usernameClaim: string): void {
  if (usernameClaim !== EMAIL_CLAIM) return;
  const verified = claims.email_verified;
  if (verified === undefined || verified === true) return; // absent counts as verified, as in Kubernetes
  const what = verified === false ? 'false' : `not a boolean (${verified === null ? 'null' : typeof verified})`;
  throw new TokenRejected('missing_claim', `token claim "email_verified" is ${what}: the issuer has not verified the "email" claim, so it cannot be the username`);
}
