// Forwarding headers describe hops before the proxy, and the proxy is the first hop the cluster trusts: whatever
// a client puts there is the client's own claim. The apiserver records X-Forwarded-For as an audit event's
// sourceIPs, so passing any of these on would let a caller choose where its requests appear to come from
// (Pinniped deletes X-Forwarded-For for the same reason). Dropped on every path, passthrough included.

const FORWARDING_PREFIX = 'x-forwarded-';
const FORWARDING_NAMES: ReadonlySet<string> = new Set(['forwarded', 'x-real-ip']);

/** X-Forwarded-*, Forwarded, X-Real-IP in any case; `_` is read as `-` (some servers treat X_Forwarded_For alike). */
export function isForwardingHeader(name: string): boolean {
  const normalized = name.toLowerCase().replace(/_/g, '-');
  return normalized.startsWith(FORWARDING_PREFIX) || FORWARDING_NAMES.has(normalized);
}
