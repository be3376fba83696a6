// Claims end up in header values; a CR, LF or NUL there would split or truncate headers.

/** True when the text holds a C0 control character (tab included) or DEL. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
