// The Kubernetes verb of a request (get, list, watch, create, …) for the audit line, derived the way the
// apiserver's RequestInfo does for the common shapes; non-resource paths get the lower-case HTTP method.

const VERB_BY_METHOD: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch' };

export function requestVerb(method: string, url: string): string {
  const parsed = new URL(url, 'https://proxy.invalid');
  const parts = parsed.pathname.split('/').filter((p) => p.length > 0);
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) rest = parts.slice(2);
  else if (parts[0] === 'apis' && parts.length >= 3) rest = parts.slice(3);
  else return method.toLowerCase();
  let watch = parsed.searchParams.get('watch') === 'true' || parsed.searchParams.get('watch') === '1';
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
