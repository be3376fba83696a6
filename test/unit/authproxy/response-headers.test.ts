import { expect } from 'chai';
import { responseHeaderFields } from '../../../proxy/src/authproxy/response-headers.js';

describe('authproxy/response-headers', () => {
  it('drops hop-by-hop headers and those the apiserver names in Connection, keeping order, case and duplicates', () => {
    const { fields, hasContentLength } = responseHeaderFields([
      'Content-Type', 'application/json',
      'Connection', 'keep-alive, X-Upstream-Private',
      'X-Upstream-Private', 'hop',
      'Keep-Alive', 'timeout=5',
      'Audit-Id', '1',
      'audit-id', '2',
      'Transfer-Encoding', 'chunked',
    ]);
    expect(fields).to.deep.equal(['Content-Type', 'application/json', 'Audit-Id', '1', 'audit-id', '2']);
    expect(hasContentLength).to.equal(false);
  });

  it('says whether the body has a Content-Length, in any case', () => {
    expect(responseHeaderFields(['content-LENGTH', '11']).hasContentLength).to.equal(true);
    expect(responseHeaderFields(['Content-Type', 'text/plain']).hasContentLength).to.equal(false);
  });
});
