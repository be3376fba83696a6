import { expect } from 'chai';
import { buildPassthroughHeaders } from '../../../proxy/src/authproxy/passthrough-headers.js';
import { closeParserServer, parsedByNode } from './node-parsed-headers.js';

describe('authproxy/passthrough-headers (service-account tokens)', () => {
  after(closeParserServer);

  it('forwards Authorization and the client headers unchanged, in order, with duplicates and case', async () => {
    const outgoing = buildPassthroughHeaders(
      await parsedByNode(['Authorization: Bearer sa.token.value', 'Accept: application/json', 'X-Custom: 1', 'x-custom: 2', 'Impersonate-User: someone-the-sa-may-impersonate']),
    );
    expect(outgoing).to.deep.equal([
      ['Authorization', 'Bearer sa.token.value'],
      ['Accept', 'application/json'],
      ['X-Custom', '1'],
      ['x-custom', '2'],
      // The apiserver checks the token's own right to impersonate: the proxy adds no credentials on this path.
      ['Impersonate-User', 'someone-the-sa-may-impersonate'],
    ]);
  });

  it('drops hop-by-hop headers, headers named in Connection, and Host', async () => {
    const outgoing = buildPassthroughHeaders(await parsedByNode(['Authorization: Bearer t', 'Connection: keep-alive, X-Hop', 'X-Hop: 1', 'Keep-Alive: timeout=5', 'TE: trailers']));
    expect(outgoing).to.deep.equal([['Authorization', 'Bearer t']]);
  });

  it('drops the client\'s forwarding headers: X-Forwarded-For would become the audit event\'s source IP', async () => {
    const outgoing = buildPassthroughHeaders(
      await parsedByNode([
        'Authorization: Bearer t',
        'X-Forwarded-For: 203.0.113.9',
        'x-forwarded-for: 198.51.100.1',
        'Forwarded: for=203.0.113.9',
        'X-Forwarded-Host: spoofed.test',
        'X-Forwarded-Proto: http',
        'X-Real-Ip: 203.0.113.9',
        'X_Forwarded_For: 203.0.113.9',
        'X-Forwardedness: kept',
      ]),
    );
    expect(outgoing).to.deep.equal([
      ['Authorization', 'Bearer t'],
      ['X-Forwardedness', 'kept'],
    ]);
  });

  it('keeps Connection: Upgrade and Upgrade for exec and port-forward', async () => {
    const outgoing = buildPassthroughHeaders(
      await parsedByNode(['Authorization: Bearer t', 'Connection: Upgrade', 'Upgrade: SPDY/3.1', 'X-Stream-Protocol-Version: portforward.k8s.io'], 'POST /api/v1/namespaces/d/pods/p/portforward HTTP/1.1'),
    );
    expect(outgoing).to.deep.equal([
      ['Authorization', 'Bearer t'],
      ['X-Stream-Protocol-Version', 'portforward.k8s.io'],
      ['Connection', 'Upgrade'],
      ['Upgrade', 'SPDY/3.1'],
    ]);
  });
});
