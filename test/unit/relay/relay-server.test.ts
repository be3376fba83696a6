import { expect } from 'chai';
import { once } from 'node:events';
import net from 'node:net';
import { dialRelay, RelayDialError } from '../../../proxy/src/common/relay-dial.js';
import { CLUSTER_INFO_HEADER, encodeClusterInfoHeader } from '../../../proxy/src/relay/cluster-info.js';
import type { TunnelSession } from '../../../proxy/src/tunnel/session.js';
import { captureLogger, echoStreams, quiet, readAll, streamError } from '../tunnel/helpers.js';
import { removeTempDir } from '../../support/temp-dir.js';
import { clusterInfo, makeKeys, startTestRelay, testCaPem } from './fixtures.js';
import type { TestKeys, TestRelay } from './fixtures.js';

describe('relay server (in process, loopback)', () => {
  let keys: TestKeys;
  let relay: TestRelay;
  let pem: string;
  const sessions: TunnelSession[] = [];

  before(async () => {
    keys = await makeKeys();
    pem = await testCaPem();
  });
  after(() => {
    if (keys) removeTempDir(keys.dir);
  });
  beforeEach(async () => {
    relay = await startTestRelay(keys);
  });
  afterEach(async () => {
    for (const session of sessions.splice(0)) session.close('test done');
    await relay.handle.close();
  });

  const logger = captureLogger().logger;
  const dialAgent = async (cluster: string, token?: string, announced = cluster) => {
    const session = await dialRelay({
      url: new URL(`${relay.handle.url}/v1/agent/connect`),
      token: token ?? (await keys.token('agent', cluster)),
      headers: { [CLUSTER_INFO_HEADER]: encodeClusterInfoHeader(clusterInfo(announced, pem)) },
      logger,
    });
    sessions.push(session);
    return session;
  };
  const dialClient = async (cluster: string, token?: string) => {
    const session = await dialRelay({ url: new URL(`${relay.handle.url}/v1/clusters/${cluster}/connect`), token: token ?? (await keys.token('client', cluster)), logger });
    sessions.push(session);
    return session;
  };
  const dialError = (promise: Promise<unknown>) =>
    promise.then(
      () => expect.fail('connected'),
      (error: unknown) => {
        expect(error).to.be.instanceOf(RelayDialError);
        return error as RelayDialError;
      },
    );
  /** An echoing agent of c1 and a client stream paired with it through the relay, its 'ping' echoed: it keeps a drain waiting. */
  const pairedStream = async () => {
    const agent = await dialAgent('c1');
    echoStreams(agent);
    const client = await dialClient('c1');
    const stream = quiet(client.openStream('c1'));
    stream.write('ping');
    const echoed = await new Promise<string>((resolve) => {
      let text = '';
      const onData = (chunk: Buffer) => {
        text += chunk.toString();
        if (text.length < 4) return;
        stream.off('data', onData);
        stream.pause(); // the rest, if any, is for the test to read
        resolve(text);
      };
      stream.on('data', onData);
    });
    expect(echoed, 'the stream is paired through the relay').to.equal('ping');
    return { agent, stream };
  };
  const get = async (path: string, token: string) => {
    const response = await fetch(`${relay.handle.url.replace('ws', 'http')}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('pairs a client stream with an agent of its cluster', async () => {
    const agent = await dialAgent('c1');
    agent.on('stream', (stream) => {
      quiet(stream).accept();
      stream.pipe(stream);
    });
    const client = await dialClient('c1');
    const stream = quiet(client.openStream('c1'));
    stream.end('ping');
    expect((await readAll(stream)).toString()).to.equal('ping');
  });

  it('serves the announced connection info and the cluster list to authenticated clients', async () => {
    await dialAgent('c1');
    await dialAgent('c1');
    const token = await keys.token('client', 'c1');
    const info = await get('/v1/clusters/c1', token);
    expect(info.status).to.equal(200);
    expect(info.body).to.include({ cluster: 'c1', caBundlePem: pem, tlsServerName: 'kube-aad-proxy.clusterconnect.svc', agents: 2, relay: 'relay-test' });
    const list = await get('/v1/clusters', token);
    expect(list.body.clusters).to.have.length(1);
    expect((list.body.clusters as { name: string; agents: number }[])[0]).to.include({ name: 'c1', agents: 2 });
    const none = await get('/v1/clusters/c1', 'x.y.z');
    expect(none.status).to.equal(401);
  });

  it('says no agent is connected, and since when', async () => {
    const agent = await dialAgent('c1');
    const gone = once(agent, 'close');
    agent.close('bye');
    await gone;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const info = await get('/v1/clusters/c1', await keys.token('client', 'c1'));
    expect(info.status).to.equal(404);
    expect((info.body.error as { message: string }).message).to.match(/^no agent is connected for cluster c1 at relay relay-test \(last seen \d{4}-/);
    const client = await dialClient('c1');
    const error = await streamError(client.openStream('c1'));
    expect(error.message).to.match(/^no agent is connected for cluster c1 at relay relay-test \(last seen /);
  });

  it('refuses a client token scoped to another cluster with a 403 naming both', async () => {
    const error = await dialError(dialClient('beta', await keys.token('client', 'alpha')));
    expect(error.status).to.equal(403);
    expect(error.message).to.contain('client token is for cluster "alpha", not for cluster "beta"');
  });

  it('refuses an expired agent token saying which token and why, and logs no token', async () => {
    const expired = await keys.token('agent', 'c1', 60, () => new Date(Date.now() - 7_200_000));
    const error = await dialError(dialAgent('c1', expired));
    expect(error.status).to.equal(401);
    expect(error.message).to.match(/agent token rejected: it expired at /);
    const logs = relay.log.lines.join('');
    expect(logs).to.contain('agent token rejected');
    expect(logs).not.to.contain(expired.split('.')[2]);
  });

  it('refuses an agent announcing another cluster than its token names', async () => {
    const error = await dialError(dialAgent('c1', await keys.token('agent', 'c1'), 'c2'));
    expect(error.status).to.equal(403);
    expect(error.message).to.contain('agent token is for cluster "c1", but the agent announces cluster "c2"');
  });

  it('drops a peer that never finishes its request, logs why, and keeps serving others', async function () {
    this.timeout(10_000);
    const port = Number(new URL(relay.handle.url).port);
    const slow = net.connect(port, '127.0.0.1');
    slow.on('error', () => undefined);
    slow.write('GET /v1/agent/connect HTTP/1.1\r\nHost: x\r\n');
    // Listen before dialling: on a loaded machine the deadline can close `slow` while the agent is still dialling.
    const slowClosed = once(slow, 'close');
    const agent = await dialAgent('c1');
    await slowClosed;
    expect(agent.closed).to.equal(false);
    expect(relay.log.lines.join('')).to.contain('peer sent no complete request in time; connection closed');
  });

  it('drain sends GOAWAY: the agent session reports it, and the relay refuses new peers', async function () {
    this.timeout(10_000);
    // A paired stream still open keeps the drain waiting (up to drainTimeoutMs), so the dials below happen mid-drain.
    const { agent, stream } = await pairedStream();

    const goaway = once(agent, 'goaway');
    let drainDone = false;
    const drained = relay.handle.drain().then(() => {
      drainDone = true;
    });
    await goaway;
    expect(drainDone, 'drain still waits for the open stream').to.equal(false);
    for (const dial of [dialAgent('c1'), dialClient('c1')]) {
      const error = await dialError(dial);
      expect(error.status, error.message).to.equal(undefined);
      expect(error.code, error.message).to.equal('ECONNREFUSED');
    }
    expect(drainDone, 'the peers were refused during the drain, not after it').to.equal(false);

    stream.end();
    expect((await readAll(stream)).toString(), 'nothing after the echo').to.equal('');
    await drained;
  });

  it('drain: a client whose authentication ends after the drain started gets GOAWAY on its new session at once', async function () {
    this.timeout(10_000);
    // A paired stream still open keeps the drain waiting.
    const { agent, stream: inFlight } = await pairedStream();

    // The next client's authentication is held until drain() has sent its GOAWAYs.
    const clients = relay.handle.context.clients;
    const authenticate = clients.authenticate.bind(clients);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let authenticating: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (authenticating = resolve));
    clients.authenticate = async (header) => {
      authenticating();
      await held;
      return authenticate(header);
    };
    const late = dialClient('c1');
    await started;
    const goaway = once(agent, 'goaway');
    const drained = relay.handle.drain();
    await goaway;
    release();
    const session = await late;
    if (session.acceptingStreams) await Promise.race([once(session, 'goaway'), new Promise((resolve) => setTimeout(resolve, 1_000))]);
    expect(session.acceptingStreams, 'the relay sent GOAWAY').to.equal(false);
    expect(() => session.openStream('c1')).to.throw('draining');

    inFlight.end();
    await readAll(inFlight);
    await drained;
  });

  it('close() moves no open: an agent it closes first does not pass its unaccepted opens to the next', async () => {
    // The open waits on the first agent, unanswered; the second dials in after it, so close() ends the first first.
    const first = await dialAgent('c1');
    let opened = false;
    first.on('stream', (stream) => {
      quiet(stream);
      opened = true;
    });
    const client = await dialClient('c1');
    const stream = quiet(client.openStream('c1'));
    stream.write('hello');
    while (!opened) await new Promise((resolve) => setTimeout(resolve, 5));
    await dialAgent('c1'); // the one a move would go to
    await relay.handle.close();
    const failovers = (await relay.handle.context.metrics.failovers.get()).values.reduce((sum, value) => sum + value.value, 0);
    expect(failovers, 'failovers counted').to.equal(0);
    expect(relay.log.lines.join(''), 'failovers logged').not.to.contain('stream moved to another agent');
  });
});
