// Mints a relay token. Runs wherever the private key lives (an operator's machine, a CI job), never in the relay.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { checkClusterName } from '../cluster-name.js';
import type { RelayKey } from './key-files.js';
import { RELAY_ROLES, RELAY_TOKEN_ALGORITHM, RELAY_TOKEN_AUDIENCE, RELAY_TOKEN_ISSUER } from './relay-token.js';
import type { RelayRole } from './relay-token.js';

export interface IssueTokenOptions {
  role: RelayRole;
  cluster: string;
  /** Lifetime in seconds. */
  ttl: number;
  key: RelayKey;
  /** Who the token is for (default "<role>:<cluster>"). */
  subject?: string;
  now?: () => Date;
}

export async function issueToken(options: IssueTokenOptions): Promise<string> {
  if (!RELAY_ROLES.includes(options.role)) throw new Error(`role must be one of ${RELAY_ROLES.join(', ')}`);
  checkClusterName(options.cluster);
  if (!Number.isInteger(options.ttl) || options.ttl === 0) throw new Error('token lifetime must be a whole, non-zero number of seconds');
  const issuedAt = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  return new SignJWT({ cluster: options.cluster, role: options.role })
    .setProtectedHeader({ alg: RELAY_TOKEN_ALGORITHM, typ: 'JWT' })
    .setIssuer(RELAY_TOKEN_ISSUER)
    .setAudience(RELAY_TOKEN_AUDIENCE)
    .setSubject(options.subject ?? `${options.role}:${options.cluster}`)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + options.ttl)
    .setJti(randomUUID())
    .sign(options.key);
}
