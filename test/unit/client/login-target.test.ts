// Login target flags: Entra defaults, any OIDC issuer, and the get-token arguments that name the same session.
import { expect } from 'chai';
import { DEFAULT_ENTRA_CLIENT_ID, getTokenArgs, loginCommand, resolveLoginTarget, targetKey } from '../../../proxy/src/client/login/login-target.js';

describe('login target', () => {
  it('defaults to Entra (organizations, the Azure CLI client, the kube-aad-proxy scope)', () => {
    expect(resolveLoginTarget({})).to.deep.equal({
      authority: 'https://login.microsoftonline.com/organizations',
      kind: 'entra',
      clientId: DEFAULT_ENTRA_CLIENT_ID,
      scopes: ['api://kube-aad-proxy/.default'],
    });
    expect(resolveLoginTarget({ tenant: 'contoso.onmicrosoft.com' }).authority).to.equal('https://login.microsoftonline.com/contoso.onmicrosoft.com');
  });

  it('any other issuer uses openid-client and needs a client id', () => {
    expect(() => resolveLoginTarget({ authority: 'https://id.example.com/realms/main/' })).to.throw(/--client-id is required/);
    const target = resolveLoginTarget({ authority: 'https://id.example.com/realms/main/', clientId: 'cc', audience: 'kube' });
    expect(target).to.deep.equal({ authority: 'https://id.example.com/realms/main', kind: 'oidc', clientId: 'cc', scopes: [], audience: 'kube' });
  });

  it('refuses bad flags in one line', () => {
    expect(() => resolveLoginTarget({ authority: 'http://id.example.com', clientId: 'c' })).to.throw(/must be https/);
    expect(() => resolveLoginTarget({ authority: 'x', tenant: 't' })).to.throw(/not both/);
    expect(() => resolveLoginTarget({ tenant: 'a/b' })).to.throw(/not a tenant/);
    expect(() => resolveLoginTarget({ issuerKind: 'saml' })).to.throw(/entra or oidc/);
  });

  it('get-token arguments resolve to the same session key', () => {
    const target = resolveLoginTarget({ authority: 'https://127.0.0.1:8443', issuerKind: 'entra', clientId: 'cli', scope: ['b', 'a', 'a'], authorityCaFile: '/ca.pem' });
    const args = getTokenArgs(target);
    expect(args[0]).to.equal('get-token');
    const flags: Record<string, string | string[]> = {};
    for (let i = 1; i < args.length; i += 2) {
      const name = (args[i] ?? '').replace(/^--/, '').replace(/-(.)/g, (_, c: string) => c.toUpperCase());
      if (name === 'scope') flags.scope = [...((flags.scope as string[] | undefined) ?? []), args[i + 1] ?? ''];
      else flags[name] = args[i + 1] ?? '';
    }
    expect(targetKey(resolveLoginTarget(flags))).to.equal(targetKey(target));
    expect(loginCommand(target)).to.equal('clusterconnect login --authority https://127.0.0.1:8443 --client-id cli --issuer-kind entra --scope a --scope b --authority-ca-file /ca.pem');
  });
});
