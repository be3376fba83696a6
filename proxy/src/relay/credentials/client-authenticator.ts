// Who a client (the client proxy, or a script listing clusters) is, and which clusters it may reach.
//
// A client presents either a relay-minted client token (scoped to one cluster) or an OIDC access token from an
// issuer the relay trusts (any cluster: the cluster's own kube-aad-proxy authorizes the person). The relay's OIDC
// audience must differ from the audience kube-aad-proxy accepts: a token the relay receives is then worthless to
// the cluster, so a compromised relay, its logs or its memory cannot be used to reach any cluster.
import { unverifiedClaims } from '../../common/unverified-jwt.js';
import type { OidcVerifier } from '../../authproxy/oidc-verifier.js';
import { TokenRejected } from '../../authproxy/token-rejected.js';
import { RelayError } from '../relay-error.js';
import { RELAY_TOKEN_ISSUER } from './relay-token.js';
import type { RelayTokenVerifier } from './verify-relay-token.js';

export type ClientAuthMode = 'token' | 'none';

export interface ClientPrincipal {
  kind: 'relay-token' | 'oidc' | 'anonymous';
  subject: string;
  /** Set for relay client tokens: the only cluster this client may reach. */
  cluster?: string;
}

export interface ClientAuthenticator {
  authenticate(authorization: string | undefined): Promise<ClientPrincipal>;
}

export interface ClientAuthenticatorOptions {
  mode: ClientAuthMode;
  relayTokens: RelayTokenVerifier;
  oidcIssuers: OidcVerifier[];
}

/** The token from an `Authorization: Bearer` header, or a RelayError naming the problem. */
export function bearerToken(authorization: string | undefined, who: 'agent' | 'client'): string {
  if (!authorization) throw new RelayError(401, 'missing_token', `no ${who} token: send "Authorization: Bearer <${who} token>"`);
  const match = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(authorization);
  if (!match?.[1]) throw new RelayError(401, 'missing_token', `the Authorization header is not "Bearer <${who} token>"`);
  return match[1];
}

function unverifiedIssuer(token: string): unknown {
  const claims = unverifiedClaims(token);
  if (!claims) throw new RelayError(401, 'token_rejected', 'client token rejected: it is not a JWT');
  return claims.iss;
}

export function createClientAuthenticator(options: ClientAuthenticatorOptions): ClientAuthenticator {
  const byIssuer = new Map(options.oidcIssuers.map((verifier) => [verifier.issuer, verifier]));
  return {
    async authenticate(authorization) {
      if (options.mode === 'none') return { kind: 'anonymous', subject: 'anonymous' };
      const token = bearerToken(authorization, 'client');
      // The issuer only picks the verifier; the chosen verifier then checks the signature and every claim.
      const issuer = unverifiedIssuer(token);
      if (issuer === RELAY_TOKEN_ISSUER) {
        const claims = await options.relayTokens(token, 'client');
        return { kind: 'relay-token', subject: claims.subject, cluster: claims.cluster };
      }
      const oidc = typeof issuer === 'string' ? byIssuer.get(issuer) : undefined;
      if (!oidc) {
        const trusted = [RELAY_TOKEN_ISSUER, ...byIssuer.keys()].map((i) => JSON.stringify(i)).join(', ');
        throw new RelayError(401, 'token_rejected', `client token rejected: its issuer is not trusted by this relay (trusted: ${trusted})`);
      }
      try {
        const verified = await oidc.verify(token);
        return { kind: 'oidc', subject: verified.identity.username };
      } catch (error) {
        if (error instanceof TokenRejected) {
          throw new RelayError(error.httpStatus, error.httpStatus === 503 ? 'issuer_unreachable' : 'token_rejected', `client token rejected: ${error.message}`);
        }
        throw error;
      }
    },
  };
}

/** 403 naming both clusters when a cluster-scoped client token is used for another cluster. */
export function checkClusterAccess(principal: ClientPrincipal, cluster: string): void {
  if (principal.cluster !== undefined && principal.cluster !== cluster) {
    throw new RelayError(403, 'wrong_cluster', `client token is for cluster "${principal.cluster}", not for cluster "${cluster}"`);
  }
}
