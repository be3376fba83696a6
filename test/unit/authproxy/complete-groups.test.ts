// Groups resolved for an overage token go through the same value rule as token claims before they become
// Impersonate-Group headers: 1 to 1024 characters, no control characters — a bad one refuses the request (401).
import { expect } from 'chai';
import { createAuthenticator } from '../../../proxy/src/authproxy/authenticate.js';
import { MAX_IDENTITY_VALUE_LENGTH } from '../../../proxy/src/authproxy/control-characters.js';
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
    const completed = await completeGroups(overageToken(), resolving(['a', longest, 'ä-ü']), { groupsPrefix: 'aad:' });
    expect(completed.identity.groups).to.deep.equal(['aad:a', `aad:${longest}`, 'aad:ä-ü']);
    expect(completed.groupsOverage).to.equal(undefined);
  });

  const bad: [string, unknown, RegExp][] = [
    ['longer than the limit', 'g'.repeat(MAX_IDENTITY_VALUE_LENGTH + 1), /1025 characters, starting "ggg/],
    ['with a line break (header splitting)', 'ok\r\nImpersonate-Group: system:masters', /with a control character, starting "ok\?\?Impersonate/],
    ['with a NUL', 'a\u0000b', /with a control character/],
    ['empty', '', /\(empty\)/],
    ['not a string', 42, /\(a number\)/],
  ];
  for (const [what, group, message] of bad) {
    it(`refuses the request (401, not a retryable 503) for a name ${what}`, async () => {
      const rejected = await rejection(completeGroups(overageToken(), resolving(['fine', group]), { groupsPrefix: '' }));
      expect(rejected.httpStatus).to.equal(401);
      expect(rejected.message).to.match(message);
      expect(rejected.message).to.contain(`1 to ${MAX_IDENTITY_VALUE_LENGTH} characters without control characters`);
      expect(rejected.message).not.to.match(/[\r\n]/);
      expect(rejected.message).not.to.include('\u0000');
    });
  }

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
      if (decision.kind === 'refuse') expect(decision.message).to.match(/^the caller's groups could not be resolved through Microsoft Graph: a resolved group name \(1025 characters/);
    });
  });
});
