import { expect } from 'chai';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startAgent } from '../../../proxy/src/agent/agent.js';
import { startClientProxy } from '../../../proxy/src/client/client-proxy.js';
import type { ClientProxyConfig } from '../../../proxy/src/client/client-proxy-config.js';
import { proxySettingsFromFlags } from '../../../proxy/src/cli/proxy-command.js';
import { waitFor } from '../../support/cluster.js';
import { readAll, captureLogger } from '../tunnel/helpers.js';
import { removeTempDir } from '../../support/temp-dir.js';
import { clusterInfo, makeKeys, startTestRelay, testCaPem } from '../relay/fixtures.js';
import type { TestKeys, TestRelay } from '../relay/fixtures.js';

async function request(port: number, body: string): Promise<string> {
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.end(body);
  // A refused stream reaches the local connection as a TCP reset, as a refused TCP connect would.
  return readAll(socket).then((data) => data.toString(), (error: NodeJS.ErrnoException) => `(${error.code})`);
}

describe('client proxy core', () => {
  let keys: TestKeys;
  let relay: TestRelay;
  let upstream: net.Server;

  before(async () => {
    keys = await makeKeys();
    upstream = net.createServer({ allowHalfOpen: true }, (socket) => socket.on('error', () => undefined).pipe(socket));
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
  });
  after(() => {
    upstream.close();
    if (keys) removeTempDir(keys.dir);
  });
  beforeEach(async () => {
    relay = await startTestRelay(keys);
  });
  afterEach(() => relay.handle.close());

  const proxyConfig = async (overrides: Partial<ClientProxyConfig> = {}): Promise<ClientProxyConfig> => {
    const token = await keys.token('client', 'c1');
    return { cluster: 'c1', relayUrl: new URL(relay.handle.url), token: () => Promise.resolve(token), listenHost: '127.0.0.1', listenPort: 0, sessionWaitMs: 2_000, ...overrides };
  };

  it('turns each local connection into a stream through relay and agent', async () => {
    const agent = await startAgent(
      {
        clusterName: 'c1',
        relayUrls: [new URL(relay.handle.url)],
        relayTokenFile: await keys.tokenFile('agent', 'c1'),
        upstream: { host: '127.0.0.1', port: (upstream.address() as AddressInfo).port },
        clusterInfo: clusterInfo('c1', await testCaPem()),
        opsHost: '127.0.0.1',
        opsPort: 0,
        drainTimeoutMs: 1_000,
        insecure: true,
      },
      { logger: captureLogger().logger },
    );
    const proxy = await startClientProxy(await proxyConfig(), captureLogger().logger);
    try {
      await waitFor('agent', () => Promise.resolve(agent.connectedRelays() ? true : undefined), 5_000, 20);
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => request(proxy.address.port, `req-${i}`)));
      expect(answers).to.deep.equal(Array.from({ length: 20 }, (_, i) => `req-${i}`));
      expect(proxy.relaySession.sessions).to.have.length(1);
    } finally {
      await proxy.close();
      await agent.close();
    }
  });

  it('logs the relay\'s reason when no agent is connected', async () => {
    const log = captureLogger();
    const proxy = await startClientProxy(await proxyConfig(), log.logger);
    try {
      expect(await request(proxy.address.port, 'hello')).to.be.oneOf(['', '(ECONNRESET)']);
      await waitFor('error logged', () => Promise.resolve(log.lines.find((l) => l.includes('no agent is connected for cluster c1 at relay relay-test'))), 2_000, 20);
    } finally {
      await proxy.close();
    }
  });

  it('fails a connection clearly when the relay refuses the token', async () => {
    const log = captureLogger();
    const other = await makeKeys();
    const token = await other.token('client', 'c1');
    const proxy = await startClientProxy(await proxyConfig({ token: () => Promise.resolve(token), sessionWaitMs: 500 }), log.logger);
    try {
      expect(await request(proxy.address.port, 'hello')).to.be.oneOf(['', '(ECONNRESET)']);
      await waitFor('error logged', () => Promise.resolve(log.lines.find((l) => l.includes('client token rejected') && l.includes('connection to the cluster failed'))), 2_000, 20);
    } finally {
      await proxy.close();
    }
  });

  it('says "port N is in use; pass --port" for a taken port', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as AddressInfo).port;
    try {
      await startClientProxy(await proxyConfig({ listenPort: port }), captureLogger().logger).then(
        () => expect.fail('listened'),
        (error: Error) => expect(error.message).to.equal(`port ${port} is in use; pass --port`),
      );
    } finally {
      blocker.close();
    }
  });

  it('parses the proxy flags', () => {
    const base = { name: 'c1', relay: 'wss://relay.example.com', address: '127.0.0.1', output: 'text' as const, relayWait: '30s' };
    const settings = proxySettingsFromFlags({ ...base, relayToken: 't' }, { HOME: '/nonexistent-home' });
    expect(settings.listenPort).to.equal(47011);
    expect(settings.kubeconfig.contextName).to.equal('c1');
    expect(settings.credential.describe).to.equal('--relay-token');
    expect(() => proxySettingsFromFlags({ ...base, relay: 'ws://r', relayToken: 't' }, {})).to.throw('use wss://');
    expect(() => proxySettingsFromFlags({ ...base, file: '-', output: 'json', relayToken: 't' }, {})).to.throw('pick one');
    // Without a relay token, only an explicit relay audience: the cluster's own token must never reach the relay.
    expect(() => proxySettingsFromFlags(base, {})).to.throw('a relay credential is required');
    const oidc = proxySettingsFromFlags({ ...base, authority: 'https://issuer.example', clientId: 'cc', audience: 'api://kube', relayAudience: 'api://relay' }, {});
    expect(oidc.credential.describe).to.equal('OIDC login for https://issuer.example (api://relay)');
    expect(oidc.kubeconfig.user).to.deep.include({ kind: 'exec' });
    expect((oidc.kubeconfig.user as { args: string[] }).args).to.include.members(['get-token', '--audience', 'api://kube']).and.not.include('api://relay');
  });
});
