// Claims end up in header values; a CR, LF or NUL there would split or truncate headers.

/** True when the text holds a C0 control character (tab included) or DEL. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** The longest identity value (username, group, uid, extra) the proxy sends; real names are far shorter. */
export const MAX_IDENTITY_VALUE_LENGTH = 1024;

/**
 * What may become an Impersonate-* header value: a non-empty string of at most MAX_IDENTITY_VALUE_LENGTH characters
 * without control characters. One rule for token claims and for groups a resolver (Microsoft Graph) returns.
 */
export function isUsableIdentityValue(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_IDENTITY_VALUE_LENGTH && !hasControlCharacter(value);
}
