import { expect } from 'chai';
import { createBearerClassifier } from '../../../proxy/src/authproxy/bearer-classifier.js';
import type { IssuerSet } from '../../../proxy/src/authproxy/bearer-classifier.js';
import { RequestHeaders } from '../../../proxy/src/authproxy/incoming-headers.js';
import { closeParserServer, parsedByNode } from './node-parsed-headers.js';

const ISSUER = 'https://login.microsoftonline.com/tenant-a/v2.0';
const jwt = (payload: object, header: object = { alg: 'RS256', kid: 'k' }) =>
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;
/** One Authorization line exactly as given (Node's parser would trim the spaces around it). */
const authorization = (value: string) => new RequestHeaders({ headers: { authorization: value }, rawHeaders: ['Authorization', value] });

/** The configured issuers, counting how often the classifier asks: once per Authorization value it has not seen. */
function countingIssuers(): IssuerSet & { asked: number } {
  const issuers = new Set([ISSUER]);
  return {
    asked: 0,
    has(issuer) {
      this.asked++;
      return issuers.has(issuer);
    },
  };
}

describe('authproxy/bearer-classifier', () => {
  after(closeParserServer);
  const classify = async (lines: string[]) => createBearerClassifier(new Set([ISSUER]))(await parsedByNode(lines));

  it('missing when there is no Authorization header', async () => {
    expect(await classify(['Accept: */*'])).to.deep.equal({ kind: 'missing' });
  });

  it('oidc for a JWT whose unverified iss is a configured issuer (scheme in any case)', async () => {
    const token = jwt({ iss: ISSUER, aud: 'x' });
    expect(await classify([`Authorization: bearer ${token}`])).to.deep.equal({ kind: 'oidc', issuer: ISSUER, token });
  });

  it('passthrough for a service-account JWT, an opaque token, or a JWT of another or near-identical issuer', async () => {
    for (const token of [
      jwt({ iss: 'https://kubernetes.default.svc.cluster.local', sub: 'system:serviceaccount:ns:sa' }),
      'abcdef.0123456789abcdef',
      jwt({ iss: `${ISSUER}/` }),
      jwt({ iss: ISSUER.toUpperCase() }),
      jwt({ sub: 'no-iss' }),
      'a.b.c',
    ]) {
      expect(await classify([`Authorization: Bearer ${token}`]), token).to.deep.equal({ kind: 'passthrough', token });
    }
  });

  it('invalid for another scheme, an empty or spaced token, or duplicated Authorization lines', async () => {
    for (const lines of [['Authorization: Basic dXNlcjpwYXNz'], ['Authorization: Bearer'], ['Authorization: Bearer a b'], ['Authorization: Bearer a', 'authorization: Bearer b']]) {
      const result = await classify(lines);
      expect(result.kind, lines.join(' | ')).to.equal('invalid');
    }
  });

  it('peeks at iss without trusting anything else: any alg, but only a string iss', () => {
    const classifier = createBearerClassifier(new Set([ISSUER]));
    expect(classifier(authorization(`Bearer ${jwt({ iss: ISSUER }, { alg: 'none' })}`)).kind).to.equal('oidc');
    expect(classifier(authorization('Bearer not.a.jwt')).kind).to.equal('passthrough');
    expect(classifier(authorization(`Bearer ${jwt({ iss: 42 })}`)).kind).to.equal('passthrough');
  });

  it('reads iss only from a strict three-part base64url JWT whose payload is a JSON object', () => {
    const classifier = createBearerClassifier(new Set([ISSUER]));
    const kind = (token: string) => classifier(authorization(`Bearer ${token}`)).kind;
    const payload = Buffer.from(JSON.stringify({ iss: ISSUER })).toString('base64url');
    expect(kind(`h.${payload}.s`)).to.equal('oidc');
    expect(kind(`h.${payload}.s.x`), 'four parts').to.equal('passthrough');
    expect(kind(`h.${payload}`), 'two parts').to.equal('passthrough');
    expect(kind('h..s'), 'empty payload').to.equal('passthrough');
    expect(kind(`h.${payload.slice(0, 4)}+${payload.slice(4)}.s`), 'a character outside base64url').to.equal('passthrough');
    expect(kind(`h.${payload}=.s`), 'padding').to.equal('passthrough');
    expect(kind(`h.${Buffer.from(JSON.stringify([ISSUER])).toString('base64url')}.s`), 'an array').to.equal('passthrough');
    expect(kind(`h.${Buffer.from('"x"').toString('base64url')}.s`), 'a string').to.equal('passthrough');
    expect(kind(`h.${Buffer.from('{"iss":').toString('base64url')}.s`), 'not JSON').to.equal('passthrough');
  });

  it('peeks into each Authorization value once and answers a repeat from memory, token and all', () => {
    const issuers = countingIssuers();
    const classifier = createBearerClassifier(issuers);
    const token = jwt({ iss: ISSUER });
    const first = classifier(authorization(`Bearer ${token}`));
    const second = classifier(authorization(`Bearer ${token}`));
    expect(issuers.asked, 'the second request is answered from memory').to.equal(1);
    expect(second, 'the remembered answer').to.equal(first);
    expect(second).to.deep.equal({ kind: 'oidc', issuer: ISSUER, token });
    // Surrounding spaces are not part of the token, the first time or from memory.
    const spaced = jwt({ iss: ISSUER, n: 2 });
    expect(classifier(authorization(`  bearer   ${spaced}  `))).to.deep.equal({ kind: 'oidc', issuer: ISSUER, token: spaced });
    expect(classifier(authorization(`  bearer   ${spaced}  `))).to.deep.equal({ kind: 'oidc', issuer: ISSUER, token: spaced });
    expect(classifier(authorization('Bearer opaque'))).to.deep.equal({ kind: 'passthrough', token: 'opaque' });
    expect(classifier(authorization('Bearer opaque'))).to.deep.equal({ kind: 'passthrough', token: 'opaque' });
    expect(issuers.asked).to.equal(2); // the opaque token has no iss to ask about
  });

  it('hands out shared answers frozen, so no request can change the next one\'s', () => {
    const classifier = createBearerClassifier(new Set([ISSUER]));
    const token = jwt({ iss: ISSUER });
    for (const value of [`Bearer ${token}`, 'Bearer opaque']) {
      const answer = classifier(authorization(value));
      expect(() => Object.assign(answer, { token: 'someone-else' }), value).to.throw(TypeError);
      expect(classifier(authorization(value))).to.equal(answer).and.not.to.have.property('token', 'someone-else');
    }
    const basic = classifier(authorization('Basic dXNlcjpwYXNz'));
    expect(classifier(authorization('Basic dXNlcjpwYXNz'))).to.equal(basic);
    expect(Object.isFrozen(basic)).to.equal(true);
    expect(JSON.stringify(basic), 'a refusal does not echo the credentials').not.to.contain('dXNlcjpwYXNz');
    const missing = classifier(new RequestHeaders({ headers: {}, rawHeaders: [] }));
    expect(Object.isFrozen(missing)).to.equal(true);
  });

  it('refuses a duplicated line every time, even when each line alone was remembered as valid', async () => {
    const classifier = createBearerClassifier(new Set([ISSUER]));
    const token = jwt({ iss: ISSUER });
    expect(classifier(new RequestHeaders(await parsedByNode([`Authorization: Bearer ${token}`]))).kind).to.equal('oidc');
    expect(classifier(new RequestHeaders(await parsedByNode([`Authorization: Bearer ${token}`, `Authorization: Bearer ${token}`]))).kind).to.equal('invalid');
  });
});
