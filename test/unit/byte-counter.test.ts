import { expect } from 'chai';
import { Registry } from 'prom-client';
import { createByteCounter } from '../../proxy/src/common/byte-counter.js';

describe('common/byte-counter', () => {
  it('publishes what was added, per direction, and keeps counting across scrapes', async () => {
    const registry = new Registry();
    const bytes = createByteCounter({ name: 'test_bytes_total', help: 'test', directions: ['up', 'down'], registry });
    bytes.add('up', 100);
    bytes.add('up', 23);
    expect(await registry.metrics()).to.match(/test_bytes_total\{direction="up"\} 123\n/).and.not.match(/direction="down"/);
    bytes.add('up', 7);
    bytes.add('down', 5);
    const text = await registry.metrics();
    expect(text).to.match(/test_bytes_total\{direction="up"\} 130\n/);
    expect(text).to.match(/test_bytes_total\{direction="down"\} 5\n/);
    // A scrape with nothing new changes nothing.
    expect(await registry.metrics()).to.equal(text);
  });

  it('counts past 2^32 exactly, through add passed on as a plain function', async () => {
    const registry = new Registry();
    const { add } = createByteCounter({ name: 'test_bytes_total', help: 'test', directions: ['up', 'down'], registry });
    for (let i = 0; i < 100_000; i++) add('down', 65_536);
    add('up', 1);
    const text = await registry.metrics();
    expect(text).to.match(/test_bytes_total\{direction="up"\} 1\n/);
    expect(text).to.match(/test_bytes_total\{direction="down"\} 6553600000\n/);
  });
});
