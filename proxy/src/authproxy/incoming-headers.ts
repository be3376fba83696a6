// A request's headers as the proxy reads them. Node's `headers` object folds duplicates (and keeps only the
// first of some, e.g. Authorization), so copying works from `rawHeaders`, which has every line in order with
// its original case; checks look at both so nothing either view holds is missed. Both views are read once per
// request into a RequestHeaders, which every later step takes instead of reading them again.
import type { IncomingHttpHeaders } from 'node:http';

export interface IncomingHeaderSet {
  headers: IncomingHttpHeaders;
  rawHeaders: readonly string[];
}

export type HeaderPair = readonly [name: string, value: string];

/** What the helpers accept: a request's header views, or the same already read into a RequestHeaders. */
export type HeaderSource = IncomingHeaderSet | RequestHeaders;

const NO_VALUES: readonly string[] = Object.freeze([]);

/** Both header views of one request, read once. */
export class RequestHeaders {
  /** Every header line, in order, original case; from `headers` only when there are no raw lines (synthetic requests). */
  readonly lines: readonly HeaderPair[];
  /** Lower-case name of each line of `lines`, at the same index. */
  readonly lowerNames: readonly string[];
  /** normalizedHeaderName of each line of `lines`, at the same index: computed here once for the header checks. */
  readonly normalizedNames: readonly string[];
  /** Lower-case names present in either view. */
  readonly names: ReadonlySet<string>;
  /** Lower-case header names listed in every Connection line (comma-separated, any spacing and case). */
  readonly connectionTokens: ReadonlySet<string>;
  private readonly byName = new Map<string, string[]>();
  private readonly folded: IncomingHttpHeaders;

  constructor(incoming: IncomingHeaderSet) {
    const folded = incoming.headers;
    this.folded = folded;
    const lines: HeaderPair[] = [];
    const lowerNames: string[] = [];
    const normalizedNames: string[] = [];
    const { rawHeaders } = incoming;
    if (rawHeaders.length > 0) {
      for (let i = 0; i + 1 < rawHeaders.length; i += 2) lines.push([rawHeaders[i] ?? '', rawHeaders[i + 1] ?? '']);
    } else {
      for (const [name, value] of Object.entries(folded)) {
        if (value === undefined) continue;
        for (const one of Array.isArray(value) ? value : [value]) lines.push([name, one]);
      }
    }
    const names = new Set<string>();
    for (const [name, value] of lines) {
      const lower = name.toLowerCase();
      lowerNames.push(lower);
      normalizedNames.push(dashed(lower));
      names.add(lower);
      const values = this.byName.get(lower);
      if (values) values.push(value);
      else this.byName.set(lower, [value]);
    }
    for (const name of Object.keys(folded)) names.add(name.toLowerCase());
    this.lines = lines;
    this.lowerNames = lowerNames;
    this.normalizedNames = normalizedNames;
    this.names = names;
    const tokens = new Set<string>();
    for (const value of this.values('connection')) {
      for (const token of value.split(',')) {
        const name = token.trim().toLowerCase();
        if (name) tokens.add(name);
      }
    }
    this.connectionTokens = tokens;
  }

  /** All values of one header (any case), from every line, e.g. both lines of a duplicated Authorization. */
  values(name: string): readonly string[] {
    const wanted = name.toLowerCase();
    const values = this.byName.get(wanted);
    if (values) return values;
    const folded = this.folded[wanted];
    return folded === undefined ? NO_VALUES : Array.isArray(folded) ? folded : [folded];
  }
}

/** The request's headers read once; a RequestHeaders is returned as it is, so passing one along costs nothing. */
export function requestHeaders(source: HeaderSource): RequestHeaders {
  return source instanceof RequestHeaders ? source : new RequestHeaders(source);
}

/**
 * A header name as the identity and forwarding checks read it: lower-cased, with `_` read as `-`, since some
 * servers treat Impersonate_User or X_Forwarded_For like the dashed name.
 */
export function normalizedHeaderName(name: string): string {
  return dashed(name.toLowerCase());
}

/** `_` read as `-` in a lower-case name; most names have none and are returned as they are, with no copy. */
function dashed(lower: string): string {
  return lower.includes('_') ? lower.replaceAll('_', '-') : lower;
}
