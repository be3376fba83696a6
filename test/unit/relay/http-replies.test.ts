// The code in a relay error body says whose fault it is: the relay's own failures are `internal` (500), the
// peer's keep their 4xx codes, on plain responses and on refused upgrades alike.
import { expect } from 'chai';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { handleApiRequest } from '../../../proxy/src/relay/http-api.js';
import { asRelayError, refuseUpgrade } from '../../../proxy/src/relay/http-replies.js';
import type { RelayContext } from '../../../proxy/src/relay/relay-context.js';
import { RelayError } from '../../../proxy/src/relay/relay-error.js';
import { captureLogger } from '../tunnel/helpers.js';

describe('relay/http-replies (error codes)', () => {
  let server: Server;
  let failure: Error;
  let url: string;

  before(async () => {
    // Only what handleApiRequest touches; authenticate fails with whatever the test sets.
    const context = {
      clients: { authenticate: () => Promise.reject(failure) },
      metrics: { errors: { inc: () => undefined } },
      logger: captureLogger().logger,
      relayName: 'relay-test',
    } as unknown as RelayContext;
    server = createServer((req, res) => void handleApiRequest(context, req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const reply = async (path: string, method = 'GET') => {
    const response = await fetch(`${url}${path}`, { method });
    return { status: response.status, body: (await response.json()) as { error: { code: string; message: string } } };
  };

  it('answers an unexpected failure with 500 and code "internal", without its details', async () => {
    failure = new TypeError('cannot read properties of undefined (reading "kid")');
    const { status, body } = await reply('/v1/clusters');
    expect(status).to.equal(500);
    expect(body.error).to.deep.equal({ code: 'internal', message: 'internal error in the relay' });
  });

  it('keeps the 4xx codes as they were', async () => {
    failure = new RelayError(401, 'token_rejected', 'client token rejected: expired');
    expect(await reply('/v1/clusters')).to.deep.include({ status: 401, body: { error: { code: 'token_rejected', message: 'client token rejected: expired' } } });
    expect((await reply('/v1/clusters', 'POST')).body.error.code).to.equal('bad_request');
    expect(await reply('/v1/clusters/Not_A_Name')).to.deep.include({ status: 400 });
    expect((await reply('/v1/clusters/Not_A_Name')).body.error.code).to.equal('bad_request');
    expect((await reply('/v1/clusters/c1/connect')).status).to.equal(426);
    expect((await reply('/nowhere')).body.error.code).to.equal('not_found');
  });

  it('asRelayError passes a RelayError through unchanged and makes anything else a 500 "internal"', () => {
    const refused = new RelayError(403, 'wrong_cluster', 'not yours');
    expect(asRelayError(refused)).to.equal(refused);
    for (const thrown of [new Error('boom'), 'a string', undefined]) {
      expect(asRelayError(thrown).toJSON(), String(thrown)).to.deep.equal({ error: { code: 'internal', message: 'internal error in the relay' } });
      expect(asRelayError(thrown).status).to.equal(500);
    }
  });

  it('a refused upgrade carries the same code', async () => {
    const socket = new PassThrough();
    const written = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
    });
    refuseUpgrade(socket, asRelayError(new Error('boom')));
    const text = await written;
    expect(text.split('\r\n')[0]).to.equal('HTTP/1.1 500 Internal Server Error');
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).to.deep.equal({ error: { code: 'internal', message: 'internal error in the relay' } });
  });
});
