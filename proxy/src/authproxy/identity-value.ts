// The one rule for every identity value kube-aad-proxy sends in an Impersonate-* header (username, uid, groups,
// extra values; claimed or resolved through Graph; after prefixes): it is sent only if the apiserver reads exactly
// the same string. Go's HTTP server trims spaces and tabs around a header value and refuses control bytes, and
// UTF-8 cannot carry a lone UTF-16 surrogate, so such values are refused, never trimmed: trimming is what turned
// " system:masters" into a name the reserved-name check had never seen. docs/decisions.md 9 has the reasoning.

/** The longest identity value the proxy sends; real names are far shorter. */
export const MAX_IDENTITY_VALUE_LENGTH = 1024;

// C0 and C1 controls and DEL (\p{Cc}), and the Unicode line and paragraph separators: they split or end lines in
// headers and logs. Refused anywhere in a value.
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
// JavaScript's \s is Unicode White_Space plus U+FEFF: Go trims only SP and HTAB, but a name that differs from
// another by invisible space at its edge is refused too, so no two names shown alike can be two identities.
const EDGE_WHITESPACE = /^\s|\s$/u;
// With the u flag only an unpaired surrogate matches: a pair is one code point outside Cs.
const LONE_SURROGATE = /\p{Cs}/u;

/** Why the apiserver would not read `value` exactly as sent (or why it is unusable), or undefined when it would. */
export function identityValueFlaw(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > MAX_IDENTITY_VALUE_LENGTH) return `is ${value.length} characters long (at most ${MAX_IDENTITY_VALUE_LENGTH})`;
  if (LONE_SURROGATE.test(value)) return 'holds a lone UTF-16 surrogate, which UTF-8 cannot carry';
  if (CONTROL.test(value)) return 'holds a control character';
  if (EDGE_WHITESPACE.test(value)) return 'has leading or trailing whitespace';
  return undefined;
}

/** True for a string the apiserver reads exactly as sent. */
export function isExactIdentityValue(value: unknown): value is string {
  return typeof value === 'string' && identityValueFlaw(value) === undefined;
}

/**
 * Why an Impersonate-Extra key would not reach the apiserver as this key, or undefined. Keys are %-escaped
 * (impersonation-headers.ts), which carries spaces and any byte intact; only a key UTF-8 cannot hold, or one with
 * a control character (a configuration mistake), is refused.
 */
export function extraKeyFlaw(key: string): string | undefined {
  if (key.length === 0) return 'is empty';
  if (LONE_SURROGATE.test(key)) return 'holds a lone UTF-16 surrogate, which UTF-8 cannot carry';
  if (CONTROL.test(key)) return 'holds a control character';
  return undefined;
}

const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/g;

/**
 * A value quoted for a message or log line so its problem shows: every character outside printable ASCII as a
 * \uXXXX escape (a leading NBSP reads `"\u00a0system:masters"`), cut at `maxLength` characters of the value.
 */
export function quoteIdentityValue(value: string, maxLength = 80): string {
  const escaped = value
    .slice(0, maxLength)
    .replace(/["\\]/g, (c) => `\\${c}`)
    .replace(NOT_PRINTABLE_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `"${escaped}"${value.length > maxLength ? '…' : ''}`;
}
