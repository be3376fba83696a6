// Decides, from a request's headers alone, whether it is refused, forwarded as an impersonated OIDC caller, or
// passed through for the apiserver to authenticate — and builds the outgoing header lines for both paths.
// Shared by plain requests and upgrades so the two can never apply different rules.
import { createBearerClassifier, routeByIssuer } from './bearer-classifier.js';
import { withVerifiedTokenCache } from './cached-verifier.js';
import { assertOnlyProxyIdentity } from './identity-header-assertion.js';
import type { GroupResolver, KubernetesIdentity } from './identity.js';
import { buildImpersonatedHeaders, findImpersonationAttempt, identityHeaderLines } from './impersonation-headers.js';
import type { HeaderPair, HeaderSource, RequestHeaders } from './incoming-headers.js';
import { requestHeaders } from './incoming-headers.js';
import type { KubeStatusCode } from './kube-status.js';
import { completeGroups } from './oidc-verifier.js';
import type { OidcVerifier } from './oidc-verifier.js';
import { buildPassthroughHeaders } from './passthrough-headers.js';
import { quoteUntrusted, TokenRejected } from './token-rejected.js';
import type { VerifiedTokenCache } from './verified-token-cache.js';

export type AuthMode = 'oidc' | 'passthrough' | 'none';

/** Why a request was refused; used as the metric label, so a small fixed set. */
export type RefusalReason =
  | TokenRejected['reason']
  | 'invalid_authorization'
  | 'passthrough_disabled'
  | 'impersonation_refused'
  | 'groups_unresolved'
  | 'identity_header_leak';

export type AuthDecision =
  | { kind: 'refuse'; mode: AuthMode; status: KubeStatusCode; reason: RefusalReason; message: string; identity?: KubernetesIdentity }
  /** `headers` are end-to-end and identity lines; the caller adds Host and, for OIDC, the proxy's own credentials. */
  | { kind: 'forward'; mode: 'oidc'; identity: KubernetesIdentity; headers: HeaderPair[] }
  | { kind: 'forward'; mode: 'passthrough'; headers: HeaderPair[] };

/** Where a signal for "the client left" comes from: an AbortController, or a LazyAbort that makes one only when asked. */
export interface ClientGone {
  readonly signal: AbortSignal;
}

export interface Authenticator {
  /** `clientGone.signal` is read only for a verified token with group overage, as the groups are resolved (a Graph
   *  look-up, which the signal cancels; read even when the resolver's cache answers without waiting). */
  decide(incoming: HeaderSource, clientGone?: ClientGone): Promise<AuthDecision>;
}

export interface AuthenticatorOptions {
  verifiers: readonly OidcVerifier[];
  serviceAccountTokens: boolean;
  groupResolver?: GroupResolver;
  /** Reuses successful verifications of the same token for a short time; none verifies every request. */
  tokenCache?: VerifiedTokenCache;
}

// A browser-style WebSocket client may carry a bearer token in its subprotocol list; the apiserver accepts it.
// On the OIDC path only the proxy's identity may authenticate, so such entries are dropped.
const WEBSOCKET_TOKEN_PROTOCOL = /^base64url\.bearer\.authorization\.k8s\.io\./i;

function withoutWebSocketTokens(lines: HeaderPair[], incoming: RequestHeaders): HeaderPair[] {
  if (!incoming.names.has('sec-websocket-protocol')) return lines;
  const out: HeaderPair[] = [];
  for (const [name, value] of lines) {
    if (name.toLowerCase() !== 'sec-websocket-protocol') {
      out.push([name, value]);
      continue;
    }
    const kept = value.split(',').map((p) => p.trim()).filter((p) => p.length > 0 && !WEBSOCKET_TOKEN_PROTOCOL.test(p));
    if (kept.length > 0) out.push([name, kept.join(', ')]);
  }
  return out;
}

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const tokenCache = options.tokenCache;
  const verifiers = tokenCache ? options.verifiers.map((verifier) => withVerifiedTokenCache(verifier, tokenCache)) : options.verifiers;
  const byIssuer = routeByIssuer(verifiers);
  const classifyBearer = createBearerClassifier(byIssuer);

  return {
    async decide(source, clientGone) {
      const incoming = requestHeaders(source);
      const bearer = classifyBearer(incoming);
      if (bearer.kind === 'missing') {
        return { kind: 'refuse', mode: 'none', status: 401, reason: 'missing', message: 'no bearer token was presented: send "Authorization: Bearer <token>"' };
      }
      if (bearer.kind === 'invalid') return { kind: 'refuse', mode: 'none', status: 401, reason: 'invalid_authorization', message: bearer.message };
      if (bearer.kind === 'passthrough') {
        if (!options.serviceAccountTokens) {
          return {
            kind: 'refuse',
            mode: 'passthrough',
            status: 401,
            reason: 'passthrough_disabled',
            message: 'the token is not from a configured OIDC issuer, and service-account tokens are not accepted by this proxy',
          };
        }
        return { kind: 'forward', mode: 'passthrough', headers: buildPassthroughHeaders(incoming) };
      }

      const verifier = byIssuer.get(bearer.issuer);
      if (!verifier) throw new Error('classified issuer has no verifier'); // unreachable: classification used these keys
      let verified;
      try {
        verified = await verifier.verify(bearer.token);
      } catch (error) {
        if (error instanceof TokenRejected) return { kind: 'refuse', mode: 'oidc', status: error.httpStatus, reason: error.reason, message: error.message };
        throw error;
      }
      // Checked after verification so an anonymous prober learns nothing about the rule; any Impersonate-* (or one
      // named in Connection) from an OIDC caller is refused, not stripped: acting as someone else needs its own check.
      const attempt = findImpersonationAttempt(incoming);
      if (attempt !== undefined) {
        return {
          kind: 'refuse',
          mode: 'oidc',
          status: 403,
          reason: 'impersonation_refused',
          identity: verified.identity,
          message: `impersonation is not allowed through this proxy (the request carried ${quoteUntrusted(attempt, 64)}); remove --as/--as-group`,
        };
      }
      if (verified.groupsOverage) {
        if (!options.groupResolver) {
          return {
            kind: 'refuse',
            mode: 'oidc',
            status: 401,
            reason: 'groups_unresolved',
            message: 'the token has too many groups to list them (group overage) and this proxy has no Microsoft Graph credentials to look them up',
          };
        }
        try {
          verified = await completeGroups(verified, options.groupResolver, verifier.config, clientGone?.signal);
        } catch (error) {
          const status = error instanceof TokenRejected ? error.httpStatus : 503;
          const why = error instanceof Error ? error.message : String(error);
          return { kind: 'refuse', mode: 'oidc', status, reason: 'groups_unresolved', message: `the caller's groups could not be resolved through Microsoft Graph: ${why}` };
        }
      }
      let headers: HeaderPair[];
      try {
        const identityLines = identityHeaderLines(verified.identity, verifier.config.extraHeaderNames);
        headers = withoutWebSocketTokens(buildImpersonatedHeaders(incoming, verified.identity, identityLines), incoming);
        assertOnlyProxyIdentity(headers, verified.identity, identityLines);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        return { kind: 'refuse', mode: 'oidc', status: 500, reason: 'identity_header_leak', message: why, identity: verified.identity };
      }
      return { kind: 'forward', mode: 'oidc', identity: verified.identity, headers };
    },
  };
}
