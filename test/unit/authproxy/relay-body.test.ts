import { expect } from 'chai';
import { PassThrough, Writable } from 'node:stream';
import { relayBody } from '../../../proxy/src/authproxy/relay-body.js';

describe('authproxy/relay-body', () => {
  it('copies every chunk in order and ends the destination when the source ends', async () => {
    const from = new PassThrough();
    const received: string[] = [];
    const to = new Writable({ write: (chunk: Buffer, _encoding, done) => (received.push(chunk.toString()), done()) });
    relayBody(from, to);
    from.write('a');
    from.write('b');
    from.end('c');
    await new Promise((resolve) => to.on('finish', resolve));
    expect(received.join('')).to.equal('abc');
  });

  it('pauses the source while the destination is full and resumes it on drain', async () => {
    const from = new PassThrough();
    const pending: (() => void)[] = [];
    const to = new Writable({ highWaterMark: 1, write: (_chunk: Buffer, _encoding, done) => pending.push(done) });
    relayBody(from, to);
    from.write('x');
    await new Promise((resolve) => setImmediate(resolve));
    expect(from.isPaused(), 'paused while the destination holds a chunk').to.equal(true);
    pending.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(from.isPaused(), 'flowing again after drain').to.equal(false);
  });
});
