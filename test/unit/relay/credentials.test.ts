import { expect } from 'chai';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { generateKeyPairFiles, loadPublicKey } from '../../../proxy/src/relay/credentials/key-files.js';
import { issueToken } from '../../../proxy/src/relay/credentials/issue-token.js';
import { createRelayTokenVerifier } from '../../../proxy/src/relay/credentials/verify-relay-token.js';
import { checkClusterAccess, createClientAuthenticator } from '../../../proxy/src/relay/credentials/client-authenticator.js';
import { createOidcVerifier } from '../../../proxy/src/authproxy/oidc-verifier.js';
import { createHttpsFetch } from '../../../proxy/src/authproxy/https-fetch.js';
import { RelayError } from '../../../proxy/src/relay/relay-error.js';
import { startTestOidcProvider } from '../../support/oidc-provider.js';
import type { TestOidcProvider } from '../../support/oidc-provider.js';
import { removeTempDir } from '../../support/temp-dir.js';
import { makeKeys } from './fixtures.js';
import type { TestKeys } from './fixtures.js';

async function rejection(promise: Promise<unknown>): Promise<RelayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(RelayError);
    return error as RelayError;
  }
  throw new Error('expected a RelayError');
}

describe('relay credentials', () => {
  let keys: TestKeys;
  before(async () => {
    keys = await makeKeys();
  });
  after(() => {
    if (keys) removeTempDir(keys.dir);
  });

  it('keygen writes an Ed25519 PEM pair, the private key mode 0600, and refuses to overwrite it', async () => {
    expect(statSync(keys.privateKeyFile).mode & 0o777).to.equal(0o600);
    await generateKeyPairFiles({ privateKeyFile: keys.privateKeyFile, publicKeyFile: join(keys.dir, 'other.pub') }).then(
      () => expect.fail('overwrote the key'),
      (error: Error) => expect(error.message).to.contain('already exists; pass --force'),
    );
  });

  it('issues an EdDSA JWT with the relay issuer and audience, role, cluster, sub, exp and jti', async () => {
    const token = await keys.token('agent', 'prod-eu');
    const claims = decodeJwt(token);
    expect(claims).to.include({ iss: 'clusterconnect-relay', aud: 'clusterconnect-relay', role: 'agent', cluster: 'prod-eu', sub: 'agent:prod-eu' });
    expect(claims.exp! - claims.iat!).to.equal(3600);
    expect(claims.jti).to.be.a('string');
  });

  it('verifies with the public key alone', async () => {
    const verify = createRelayTokenVerifier({ publicKey: await loadPublicKey(keys.publicKeyFile) });
    const claims = await verify(await keys.token('client', 'dev'), 'client');
    expect(claims).to.include({ role: 'client', cluster: 'dev', subject: 'client:dev' });
  });

  it('says which token expired and when', async () => {
    const verify = createRelayTokenVerifier({ publicKey: await loadPublicKey(keys.publicKeyFile) });
    const expired = await keys.token('agent', 'dev', 60, () => new Date(Date.now() - 3_600_000));
    const error = await rejection(verify(expired, 'agent'));
    expect(error.status).to.equal(401);
    expect(error.message).to.match(/^agent token rejected: it expired at \d{4}-\d\d-\d\dT/);
  });

  it('rejects a token signed with another key, and a token of the wrong role', async () => {
    const other = await makeKeys();
    const verify = createRelayTokenVerifier({ publicKey: await loadPublicKey(keys.publicKeyFile) });
    const foreign = await rejection(verify(await other.token('agent', 'dev'), 'agent'));
    expect(foreign.message).to.contain("signature does not verify with this relay's public key");
    const wrongRole = await rejection(verify(await keys.token('client', 'dev'), 'agent'));
    expect(wrongRole.status).to.equal(403);
    expect(wrongRole.message).to.contain('a client token was presented where a token with role agent is required');
  });

  it('refuses to mint for an invalid cluster name or a zero lifetime', async () => {
    await issueToken({ role: 'agent', cluster: 'Bad_Name', ttl: 60, key: keys.privateKey }).then(
      () => expect.fail('minted'),
      (error: Error) => expect(error.message).to.contain('is not valid'),
    );
    await issueToken({ role: 'agent', cluster: 'ok', ttl: 0, key: keys.privateKey }).then(
      () => expect.fail('minted'),
      (error: Error) => expect(error.message).to.contain('lifetime'),
    );
  });

  it('loading a file that is not a key says how to make one', async () => {
    const bad = join(keys.dir, 'bad.pem');
    writeFileSync(bad, 'not a key');
    await loadPublicKey(bad).then(
      () => expect.fail('loaded'),
      (error: Error) => expect(error.message).to.contain('clusterconnect relay keygen'),
    );
  });

  it('a key file that cannot be read is named by the flag that gave it', async () => {
    const missing = join(keys.dir, 'missing.pem');
    await loadPublicKey(missing).then(
      () => expect.fail('loaded'),
      (error: Error) => expect(error.message).to.equal(`--public-key-file ${missing} cannot be read (ENOENT); check the path`),
    );
  });
});

