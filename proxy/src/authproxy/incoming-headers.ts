// A request's headers as the proxy reads them. Node's `headers` object folds duplicates (and keeps only the
// first of some, e.g. Authorization), so copying works from `rawHeaders`, which has every line in order with
// its original case; checks look at both so nothing either view holds is missed.
import type { IncomingHttpHeaders } from 'node:http';

export interface IncomingHeaderSet {
  headers: IncomingHttpHeaders;
  rawHeaders: readonly string[];
}

export type HeaderPair = readonly [name: string, value: string];

/** Every header line, in order, original case; from `headers` only when there are no raw lines (synthetic requests). */
export function headerLines(incoming: IncomingHeaderSet): HeaderPair[] {
  const { rawHeaders } = incoming;
  if (rawHeaders.length > 0) {
    const lines: HeaderPair[] = [];
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) lines.push([rawHeaders[i] ?? '', rawHeaders[i + 1] ?? '']);
    return lines;
  }
  const lines: HeaderPair[] = [];
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) lines.push([name, one]);
  }
  return lines;
}

/** Lower-case names present in either view. */
export function headerNames(incoming: IncomingHeaderSet): Set<string> {
  const names = new Set(Object.keys(incoming.headers).map((name) => name.toLowerCase()));
  for (const [name] of headerLines(incoming)) names.add(name.toLowerCase());
  return names;
}

/** All values of one header (any case), from every line, e.g. both lines of a duplicated Authorization. */
export function headerValues(incoming: IncomingHeaderSet, name: string): string[] {
  const wanted = name.toLowerCase();
  const values = headerLines(incoming)
    .filter(([lineName]) => lineName.toLowerCase() === wanted)
    .map(([, value]) => value);
  if (values.length > 0) return values;
  const folded = incoming.headers[wanted];
  return folded === undefined ? [] : Array.isArray(folded) ? folded : [folded];
}
