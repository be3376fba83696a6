import { expect } from 'chai';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { bypassesProxy, egressProxyFor } from '../../../proxy/src/common/egress-proxy.js';
import { dialRelay } from '../../../proxy/src/common/relay-dial.js';
import { CLUSTER_INFO_HEADER, encodeClusterInfoHeader } from '../../../proxy/src/relay/cluster-info.js';
import { captureLogger } from '../tunnel/helpers.js';
import { clusterInfo, makeKeys, relayTls, startTestRelay, testCaPem } from '../relay/fixtures.js';

describe('egress proxy (HTTPS_PROXY / NO_PROXY)', () => {
  const target = (url: string) => new URL(url);

  it('reads HTTPS_PROXY for wss and HTTP_PROXY for ws, lower case first', () => {
    expect(egressProxyFor(target('wss://relay.example.com'), { HTTPS_PROXY: 'http://proxy:3128' })?.host).to.equal('proxy:3128');
    expect(egressProxyFor(target('wss://relay.example.com'), { https_proxy: 'proxy-low:1', HTTPS_PROXY: 'http://proxy-up:2' })?.host).to.equal('proxy-low:1');
    expect(egressProxyFor(target('ws://relay.example.com'), { HTTPS_PROXY: 'http://p:1' })).to.equal(undefined);
    expect(egressProxyFor(target('ws://relay.example.com'), { HTTP_PROXY: 'http://p:1' })?.host).to.equal('p:1');
    expect(() => egressProxyFor(target('wss://r'), { HTTPS_PROXY: 'socks5://p:1' })).to.throw('not supported');
  });

  it('honours NO_PROXY hosts, domains, ports, CIDRs and *', () => {
    const url = target('wss://relay.corp.example.com:8443');
    expect(bypassesProxy(url, 'relay.corp.example.com')).to.equal(true);
    expect(bypassesProxy(url, '.example.com')).to.equal(true);
    expect(bypassesProxy(url, 'example.com')).to.equal(true);
    expect(bypassesProxy(url, 'ample.com')).to.equal(false);
    expect(bypassesProxy(url, 'relay.corp.example.com:443')).to.equal(false);
    expect(bypassesProxy(url, 'relay.corp.example.com:8443')).to.equal(true);
    expect(bypassesProxy(target('wss://10.1.2.3'), '10.0.0.0/8')).to.equal(true);
    expect(bypassesProxy(target('wss://11.1.2.3'), '10.0.0.0/8')).to.equal(false);
    expect(bypassesProxy(target('wss://[::1]:443'), '::1')).to.equal(true);
    expect(bypassesProxy(url, '*')).to.equal(true);
    expect(egressProxyFor(url, { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'example.com' })).to.equal(undefined);
  });

  it('dials a wss relay through an HTTP CONNECT proxy', async () => {
    const keys = await makeKeys();
    const tls = await relayTls(keys.dir);
    const relay = await startTestRelay(keys, { insecure: false, tls });
    const connects: string[] = [];
    const proxy = http.createServer();
    proxy.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
      connects.push(req.url ?? '');
      const [host = '', port = ''] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    try {
      const relayUrl = new URL(`${relay.handle.url}/v1/agent/connect`);
      const session = await dialRelay({
        url: relayUrl,
        token: await keys.token('agent', 'c1'),
        headers: { [CLUSTER_INFO_HEADER]: encodeClusterInfoHeader(clusterInfo('c1', await testCaPem())) },
        caPem: tls.certPem,
        logger: captureLogger().logger,
        env: { HTTPS_PROXY: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` },
      });
      expect(connects).to.deep.equal([relayUrl.host]);
      expect(relay.handle.context.registry.agents('c1')).to.have.length(1);
      session.close('done');
    } finally {
      proxy.closeAllConnections();
      proxy.close();
      await relay.handle.close();
    }
  });
});
