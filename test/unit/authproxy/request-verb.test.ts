// requestVerb reads plain request targets without `new URL`: it must give the verb the URL parser would, for
// kubectl's URLs and for every odd target an attacker might send (encoded, dotted, backslashed, duplicated).
import { expect } from 'chai';
import { requestVerb } from '../../../proxy/src/authproxy/request-verb.js';

/** The verb as computed through the WHATWG URL parser (the implementation before the fast path). */
function verbThroughUrlParser(method: string, url: string): string {
  const parsed = new URL(url, 'https://proxy.invalid');
  const watchParam = parsed.searchParams.get('watch');
  return requestVerb(method, `${parsed.pathname}${watchParam === null ? '' : `?watch=${watchParam === 'true' || watchParam === '1' ? 'true' : 'no'}`}`);
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
  ];
  for (const method of ['GET', 'DELETE', 'POST']) {
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
