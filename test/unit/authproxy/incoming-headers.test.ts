// A request's headers are read once (RequestHeaders) and that object is passed along: the decision and the
// outgoing headers must not go back to Node's header views, and must see the same things a fresh read would.
import { expect } from 'chai';
import { createAuthenticator } from '../../../proxy/src/authproxy/authenticate.js';
import { endToEndHeaderLines, requestedUpgrade } from '../../../proxy/src/authproxy/hop-by-hop.js';
import type { IncomingHeaderSet } from '../../../proxy/src/authproxy/incoming-headers.js';
import { RequestHeaders, requestHeaders } from '../../../proxy/src/authproxy/incoming-headers.js';
import { finalHeaderLines } from '../../../proxy/src/authproxy/outgoing-headers.js';
import { closeParserServer, parsedByNode } from './node-parsed-headers.js';

/** The same views, counting how often each is read. */
function counted(incoming: IncomingHeaderSet): { set: IncomingHeaderSet; reads: { headers: number; rawHeaders: number } } {
  const reads = { headers: 0, rawHeaders: 0 };
  const set = {
    get headers() {
      reads.headers++;
      return incoming.headers;
    },
    get rawHeaders() {
      reads.rawHeaders++;
      return incoming.rawHeaders;
    },
  };
  return { set, reads };
}

describe('authproxy/incoming-headers', () => {
  after(closeParserServer);

  it('a passthrough decision and its outgoing lines read each header view exactly once', async () => {
    const { set, reads } = counted(await parsedByNode(['Authorization: Bearer sa.token.value', 'Accept: application/json', 'Connection: keep-alive, X-Hop', 'X-Hop: 1']));
    const headers = new RequestHeaders(set);
    const decision = await createAuthenticator({ verifiers: [], serviceAccountTokens: true }).decide(headers);
    if (decision.kind !== 'forward') throw new Error(`expected a forward decision, got ${decision.kind}`);
    const lines = finalHeaderLines(decision, headers, 'apiserver:6443', {});
    expect(lines).to.deep.equal([['Host', 'apiserver:6443'], ['Authorization', 'Bearer sa.token.value'], ['Accept', 'application/json']]);
    expect(reads).to.deep.equal({ headers: 1, rawHeaders: 1 });
  });

  it('requestHeaders passes a RequestHeaders through and reads a plain header set afresh', async () => {
    const incoming = await parsedByNode(['Accept: */*']);
    const headers = new RequestHeaders(incoming);
    expect(requestHeaders(headers)).to.equal(headers);
    expect(requestHeaders(incoming)).to.be.an.instanceOf(RequestHeaders).and.not.equal(headers);
  });

  it('keeps every line in order with its case, and the lower-case name of each at the same index', async () => {
    const headers = new RequestHeaders(await parsedByNode(['X-Custom: 1', 'x-custom: 2', 'ACCEPT: */*']));
    expect(headers.lines).to.deep.equal([['Host', 'proxy.test'], ['X-Custom', '1'], ['x-custom', '2'], ['ACCEPT', '*/*']]);
    expect(headers.lowerNames).to.deep.equal(['host', 'x-custom', 'x-custom', 'accept']);
    expect(headers.values('X-CUSTOM')).to.deep.equal(['1', '2']);
    expect(headers.values('absent')).to.deep.equal([]);
  });

  it('normalises the name of each line once, `_` read as `-`, at the same index', async () => {
    const headers = new RequestHeaders(await parsedByNode(['X_Forwarded_For: 203.0.113.1', 'Impersonate_USER: bob', 'Accept: */*']));
    expect(headers.normalizedNames).to.deep.equal(['host', 'x-forwarded-for', 'impersonate-user', 'accept']);
    expect(headers.lowerNames).to.deep.equal(['host', 'x_forwarded_for', 'impersonate_user', 'accept']);
  });

  it('still sees a header present only in the folded view (names and values)', () => {
    const incoming = { headers: { 'impersonate-user': 'bob', accept: '*/*' }, rawHeaders: ['Accept', '*/*'] };
    expect([...requestHeaders(incoming).names].sort()).to.deep.equal(['accept', 'impersonate-user']);
    expect(requestHeaders(incoming).values('Impersonate-User')).to.deep.equal(['bob']);
    // Raw lines win where they exist: the folded view keeps only the first Authorization.
    expect(requestHeaders({ headers: { authorization: 'Bearer a' }, rawHeaders: ['Authorization', 'Bearer a', 'authorization', 'Bearer b'] }).values('authorization')).to.deep.equal(['Bearer a', 'Bearer b']);
  });

  it('uses the folded view as the lines when there are no raw lines (synthetic requests)', () => {
    const headers = new RequestHeaders({ headers: { accept: '*/*', 'set-cookie': ['a', 'b'] }, rawHeaders: [] });
    expect(headers.lines).to.deep.equal([['accept', '*/*'], ['set-cookie', 'a'], ['set-cookie', 'b']]);
  });

  it('collects Connection tokens from every line, trimmed and lower-cased, for hop-by-hop removal and upgrades', async () => {
    const headers = new RequestHeaders(await parsedByNode(['Connection: Upgrade , X-A', 'connection: x-b', 'Upgrade: websocket', 'X-A: 1', 'X-B: 2', 'X-C: 3']));
    expect([...headers.connectionTokens].sort()).to.deep.equal(['upgrade', 'x-a', 'x-b']);
    expect(requestedUpgrade(headers)).to.equal('websocket');
    expect(endToEndHeaderLines(headers)).to.deep.equal([['X-C', '3'], ['Connection', 'Upgrade'], ['Upgrade', 'websocket']]);
  });
});
