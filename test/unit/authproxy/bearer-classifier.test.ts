import { expect } from 'chai';
import { classifyBearer, unverifiedIssuer } from '../../../proxy/src/authproxy/bearer-classifier.js';
import { closeParserServer, parsedByNode } from './node-parsed-headers.js';

const ISSUER = 'https://login.microsoftonline.com/tenant-a/v2.0';
const jwt = (payload: object, header: object = { alg: 'RS256', kid: 'k' }) =>
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;

describe('authproxy/bearer-classifier', () => {
  after(closeParserServer);
  const classify = async (lines: string[]) => classifyBearer(await parsedByNode(lines), [ISSUER]);

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
});
