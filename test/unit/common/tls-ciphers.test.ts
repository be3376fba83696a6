import { expect } from 'chai';
import tls from 'node:tls';
import { aes128First, TUNNEL_TLS_CIPHERS } from '../../../proxy/src/common/tls-ciphers.js';
import { makeKeys, relayTls, startTestRelay } from '../relay/fixtures.js';

describe('tunnel TLS cipher order', () => {
  it('puts AES-128-GCM first and keeps every other suite, in order', () => {
    expect(aes128First('A:TLS_AES_128_GCM_SHA256:B')).to.equal('TLS_AES_128_GCM_SHA256:A:B');
    const reordered = TUNNEL_TLS_CIPHERS.split(':');
    expect(reordered[0]).to.equal('TLS_AES_128_GCM_SHA256');
    expect([...reordered].sort()).to.deep.equal(tls.DEFAULT_CIPHERS.split(':').sort());
  });

  it('the relay chooses AES-128-GCM even for a dialer that prefers AES-256-GCM (Node\'s default order)', async () => {
    const keys = await makeKeys();
    const cert = await relayTls(keys.dir);
    const relay = await startTestRelay(keys, { insecure: false, tls: cert });
    try {
      const port = Number(new URL(relay.handle.url).port);
      const socket = tls.connect({ host: '127.0.0.1', port, ca: cert.certPem, servername: 'localhost', ciphers: tls.DEFAULT_CIPHERS, checkServerIdentity: () => undefined });
      await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
      expect(socket.getCipher().standardName).to.equal('TLS_AES_128_GCM_SHA256');
      socket.destroy();
    } finally {
      await relay.handle.close();
    }
  });
});
