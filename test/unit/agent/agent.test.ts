import { expect } from 'chai';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startAgent } from '../../../proxy/src/agent/agent.js';
import type { AgentConfig } from '../../../proxy/src/agent/agent-config.js';
import { dialRelay } from '../../../proxy/src/common/relay-dial.js';
import type { TunnelSession } from '../../../proxy/src/tunnel/session.js';
import { waitFor } from '../../support/cluster.js';
import { removeTempDir } from '../../support/temp-dir.js';
import { captureLogger, quiet, readAll } from '../tunnel/helpers.js';
import { clusterInfo, makeKeys, startTestRelay, testCaPem } from '../relay/fixtures.js';
import type { TestKeys, TestRelay } from '../relay/fixtures.js';

async function echoUpstream(): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => socket.on('error', () => undefined).pipe(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

describe('agent (in process, loopback relay)', () => {
  let keys: TestKeys;
  let relay: TestRelay;
  let upstream: net.Server;
  let pem: string;
  const sessions: TunnelSession[] = [];

  before(async () => {
    keys = await makeKeys();
    pem = await testCaPem();
    upstream = await echoUpstream();
  });
  after(() => {
    upstream.close();
    if (keys) removeTempDir(keys.dir);
  });
  beforeEach(async () => {
    relay = await startTestRelay(keys);
  });
  afterEach(async () => {
    for (const session of sessions.splice(0)) session.close('done');
    await relay.handle.close();
  });

  const config = async (tokenFile?: string): Promise<AgentConfig> => ({
    clusterName: 'c1',
    relayUrls: [new URL(relay.handle.url)],
    relayTokenFile: tokenFile ?? (await keys.tokenFile('agent', 'c1')),
    upstream: { host: '127.0.0.1', port: (upstream.address() as AddressInfo).port },
    clusterInfo: clusterInfo('c1', pem),
    opsHost: '127.0.0.1',
    opsPort: 0,
    drainTimeoutMs: 5_000,
    insecure: true,
  });
  const client = async () => {
    const session = await dialRelay({ url: new URL(`${relay.handle.url}/v1/clusters/c1/connect`), token: await keys.token('client', 'c1'), logger: captureLogger().logger });
    sessions.push(session);
    return session;
  };

  it('connects, reports ready, and bridges streams to the upstream', async () => {
    const agent = await startAgent(await config(), { logger: captureLogger().logger });
    try {
      await waitFor('agent connected', () => Promise.resolve(agent.connectedRelays() === 1 ? true : undefined), 5_000, 20);
      expect((await fetch(`${agent.opsUrl}/readyz`)).status).to.equal(200);
      const stream = quiet((await client()).openStream('c1'));
      stream.end('through the agent');
      expect((await readAll(stream)).toString()).to.equal('through the agent');
    } finally {
      await agent.close();
    }
  });

  it('is not ready without a relay, and says why', async () => {
    const agent = await startAgent({ ...(await config()), relayUrls: [new URL('ws://127.0.0.1:1')] }, { logger: captureLogger().logger });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const response = await fetch(`${agent.opsUrl}/readyz`);
      expect(response.status).to.equal(503);
      expect(await response.text()).to.contain('not connected to any relay');
    } finally {
      await agent.close();
    }
  });

  it('is not ready while its token file cannot be read, and names the flag and the fix', async () => {
    const missing = `${keys.dir}/missing.token`;
    const agent = await startAgent(await config(missing), { logger: captureLogger().logger });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const response = await fetch(`${agent.opsUrl}/readyz`);
      expect(response.status).to.equal(503);
      expect(await response.text()).to.contain(`--relay-token-file ${missing} cannot be read (ENOENT); check the path`);
    } finally {
      await agent.close();
    }
  });

  it('is not ready while its token file is empty (rotated to nothing), and names the file and what belongs in it', async () => {
    const empty = `${keys.dir}/empty.token`;
    writeFileSync(empty, '\n');
    const agent = await startAgent(await config(empty), { logger: captureLogger().logger });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const response = await fetch(`${agent.opsUrl}/readyz`);
      expect(response.status).to.equal(503);
      expect(await response.text()).to.contain(`--relay-token-file ${empty} is empty; put the agent's relay token in it`);
    } finally {
      await agent.close();
    }
  });

  it('re-reads its token file on reconnect (rotation)', async () => {
    const tokenFile = `${keys.dir}/rotating.token`;
    writeFileSync(tokenFile, await keys.token('agent', 'c1', 3600, () => new Date(Date.now() - 7_200_000)));
    const agent = await startAgent(await config(tokenFile), { logger: captureLogger().logger });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(agent.connectedRelays()).to.equal(0);
      writeFileSync(tokenFile, await keys.token('agent', 'c1'));
      await waitFor('agent connected with the rotated token', () => Promise.resolve(agent.connectedRelays() === 1 ? true : undefined), 5_000, 20);
    } finally {
      await agent.close();
    }
  });

  it('drain: GOAWAY, in-flight streams finish, new streams are refused', async () => {
    const agent = await startAgent(await config(), { logger: captureLogger().logger });
    await waitFor('agent connected', () => Promise.resolve(agent.connectedRelays() === 1 ? true : undefined), 5_000, 20);
    const session = await client();
    const inFlight = quiet(session.openStream('c1'));
    inFlight.write('first ');
    await once(inFlight, 'data');
    const drained = agent.drain();
    await waitFor('relay saw the GOAWAY', () => Promise.resolve(relay.handle.context.registry.pick('c1') ? undefined : true), 5_000, 20);
    const refused = quiet(session.openStream('c1'));
    const refusal = await new Promise<Error>((resolve) => refused.once('error', resolve));
    expect(refusal.message).to.contain('draining');
    inFlight.end('last');
    expect((await readAll(inFlight)).toString()).to.equal('last');
    await drained;
  });
});
