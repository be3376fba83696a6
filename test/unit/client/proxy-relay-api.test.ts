import { expect } from 'chai';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchClusterInfo, fetchClusters, relayApiUrl, RelayApiError } from '../../../proxy/src/client/relay-api.js';
import { withRelayRetries } from '../../../proxy/src/client/relay-retry.js';
import { Backoff } from '../../../proxy/src/common/backoff.js';
import { clusterInfo, testCaPem } from '../relay/fixtures.js';

describe('proxy: relay API client', () => {
  let server: http.Server;
  let reply: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  const seen: (string | undefined)[] = [];
  let url: URL;

  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      reply(req, res);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = new URL(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  after(() => server.close());

  const json = (status: number, body: unknown) => (_req: http.IncomingMessage, res: http.ServerResponse) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  it('maps wss/ws relay URLs to https/http API URLs', () => {
    expect(relayApiUrl(new URL('wss://relay.example.com/base/'), '/v1/clusters').href).to.equal('https://relay.example.com/base/v1/clusters');
    expect(relayApiUrl(new URL('ws://127.0.0.1:8080'), '/v1/clusters/a').href).to.equal('http://127.0.0.1:8080/v1/clusters/a');
  });

  it('returns validated connection info and sends the bearer token', async () => {
    const info = clusterInfo('c1', await testCaPem());
    reply = json(200, { ...info, agents: 2, relay: 'r1' });
    const answer = await fetchClusterInfo({ relayUrl: url, token: 'tok' }, 'c1');
    expect(answer).to.deep.include({ cluster: 'c1', agents: 2, relay: 'r1', tlsServerName: info.tlsServerName });
    expect(seen.at(-1)).to.equal('Bearer tok');
  });

  it('classifies refusals: no agent, 401, 403, 503, junk', async () => {
    const cases: [number, unknown, string][] = [
      [404, { error: { code: 'no_agent', message: 'no agent is connected for cluster c1 at relay r (last seen x)' } }, 'no-agent'],
      [401, { error: { code: 'token_rejected', message: 'client token rejected: expired' } }, 'unauthorized'],
      [403, { error: { code: 'wrong_cluster', message: 'client token is for cluster "a"' } }, 'forbidden'],
      [503, { error: { code: 'unavailable', message: 'draining' } }, 'unavailable'],
      [200, { nope: true }, 'invalid'],
    ];
    for (const [status, body, failure] of cases) {
      reply = json(status, body);
      const error = await fetchClusterInfo({ relayUrl: url, token: 't' }, 'c1').then(() => undefined, (e: unknown) => e);
      expect(error, `${status}`).to.be.instanceOf(RelayApiError).with.property('failure', failure);
      if (status !== 200) expect((error as Error).message).to.include((body as { error: { message: string } }).error.message);
    }
  });

  it('lists clusters', async () => {
    reply = json(200, { relay: 'r1', clusters: [{ name: 'a', agents: 1, readyAgents: 1, lastSeen: '2026-01-01T00:00:00.000Z' }] });
    expect((await fetchClusters({ relayUrl: url, token: 't' })).clusters.map((c) => c.name)).to.deep.equal(['a']);
  });

  it('an unreachable relay is retryable; retries say so and stop after the wait budget', async () => {
    const closed = new URL('ws://127.0.0.1:1');
    const retries: string[] = [];
    const error = await withRelayRetries(() => fetchClusters({ relayUrl: closed, token: 't' }), {
      maxWaitMs: 200,
      backoff: new Backoff({ initialMs: 20, maxMs: 40, random: () => 0 }),
      onRetry: (e, delay) => retries.push(`${e.failure} ${delay}`),
    }).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(RelayApiError).with.property('failure', 'unreachable');
    expect((error as Error).message).to.match(/could not be reached: .*gave up after \d+ attempts/);
    expect(retries.length).to.be.greaterThan(1);
    expect(retries[0]).to.equal('unreachable 10');
  });

  it('retries until the relay answers, but never retries a final answer', async () => {
    let calls = 0;
    const value = await withRelayRetries(
      () => (++calls < 3 ? Promise.reject(new RelayApiError('down', 'unreachable')) : Promise.resolve('ok')),
      { maxWaitMs: 5_000, backoff: new Backoff({ initialMs: 1, maxMs: 2 }) },
    );
    expect([value, calls]).to.deep.equal(['ok', 3]);
    calls = 0;
    const final = await withRelayRetries(() => (calls++, Promise.reject(new RelayApiError('no agent', 'no-agent', 404))), { maxWaitMs: 5_000 }).catch((e: unknown) => e);
    expect(final).to.have.property('failure', 'no-agent');
    expect(calls).to.equal(1);
  });
});
