// A TCP port as a flag gives it. Only plain decimal digits count: Number() would also take '' (as 0), '1e3',
// '0x50' and ' 80', none of which anyone means as a port.

/** The port `text` names (0-65535), or undefined when it is not one. */
export function portFromText(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

/** `fallback` when the flag was not given; throws `${flag} "${text}" is not a port number (0-65535)` when not a port. */
export function parsePort(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const port = portFromText(text);
  if (port === undefined) throw new Error(`${flag} "${text}" is not a port number (0-65535)`);
  return port;
}