describe('relay client authentication', () => {
  let keys: TestKeys;
  let provider: TestOidcProvider;
  const relayAudience = 'api://clusterconnect-relay';

  before(async () => {
    keys = await makeKeys();
    provider = await startTestOidcProvider({
      audience: relayAudience,
      otherAudiences: ['api://kube-aad-proxy'],
      principals: [{ clientId: 'alice', clientSecret: 'alice-secret', kind: 'user', oid: 'oid-alice', tid: 'tenant-1', upn: 'alice@example.com' }],
    });
  });
  after(async () => {
    await provider.close();
    if (keys) removeTempDir(keys.dir);
  });

  async function authenticator(mode: 'token' | 'none' = 'token') {
    const relayTokens = createRelayTokenVerifier({ publicKey: await loadPublicKey(keys.publicKeyFile) });
    const oidc = createOidcVerifier({ issuerURL: provider.issuer, audience: relayAudience, usernameClaim: 'sub', extraClaims: {}, fetch: createHttpsFetch({ ca: provider.caPem }) });
    return createClientAuthenticator({ mode, relayTokens, oidcIssuers: [oidc] });
  }

  it('accepts a relay client token, scoped to its cluster; another cluster gets a 403 naming both', async () => {
    const auth = await authenticator();
    const principal = await auth.authenticate(`Bearer ${await keys.token('client', 'alpha')}`);
    expect(principal).to.include({ kind: 'relay-token', cluster: 'alpha' });
    expect(() => checkClusterAccess(principal, 'alpha')).not.to.throw();
    expect(() => checkClusterAccess(principal, 'beta'))
      .to.throw(RelayError)
      .with.property('message', 'client token is for cluster "alpha", not for cluster "beta"');
  });

  it("accepts an OIDC access token for the relay's audience from a trusted issuer (any cluster)", async () => {
    const auth = await authenticator();
    const principal = await auth.authenticate(`Bearer ${await provider.token('alice')}`);
    expect(principal.kind).to.equal('oidc');
    expect(principal.cluster).to.equal(undefined);
  });

  it("refuses an OIDC token minted for the cluster's audience: the relay never accepts a token the cluster would", async () => {
    const auth = await authenticator();
    const error = await rejection(auth.authenticate(`Bearer ${await provider.token('alice', 'api://kube-aad-proxy')}`));
    expect(error.status).to.equal(401);
    expect(error.message).to.match(/^client token rejected: token audience "api:\/\/kube-aad-proxy" is not/);
  });

  it('names the problem for a missing header, a non-JWT and an untrusted issuer', async () => {
    const auth = await authenticator();
    expect((await rejection(auth.authenticate(undefined))).message).to.contain('no client token');
    expect((await rejection(auth.authenticate('Bearer abc'))).message).to.contain('not a JWT');
    const other = await makeKeys();
    const agentToken = await other.token('agent', 'x');
    // Same issuer name, other key: the relay verifier answers, and says the signature is wrong.
    expect((await rejection(auth.authenticate(`Bearer ${agentToken}`))).message).to.contain('client token rejected');
  });

  it('an agent token cannot be used as a client token', async () => {
    const auth = await authenticator();
    const error = await rejection(auth.authenticate(`Bearer ${await keys.token('agent', 'alpha')}`));
    expect(error.status).to.equal(403);
  });

  it('--client-auth none lets anyone in (demo only)', async () => {
    const auth = await authenticator('none');
    expect(await auth.authenticate(undefined)).to.include({ kind: 'anonymous' });
  });
});
