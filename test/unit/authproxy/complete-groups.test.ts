// Groups resolved for an overage token go through the same exact-value rule as token claims before they become
// Impersonate-Group headers (identity-value.ts) — a bad one refuses the request (401), naming what is wrong.
import { expect } from 'chai';
import { createAuthenticator } from '../../../proxy/src/authproxy/authenticate.js';
import { MAX_IDENTITY_VALUE_LENGTH } from '../../../proxy/src/authproxy/identity-value.js';
import type { GroupResolver, VerifiedToken } from '../../../proxy/src/authproxy/identity.js';
import { completeGroups, createOidcVerifier } from '../../../proxy/src/authproxy/oidc-verifier.js';
import { bearer, createLocalIssuer, LOCAL_AUDIENCE, LOCAL_ISSUER } from './local-issuer.js';
import type { LocalIssuer } from './local-issuer.js';
import { rejection } from './reject.js';

const overageToken = (): VerifiedToken => ({
  identity: { username: 'u', groups: [], extra: {} },
  principalType: 'user',
  expiresAt: new Date(Date.now() + 60_000),
  groupsOverage: { objectId: '3a4e0000-0000-4000-8000-0000000000aa', principalType: 'user' },
});
const resolving = (groups: unknown[]): GroupResolver => ({ resolveGroups: () => Promise.resolve(groups as string[]) });

describe('authproxy/completeGroups (resolved group names)', () => {
  it(`accepts names up to ${MAX_IDENTITY_VALUE_LENGTH} characters, prefixed`, async () => {
    const longest = 'g'.repeat(MAX_IDENTITY_VALUE_LENGTH);
    const completed = await completeGroups(overageToken(), resolving(['a', longest.slice(4), 'ä-ü', 'a b,c']), { groupsPrefix: 'aad:' });
    expect(completed.identity.groups).to.deep.equal(['aad:a', `aad:${longest.slice(4)}`, 'aad:ä-ü', 'aad:a b,c']);
    expect(completed.groupsOverage).to.equal(undefined);
  });

  const bad: [string, unknown, RegExp][] = [
    ['longer than the limit', 'g'.repeat(MAX_IDENTITY_VALUE_LENGTH + 1), /^Microsoft Graph returned group "g{80}"…, which is 1025 characters long \(at most 1024\)$/],
    ['with a line break (header splitting)', 'ok\r\nImpersonate-Group: system:masters', /^Microsoft Graph returned group "ok\\u000d\\u000aImpersonate-Group: system:masters", which holds a control character$/],
    ['with a NUL', 'a\u0000b', /which holds a control character/],
    ['with a leading space (Go trims it)', ' system:masters', /^Microsoft Graph returned group " system:masters", which has leading or trailing whitespace$/],
    ['with a trailing NBSP', 'ops\u00a0', /"ops\\u00a0", which has leading or trailing whitespace/],
    ['with a lone surrogate', 'a\ud800', /which holds a lone UTF-16 surrogate/],
    ['empty', '', /"", which is empty/],
    ['not a string', 42, /^Microsoft Graph returned a group that is a number, not a string$/],
  ];
  for (const [what, group, message] of bad) {
    it(`refuses the request (401, not a retryable 503) for a name ${what}`, async () => {
      const rejected = await rejection(completeGroups(overageToken(), resolving(['fine', group]), { groupsPrefix: '' }));
      expect(rejected.httpStatus).to.equal(401);
      expect(rejected.reason).to.equal('unsafe_identity');
      expect(rejected.message).to.match(message);
      expect(rejected.message).not.to.match(/\p{Cc}/u);
    });
  }

  it('checks the prefixed name: the reserved-name check sees what the apiserver will', async () => {
    const rejected = await rejection(completeGroups(overageToken(), resolving(['masters']), { groupsPrefix: 'system:' }));
    expect(rejected.reason).to.equal('reserved_name');
    expect(rejected.message).to.equal('token maps to group "system:masters", which is reserved for Kubernetes itself');
  });

  describe('through the authenticator', () => {
    let issuer: LocalIssuer;
    before(async () => {
      issuer = await createLocalIssuer();
    });

    const decide = async (groups: unknown[]) => {
      const authenticator = createAuthenticator({
        verifiers: [createOidcVerifier({ issuerURL: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, fetch: issuer.fetch })],
        serviceAccountTokens: false,
        groupResolver: resolving(groups),
      });
      const claims = { ...issuer.defaultClaims(), groups: undefined, _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph.microsoft.com/x' } } };
      const token = await issuer.mint(claims);
      return authenticator.decide(bearer(token));
    };

    it('forwards usable resolved groups as Impersonate-Group headers', async () => {
      const decision = await decide(['g-1', 'g-2']);
      expect(decision.kind).to.equal('forward');
      if (decision.kind !== 'forward') return;
      expect(decision.headers.filter(([name]) => name === 'Impersonate-Group').map(([, value]) => value)).to.deep.equal(['g-1', 'g-2']);
    });

    it('refuses with 401 groups_unresolved, sending no headers, when one resolved name is over-long', async () => {
      const decision = await decide(['g-1', 'x'.repeat(MAX_IDENTITY_VALUE_LENGTH + 1)]);
      expect(decision).to.deep.include({ kind: 'refuse', status: 401, reason: 'groups_unresolved' });
      if (decision.kind === 'refuse') expect(decision.message).to.match(/^the caller's groups could not be resolved through Microsoft Graph: Microsoft Graph returned group "x{80}"…, which is 1025 characters long/);
    });
  });
});
