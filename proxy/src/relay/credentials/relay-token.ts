// The relay's own bearer tokens: EdDSA (Ed25519) JWTs that name a cluster and a role. The relay verifies them with
// the public key alone, so it keeps no token database and any number of replicas can share one public key.
export const RELAY_TOKEN_ISSUER = 'clusterconnect-relay';
export const RELAY_TOKEN_AUDIENCE = 'clusterconnect-relay';
export const RELAY_TOKEN_ALGORITHM = 'EdDSA';

export type RelayRole = 'agent' | 'client';
export const RELAY_ROLES: readonly RelayRole[] = ['agent', 'client'];

export interface RelayTokenClaims {
  role: RelayRole;
  cluster: string;
  subject: string;
  /** jti: lets an operator find a token in audit records without logging the token. */
  tokenId: string;
  expiresAt: Date;
}
