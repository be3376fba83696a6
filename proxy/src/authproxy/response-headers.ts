// The apiserver's response header lines as the proxy relays them: hop-by-hop ones and any the apiserver names
// in Connection removed (Node frames the body for the client itself). Read straight from rawHeaders, flat as
// writeHead takes them, so neither the folded `headers` object nor [name, value] pairs are built per response.
import { HOP_BY_HOP_HEADERS } from './hop-by-hop.js';

export interface ResponseHeaderFields {
  /** [name, value, name, value, …], in order, original case, duplicates kept. */
  fields: string[];
  /** Whether the body has a Content-Length (otherwise it is chunked or runs to the end of the connection). */
  hasContentLength: boolean;
}

export function responseHeaderFields(rawHeaders: readonly string[]): ResponseHeaderFields {
  let named: Set<string> | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] ?? '').toLowerCase() !== 'connection') continue;
    named ??= new Set();
    for (const token of (rawHeaders[i + 1] ?? '').split(',')) named.add(token.trim().toLowerCase());
  }
  const fields: string[] = [];
  let hasContentLength = false;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? '';
    const lower = name.toLowerCase();
    if (HOP_BY_HOP_HEADERS.has(lower) || named?.has(lower)) continue;
    if (lower === 'content-length') hasContentLength = true;
    fields.push(name, rawHeaders[i + 1] ?? '');
  }
  return { fields, hasContentLength };
}
