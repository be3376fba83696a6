// The relay's base URL as the agent (--relay-url) and the client commands (--relay) take it: wss:// (https://
// accepted and rewritten), ws:// only with --insecure, and nothing that would leak or be ignored (credentials,
// query, fragment). Loads nothing, so the CLI can check flags and build URLs without the tunnel's modules.

export function parseRelayUrl(text: string, insecure: boolean, flag = '--relay-url'): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new Error(`${flag} "${text}" is not a URL (e.g. wss://relay.example.com)`, { cause: error });
  }
  if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'ws:' && !insecure) throw new Error(`${flag} ${url.origin} is plain ws://; use wss:// (or pass --insecure for a loopback test)`);
  if (url.protocol !== 'wss:' && url.protocol !== 'ws:') throw new Error(`${flag} "${text}" must be a wss:// URL`);
  if (url.username || url.password || url.search || url.hash) throw new Error(`${flag} must not carry credentials, a query or a fragment`);
  return url;
}

/** An endpoint under the relay's base URL: `path` ("/v1/...") appended to the base path, without a doubled slash. */
export function relayEndpoint(base: URL, path: string): URL {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/$/, '')}${path}`;
  return url;
}
