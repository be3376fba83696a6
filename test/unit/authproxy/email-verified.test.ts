// With `email` as the username claim, a token whose issuer says the address is unverified is refused, as
// Kubernetes' own OIDC authenticator does; an absent email_verified counts as verified there too.
import { expect } from 'chai';
import { createAuthenticator } from '../../../proxy/src/authproxy/authenticate.js';
import { kubeStatusResponse } from '../../../proxy/src/authproxy/kube-status.js';
import { createOidcVerifier } from '../../../proxy/src/authproxy/oidc-verifier.js';
import type { OidcVerifierConfig } from '../../../proxy/src/authproxy/oidc-config.js';
import { bearer, createLocalIssuer, LOCAL_AUDIENCE, LOCAL_ISSUER } from './local-issuer.js';
import type { LocalIssuer } from './local-issuer.js';
import { rejection } from './reject.js';

describe('authproxy/email-verified (username claim "email")', () => {
  let issuer: LocalIssuer;
  const verifierFor = (overrides: Partial<OidcVerifierConfig> = {}) =>
    createOidcVerifier({ issuerURL: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, fetch: issuer.fetch, usernameClaim: 'email', ...overrides });
  const email = 'alice@example.com';

  before(async () => {
    issuer = await createLocalIssuer();
  });

  it('accepts email_verified: true, and a token without email_verified', async () => {
    expect((await verifierFor().verify(await issuer.mint({ email, email_verified: true }))).identity.username).to.equal(email);
    expect((await verifierFor().verify(await issuer.mint({ email }))).identity.username).to.equal(email);
  });

  it('refuses email_verified: false with a 401 naming the claim', async () => {
    const rejected = await rejection(verifierFor().verify(await issuer.mint({ email, email_verified: false })));
    expect(rejected.reason).to.equal('missing_claim');
    expect(rejected.httpStatus).to.equal(401);
    expect(rejected.message).to.equal('token claim "email_verified" is false: the issuer has not verified the "email" claim, so it cannot be the username');
  });

  it('refuses an email_verified that is not a boolean (Kubernetes fails to parse it)', async () => {
    for (const [value, kind] of [['true', 'string'], [1, 'number'], [null, 'null'], [{}, 'object']] as const) {
      const rejected = await rejection(verifierFor().verify(await issuer.mint({ email, email_verified: value })));
      expect(rejected.message, JSON.stringify(value)).to.contain(`"email_verified" is not a boolean (${kind})`);
    }
  });

  it('applies a prefix as well: the check is about the claim, not the resulting name', async () => {
    expect((await rejection(verifierFor({ usernamePrefix: 'oidc:' }).verify(await issuer.mint({ email, email_verified: false })))).reason).to.equal('missing_claim');
  });

  it('ignores email_verified when the username comes from another claim', async () => {
    expect((await verifierFor({ usernameClaim: 'upn' }).verify(await issuer.mint({ upn: email, email, email_verified: false }))).identity.username).to.equal(email);
  });

  it('the request is refused with a 401 Status whose message names the claim', async () => {
    const authenticator = createAuthenticator({ verifiers: [verifierFor()], serviceAccountTokens: false });
    const token = await issuer.mint({ email, email_verified: false });
    const decision = await authenticator.decide(bearer(token));
    if (decision.kind !== 'refuse') expect.fail(`expected a refusal, got ${decision.kind}`);
    expect(decision.status).to.equal(401);
    const status = JSON.parse(kubeStatusResponse(decision.status, decision.message).body) as { code: number; message: string };
    expect(status.code).to.equal(401);
    expect(status.message).to.contain('"email_verified" is false');
    for (const part of token.split('.')) expect(status.message).not.to.contain(part);
  });
});
