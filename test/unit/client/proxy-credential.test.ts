import { expect } from 'chai';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCredentialRenewal, renewalTiming } from '../../../proxy/src/client/credential-renewal.js';
import { fileRelayCredential, inlineRelayCredential, jwtExpiry } from '../../../proxy/src/client/relay-credential.js';
import type { RelayCredential, RelayToken } from '../../../proxy/src/client/relay-credential.js';
import { relayClientFromFlags } from '../../../proxy/src/cli/relay-client-options.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dir.js';
import { captureLogger } from '../tunnel/helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fakeJwt = (exp: number) => `e30.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.sig`;

describe('proxy: relay credential and its renewal', () => {
  it('reads a JWT expiry without trusting it; opaque tokens have none', () => {
    expect(jwtExpiry(fakeJwt(2_000_000_000))?.toISOString()).to.equal(new Date(2_000_000_000_000).toISOString());
    expect(jwtExpiry('opaque')).to.equal(undefined);
  });

  it('--relay-ca-file must hold a PEM certificate, checked with the flags rather than at the first handshake', () => {
    const dir = makeTempDir('cc-relay-ca-');
    const file = join(dir, 'ca.pem');
    writeFileSync(file, 'not a certificate\n');
    try {
      expect(() => relayClientFromFlags({ relay: 'wss://relay.example.com', relayToken: 'x', relayCaFile: file }, {}, {})).to.throw(
        `--relay-ca-file ${file} holds no PEM certificate; give the CA bundle in PEM (BEGIN CERTIFICATE blocks)`,
      );
    } finally {
      removeTempDir(dir);
    }
  });

  it('a token file is re-read on every use (a rotated token is picked up)', async () => {
    const dir = makeTempDir('cc-cred-');
    const file = join(dir, 'token');
    writeFileSync(file, `${fakeJwt(1)}\n`);
    const credential = fileRelayCredential(file);
    expect((await credential.current()).token).to.equal(fakeJwt(1));
    writeFileSync(file, fakeJwt(2));
    expect((await credential.current()).expiresOn?.getTime()).to.equal(2000);
    writeFileSync(file, '  ');
    await credential.current().then(
      () => expect.fail('empty file accepted'),
      (e: Error) => expect(e.message).to.equal(`--relay-token-file ${file} is empty; put the relay client token in it`),
    );
    rmSync(file);
    await credential.current().then(
      () => expect.fail('missing file accepted'),
      (e: Error) => expect(e.message).to.equal(`--relay-token-file ${file} cannot be read (ENOENT); check the path`),
    );
    expect(credential.describe).to.equal(`--relay-token-file ${file}`);
    expect(inlineRelayCredential(' x ', '--relay-token').describe).to.equal('--relay-token');
    removeTempDir(dir);
  });

  it('timing: a fifth of the remaining life before expiry (at most 5 min), re-asking every fiftieth', () => {
    expect(renewalTiming(new Date(10_000), 5_000)).to.deep.equal({ firstCheckMs: 4_000, retryMs: 100 });
    expect(renewalTiming(new Date(3_600_000), 0)).to.deep.equal({ firstCheckMs: 3_300_000, retryMs: 15_000 });
    expect(renewalTiming(new Date(0), 5_000).firstCheckMs).to.equal(0);
  });

  it('renews before expiry once the issuer hands out a newer token, asking again while it does not', async () => {
    const start = Date.now();
    let issued: RelayToken = { token: 'a', expiresOn: new Date(start + 1_000) };
    let asks = 0;
    const credential: RelayCredential = {
      describe: 'fake',
      current: () => {
        asks++;
        // The "cache" refreshes only in the last 150 ms of a token's life, like a login cache does.
        if (issued.expiresOn && issued.expiresOn.getTime() - Date.now() < 150) issued = { token: `t${asks}`, expiresOn: new Date(Date.now() + 1_000) };
        return Promise.resolve(issued);
      },
    };
    const renewedAt: number[] = [];
    const log = captureLogger();
    const renewal = startCredentialRenewal({ credential, initial: issued, renew: () => (renewedAt.push(Date.now()), Promise.resolve()), logger: log.logger });
    try {
      await sleep(2_300);
      expect(renewal.count).to.be.greaterThanOrEqual(2);
      expect(asks, 'asked again while the same token came back').to.be.greaterThan(renewal.count);
      expect(renewedAt[0] ?? Infinity).to.be.lessThan(start + 1_000);
      expect(log.lines.join('\n')).to.include('relay credential renewed').and.not.include('"t1"');
    } finally {
      renewal.stop();
    }
  });

  it('a failing renewal is logged and retried; the session in use is left alone', async () => {
    let fail = true;
    let token: RelayToken = { token: 'a', expiresOn: new Date(Date.now() + 300) };
    const credential: RelayCredential = {
      describe: 'fake',
      current: () => (fail ? Promise.reject(new Error('issuer down')) : Promise.resolve((token = { token: 'b', expiresOn: new Date(Date.now() + 60_000) }))),
    };
    const log = captureLogger();
    const renewal = startCredentialRenewal({ credential, initial: token, renew: () => Promise.resolve(), logger: log.logger });
    try {
      await sleep(400);
      expect(renewal.count).to.equal(0);
      expect(log.lines.join('\n')).to.include('could not renew the relay credential; will retry').and.include('issuer down');
      fail = false;
      await sleep(1_200);
      expect(renewal.count).to.equal(1);
    } finally {
      renewal.stop();
    }
  });
});
