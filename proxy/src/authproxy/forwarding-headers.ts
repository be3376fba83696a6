// Forwarding headers describe hops before the proxy, and the proxy is the first hop the cluster trusts: whatever
// a client puts there is the client's own claim. The apiserver records X-Forwarded-For as an audit event's
// sourceIPs, so passing any of these on would let a caller choose where its requests appear to come from
// (Pinniped deletes X-Forwarded-For for the same reason). Dropped on every path, passthrough included, where the
// end-to-end lines are chosen (hop-by-hop.ts); the last check before an OIDC request leaves looks for them again.

const FORWARDING_PREFIX = 'x-forwarded-';
const FORWARDING_NAMES: ReadonlySet<string> = new Set(['forwarded', 'x-real-ip']);

/** X-Forwarded-*, Forwarded, X-Real-IP; `normalized` as normalizedHeaderName gives it (so X_Forwarded_For too). */
export function isForwardingHeader(normalized: string): boolean {
  return normalized.startsWith(FORWARDING_PREFIX) || FORWARDING_NAMES.has(normalized);
}
