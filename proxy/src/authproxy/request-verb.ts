// The Kubernetes verb of a request (get, list, watch, create, …) for the audit line, derived the way the
// apiserver's RequestInfo does for the common shapes; non-resource paths get the lower-case HTTP method.

const VERB_BY_METHOD: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch' };

// A request target the WHATWG URL parser would return unchanged: origin-form, RFC 3986 characters without `%`
// (nothing to decode), no `\` and no dot segments (nothing to resolve). Every kubectl URL is one; anything else
// goes through `new URL`, which costs more than the rest of the audit line's fields together.
const PLAIN_TARGET = /^\/(?!\/)[\w\-.~!$&'()*+,;=:@/]*(?:\?[\w\-.~!$&'()*+,;=:@/?]*)?$/;
const DOT_SEGMENT = /\/\.{1,2}(?:[/?]|$)/;

/** The path, and the first `watch` query parameter (undecoded in the fast case: it is only compared with true and 1). */
function pathAndWatch(url: string): { pathname: string; watch: string | null } {
  if (!PLAIN_TARGET.test(url) || DOT_SEGMENT.test(url)) {
    const parsed = new URL(url, 'https://proxy.invalid');
    return { pathname: parsed.pathname, watch: parsed.searchParams.get('watch') };
  }
  const question = url.indexOf('?');
  if (question < 0) return { pathname: url, watch: null };
  for (const pair of url.slice(question + 1).split('&')) {
    const equals = pair.indexOf('=');
    if ((equals < 0 ? pair : pair.slice(0, equals)) === 'watch') return { pathname: url.slice(0, question), watch: equals < 0 ? '' : pair.slice(equals + 1) };
  }
  return { pathname: url.slice(0, question), watch: null };
}

export function requestVerb(method: string, url: string): string {
  const { pathname, watch: watchParam } = pathAndWatch(url);
  const parts = pathname.split('/').filter((p) => p.length > 0);
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) rest = parts.slice(2);
  else if (parts[0] === 'apis' && parts.length >= 3) rest = parts.slice(3);
  else return method.toLowerCase();
  let watch = watchParam === 'true' || watchParam === '1';
  if (rest[0] === 'watch') {
    watch = true;
    rest = rest.slice(1);
  }
  // namespaces/<ns>/<resource>/… ; but "namespaces/<ns>" alone is the namespace object itself.
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  if (rest.length === 0) return method.toLowerCase();
  const named = rest.length >= 2;
  switch (method.toUpperCase()) {
    case 'GET':
    case 'HEAD':
      return watch ? 'watch' : named ? 'get' : 'list';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return VERB_BY_METHOD[method.toUpperCase()] ?? method.toLowerCase();
  }
}
