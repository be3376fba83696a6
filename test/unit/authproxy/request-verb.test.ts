// requestVerb reads plain request targets without `new URL`: it must give the verb the URL parser would, for
// kubectl's URLs and for every odd target an attacker might send (encoded, dotted, backslashed, duplicated).
import { expect } from 'chai';
import { requestVerb } from '../../../proxy/src/authproxy/request-verb.js';

const VERB_BY_METHOD: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch' };

/**
 * The verb as the implementation before the fast path computed it, through the WHATWG URL parser (`git show
 * 7a2671a:proxy/src/authproxy/request-verb.ts`), kept here verbatim so that the table compares the fast path with
 * an independent reading and not with itself.
 */
function verbThroughUrlParser(method: string, url: string): string {
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

describe('authproxy/request-verb fast path', () => {
  const targets = [
    '/api/v1/namespaces/ns/pods',
    '/api/v1/namespaces/ns/pods?watch=true',
    '/api/v1/namespaces/ns/pods?watch=1&resourceVersion=5',
    '/api/v1/namespaces/ns/pods?resourceVersion=5&watch=true&watch=false',
    '/api/v1/namespaces/ns/pods?watch=false&watch=true',
    '/api/v1/namespaces/ns/pods?watch',
    '/api/v1/namespaces/ns/pods?watch=tr+ue',
    '/api/v1/namespaces/ns/pods?wat%63h=true',
    '/api/v1/namespaces/ns/pods?watch=%74rue',
    '/api/v1/namespaces/ns/pods?&&watch=true',
    '/apis/networking.k8s.io/v1/namespaces/ns/ingresses/i',
    '/api/v1/namespaces/ns/pods/../../nodes',
    '/api/v1/namespaces/ns/pods/./p',
    '/api/v1/namespaces/ns/pods/%2e%2e',
    '/api/v1/namespaces/ns/pods/.',
    '/api/v1/namespaces/ns/pods/..?watch=true',
    '/api/v1\\namespaces\\ns\\pods',
    '/api/v1/namespaces/ns/pods\t/p',
    '/api/v1/namespaces/ns/pods#frag?watch=true',
    '//evil.example/api/v1/pods',
    '/api//v1//namespaces/ns/pods',
    '/api/v1/namespaces/ns/pods/p/exec?command=sh&command=-c&stdin=true',
    '/apis/apps/v1/watch/namespaces/ns/deployments',
    '/api/v1/namespaces/n%20s/pods',
    '/api/v1/namespaces/ns/pods/p@x:y',
    '*',
    'http://host/api/v1/pods?watch=true',
    '/api/v1/namespaces/ns',
    '/api/v1/namespaces',
    '/api/v1/pods?watch=0',
    '/apis/apps/v1',
    '/apis/apps/v1/namespaces/ns/deployments/d/scale',
    '/api',
    '/healthz?verbose',
    '/api/v1/namespaces/ns/pods?continue=a/b/c&limit=500',
    '/api/v1/namespaces?limit=500',
  ];
  for (const method of ['GET', 'HEAD', 'DELETE', 'POST', 'PUT', 'PATCH']) {
    for (const target of targets) {
      it(`${method} ${JSON.stringify(target)} as the URL parser reads it`, () => {
        expect(requestVerb(method, target)).to.equal(verbThroughUrlParser(method, target));
      });
    }
  }

  it('gives the kubectl verbs for plain targets', () => {
    expect(requestVerb('GET', '/api/v1/namespaces/ns/pods?labelSelector=a&watch=true')).to.equal('watch');
    expect(requestVerb('GET', '/api/v1/namespaces/ns/pods?watch=false')).to.equal('list');
    expect(requestVerb('GET', '/apis/networking.k8s.io/v1/namespaces/ns/ingresses/i')).to.equal('get');
  });
});
