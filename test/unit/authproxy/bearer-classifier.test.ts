import { expect } from 'chai';
import { classifyBearer, createBearerClassifier, unverifiedIssuer } from '../../../proxy/src/authproxy/bearer-classifier.js';
import { RequestHeaders } from '../../../proxy/src/authproxy/incoming-headers.js';
import { closeParserServer, parsedByNode } from './node-parsed-headers.js';

const ISSUER = 'https://login.microsoftonline.com/tenant-a/v2.0';
const jwt = (payload: object, header: object = { alg: 'RS256', kid: 'k' }) =>
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;

describe('authproxy/bearer-classifier', () => {
  after(closeParserServer);
  const classify = async (lines: string[]) => classifyBearer(await parsedByNode(lines), new Set([ISSUER]));

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

  it('peeks at iss without trusting anything else', () => {
    expect(unverifiedIssuer(jwt({ iss: ISSUER }, { alg: 'none' }))).to.equal(ISSUER);
    expect(unverifiedIssuer('not.a.jwt')).to.equal(undefined);
    expect(unverifiedIssuer(jwt({ iss: 42 }))).to.equal(undefined);
  });

  it('reads iss only from a strict three-part base64url JWT whose payload is a JSON object', () => {
    const payload = Buffer.from(JSON.stringify({ iss: ISSUER })).toString('base64url');
    expect(unverifiedIssuer(`h.${payload}.s`)).to.equal(ISSUER);
    expect(unverifiedIssuer(`h.${payload}.s.x`), 'four parts').to.equal(undefined);
    expect(unverifiedIssuer(`h.${payload}`), 'two parts').to.equal(undefined);
    expect(unverifiedIssuer('h..s'), 'empty payload').to.equal(undefined);
    expect(unverifiedIssuer(`h.${payload.slice(0, 4)}+${payload.slice(4)}.s`), 'a character outside base64url').to.equal(undefined);
    expect(unverifiedIssuer(`h.${payload}=.s`), 'padding').to.equal(undefined);
    expect(unverifiedIssuer(`h.${Buffer.from(JSON.stringify([ISSUER])).toString('base64url')}.s`), 'an array').to.equal(undefined);
    expect(unverifiedIssuer(`h.${Buffer.from('"x"').toString('base64url')}.s`), 'a string').to.equal(undefined);
    expect(unverifiedIssuer(`h.${Buffer.from('{"iss":').toString('base64url')}.s`), 'not JSON').to.equal(undefined);
  });

  it('createBearerClassifier answers as classifyBearer does, remembering answers per Authorization value', async () => {
    const classify = createBearerClassifier(new Set([ISSUER]));
    const issuers = new Set([ISSUER]);
    const token = jwt({ iss: ISSUER });
    for (const lines of [[`Authorization: Bearer ${token}`], ['Authorization: Bearer opaque'], ['Authorization: Basic x'], ['Accept: */*'], ['Authorization: Bearer a', 'Authorization: Bearer a']]) {
      const headers = new RequestHeaders(await parsedByNode(lines));
      expect(classify(headers), lines.join(' | ')).to.deep.equal(classifyBearer(headers, issuers));
    }
    const once = classify(new RequestHeaders(await parsedByNode([`Authorization: Bearer ${token}`])));
    expect(classify(new RequestHeaders(await parsedByNode([`Authorization: Bearer ${token}`]))), 'the remembered answer').to.equal(once);
    // A duplicated line is refused every time, even when each line alone was remembered as valid.
    expect(classify(new RequestHeaders(await parsedByNode([`Authorization: Bearer ${token}`, `Authorization: Bearer ${token}`]))).kind).to.equal('invalid');
  });
});
