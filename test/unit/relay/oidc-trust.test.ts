// The relay trusts exactly its --oidc-ca-file for an issuer's discovery and keys, as kube-apiserver does with its own
// --oidc-ca-file: the client tokens it accepts rest on that trust. The issuer's CA is made one of Node's default
// roots for the duration, so a relay that still added the default roots to the file would reach the issuer.
import { expect } from 'chai';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { RelayError } from '../../../proxy/src/relay/relay-error.js';
import { startTestOidcProvider } from '../../support/oidc-provider.js';
import type { TestOidcProvider } from '../../support/oidc-provider.js';
import { removeTempDir } from '../../support/temp-dir.js';
import { makeKeys, startTestRelay, testCaPem } from './fixtures.js';
import type { TestKeys } from './fixtures.js';

describe('relay OIDC issuer trust', function () {
  this.timeout(20_000);
  const audience = 'api://clusterconnect-relay';
  let keys: TestKeys;
  let provider: TestOidcProvider;
  let originalDefaults: string[] | undefined;

  before(async () => {
    keys = await makeKeys();
    provider = await startTestOidcProvider({ audience, principals: [{ clientId: 'alice', clientSecret: 'alice-secret', kind: 'user', oid: 'oid-alice', tid: 'tenant-1' }] });
    originalDefaults = getCACertificates('default');
    setDefaultCACertificates([...originalDefaults, provider.caPem]);
  });
  after(async () => {
    if (originalDefaults) setDefaultCACertificates(originalDefaults);
    await provider?.close();
    if (keys) removeTempDir(keys.dir);
  });

  /** How a relay trusting `caPem` for the issuer (its default roots when undefined) answers alice's token. */
  async function answer(caPem: string | undefined): Promise<string> {
    const relay = await startTestRelay(keys, { oidcIssuers: [{ issuerUrl: provider.issuer, audience, ...(caPem ? { caPem } : {}) }] });
    try {
      const principal = await relay.handle.context.clients.authenticate(`Bearer ${await provider.token('alice')}`);
      return principal.kind;
    } catch (error) {
      if (!(error instanceof RelayError)) throw error;
      return `${error.status} ${error.code}`;
    } finally {
      await relay.handle.close();
    }
  }

  it('without --oidc-ca-file the default roots decide: here they include the issuer\'s CA', async () => {
    expect(await answer(undefined)).to.equal('oidc');
  });

  it('with --oidc-ca-file only that file is trusted: an issuer it did not sign is unreachable, default roots or not', async () => {
    expect(await answer(provider.caPem), 'the file that signed the issuer').to.equal('oidc');
    expect(await answer(await testCaPem()), 'another CA in the file').to.equal('503 issuer_unreachable');
  });
});
