import { expect } from 'chai';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { unverifiedClaims, unverifiedHeader } from '../../../proxy/src/common/unverified-jwt.js';
import { jwtExpiry } from '../../../proxy/src/client/relay-credential.js';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('common/unverified-jwt', () => {
  it('reads the same claims as jose decodeJwt from a signed token', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ iss: 'https://issuer.example', groups: ['a', 'é'] }).setProtectedHeader({ alg: 'ES256' }).setExpirationTime('1h').sign(privateKey);
    expect(unverifiedClaims(token)).to.deep.equal(decodeJwt(token));
    expect(unverifiedHeader(token)).to.deep.equal(decodeProtectedHeader(token));
    expect(jwtExpiry(token)?.getTime()).to.equal((decodeJwt(token).exp ?? 0) * 1000);
  });

  it('gives undefined for anything that is not header.payload.signature with a JSON object payload', () => {
    const header = b64({ alg: 'none' });
    for (const token of [
      '', 'opaque-token', `${header}.${b64({ a: 1 })}`, `${header}.${b64({ a: 1 })}.sig.extra`,
      `${header}.${b64({ a: 1 })}=.sig`, `${header}.${b64('[1,2]')}.sig`, `${header}.${b64('not json')}.sig`, `${header}.${b64('null')}.sig`, `${header}..sig`,
    ]) {
      expect(unverifiedClaims(token), token).to.equal(undefined);
    }
    expect(unverifiedClaims(`${header}.${b64({ exp: 5 })}.`)).to.deep.equal({ exp: 5 });
    for (const token of ['', 'no-dot', `${b64('[1]')}.x.y`, `${b64('nope')}.x.y`, `${header}=.x.y`]) expect(unverifiedHeader(token), token).to.equal(undefined);
    expect(unverifiedHeader(`${header}.x.y`)).to.deep.equal({ alg: 'none' });
  });
});
