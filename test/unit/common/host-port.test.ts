// dialableHost: what a client dials for a listener's address (kube-aad-proxy's own URL, the kubeconfig the client
// proxy writes). formatHostPort and parseHostPort are tested with the flags (shared-flags.test.ts).
import { expect } from 'chai';
import { dialableHost, formatHostPort } from '../../../proxy/src/common/host-port.js';

describe('common/host-port dialableHost', () => {
  it('reaches a wildcard listener over loopback of the same family, and no address over IPv4 loopback', () => {
    expect(dialableHost('0.0.0.0')).to.equal('127.0.0.1');
    expect(dialableHost('::')).to.equal('::1');
    expect(dialableHost('')).to.equal('127.0.0.1');
    expect(dialableHost(undefined)).to.equal('127.0.0.1');
  });

  it('keeps any other address as it is', () => {
    for (const host of ['127.0.0.1', '::1', '192.168.1.5', 'fe80::1', '2001:db8::1', 'localhost', 'proxy.example.test']) {
      expect(dialableHost(host), host).to.equal(host);
    }
  });

  it('gives formatHostPort what it brackets: an IPv6 wildcard becomes [::1]', () => {
    expect(formatHostPort({ host: dialableHost('::'), port: 8443 })).to.equal('[::1]:8443');
    expect(formatHostPort({ host: dialableHost('0.0.0.0'), port: 8443 })).to.equal('127.0.0.1:8443');
    expect(formatHostPort({ host: dialableHost('2001:db8::1'), port: 8443 })).to.equal('[2001:db8::1]:8443');
  });
});
