// Verifies a relay token with the public key only. Every failure is a RelayError whose message names the token
// (agent or client) and says why it was refused; the token itself is never quoted.
import { errors, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { quoteUntrusted } from '../../authproxy/token-rejected.js';
import { formatEpochSeconds } from '../../authproxy/oidc-verifier.js';
import { isValidClusterName } from '../cluster-name.js';
import { RelayError } from '../relay-error.js';
import type { RelayKey } from './key-files.js';
import { RELAY_ROLES, RELAY_TOKEN_ALGORITHM, RELAY_TOKEN_AUDIENCE, RELAY_TOKEN_ISSUER } from './relay-token.js';
import type { RelayRole, RelayTokenClaims } from './relay-token.js';

export interface RelayTokenVerifierOptions {
  publicKey: RelayKey;
  clockSkewSeconds?: number;
  now?: () => Date;
}

export type RelayTokenVerifier = (token: string, expectedRole: RelayRole) => Promise<RelayTokenClaims>;

function rejected(role: RelayRole, why: string): RelayError {
  return new RelayError(401, 'token_rejected', `${role} token rejected: ${why}`);
}

function explain(error: unknown, role: RelayRole): RelayError {
  if (error instanceof errors.JWTExpired) return rejected(role, `it expired at ${formatEpochSeconds(error.payload.exp)}; issue a new one with: clusterconnect relay issue-token --role ${role}`);
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return rejected(role, `it has no ${quoteUntrusted(error.claim)} claim`);
    if (error.claim === 'nbf' || error.claim === 'iat') return rejected(role, 'it is not valid yet (check the clocks)');
    return rejected(role, `its ${quoteUntrusted(error.claim)} claim is not for this relay`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return rejected(role, "its signature does not verify with this relay's public key (was it issued with another key?)");
  if (error instanceof errors.JOSEAlgNotAllowed) return rejected(role, `it is not signed with ${RELAY_TOKEN_ALGORITHM}`);
  if (error instanceof errors.JOSEError) return rejected(role, `it is not a valid JWT (${error.code})`);
  return rejected(role, 'it could not be verified');
}

function claimsOf(payload: JWTPayload, expectedRole: RelayRole): RelayTokenClaims {
  const { role, cluster, sub, jti, exp } = payload;
  if (typeof role !== 'string' || !(RELAY_ROLES as string[]).includes(role)) throw rejected(expectedRole, 'it has no valid role claim');
  if (role !== expectedRole) throw new RelayError(403, 'wrong_role', `a ${role} token was presented where a token with role ${expectedRole} is required`);
  if (typeof cluster !== 'string' || !isValidClusterName(cluster)) throw rejected(expectedRole, 'it has no valid cluster claim');
  return { role, cluster, subject: sub ?? '', tokenId: typeof jti === 'string' ? jti : '', expiresAt: new Date((exp ?? 0) * 1000) };
}

export function createRelayTokenVerifier(options: RelayTokenVerifierOptions): RelayTokenVerifier {
  return async (token, expectedRole) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, options.publicKey, {
        issuer: RELAY_TOKEN_ISSUER,
        audience: RELAY_TOKEN_AUDIENCE,
        algorithms: [RELAY_TOKEN_ALGORITHM],
        clockTolerance: options.clockSkewSeconds ?? 30,
        requiredClaims: ['exp', 'sub', 'jti'],
        ...(options.now ? { currentDate: options.now() } : {}),
      }));
    } catch (error) {
      throw explain(error, expectedRole);
    }
    return claimsOf(payload, expectedRole);
  };
}
