import { expect } from 'chai';
import { Writable } from 'node:stream';
import { Counter } from 'prom-client';
import { createLogger, redactSecrets, REDACTED } from '../../proxy/src/common/logger.js';
import { createRegistry, startOpsServer } from '../../proxy/src/common/ops-server.js';

function captureLogger() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
  return { logger: createLogger('test', { stream, level: 'debug' }), lines };
}

describe('common/logger', () => {
  it('writes one JSON object per line with level, message, component and timestamp', () => {
    const { logger, lines } = captureLogger();
    logger.info('hello', { stream: 7 });
    const entry = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(entry).to.include({ level: 'info', message: 'hello', component: 'test', stream: 7 });
    expect(entry.timestamp).to.be.a('string');
  });

  it('never writes the value of a secret-looking field, at any depth', () => {
    const { logger, lines } = captureLogger();
    logger.warn('request', { authorization: 'Bearer abc.def.ghi', headers: { 'x-token': 's3cr3t', accept: 'json' }, list: [{ password: 'p' }] });
    const text = lines.join('');
    expect(text).not.to.contain('abc.def.ghi');
    expect(text).not.to.contain('s3cr3t');
    expect(text).not.to.contain('"p"');
    expect(text).to.contain('"accept":"json"');
    expect(text).to.contain(REDACTED);
  });

  it('keeps the line when a field cannot be serialised (a cycle) and writes bigints as strings', () => {
    const { logger, lines } = captureLogger();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    logger.info('with a cycle', { cyclic });
    logger.info('with a bigint', { bytes: 12345678901234567890n });
    const [first, second] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(first).to.include({ level: 'info', message: 'with a cycle', component: 'test' });
    expect(first?.logError).to.match(/^fields not serialisable: /);
    expect(second).to.include({ message: 'with a bigint', bytes: '12345678901234567890' });
  });

  it('redacts nested objects without changing the input', () => {
    const input = { a: { clientSecret: 'x' }, b: 1 };
    expect(redactSecrets(input)).to.deep.equal({ a: { clientSecret: REDACTED }, b: 1 });
    expect(input.a.clientSecret).to.equal('x');
  });
});

describe('common/ops-server', () => {
  it('serves /healthz, /readyz that follows readiness, and Prometheus /metrics', async () => {
    const registry = createRegistry('cc_test_');
    new Counter({ name: 'cc_test_things_total', help: 'things', registers: [registry] }).inc(3);
    let reason: string | undefined = 'no agent connected yet';
    const ops = await startOpsServer({ host: '127.0.0.1', port: 0, registry, notReadyReason: () => reason });
    try {
      expect((await fetch(`${ops.url}/healthz`)).status).to.equal(200);
      const notReady = await fetch(`${ops.url}/readyz`);
      expect(notReady.status).to.equal(503);
      expect(await notReady.text()).to.contain('no agent connected yet');
      reason = undefined;
      expect((await fetch(`${ops.url}/readyz`)).status).to.equal(200);
      const metrics = await (await fetch(`${ops.url}/metrics`)).text();
      expect(metrics).to.contain('cc_test_things_total 3');
      expect(metrics).to.contain('cc_test_process_resident_memory_bytes');
      expect((await fetch(`${ops.url}/nope`)).status).to.equal(404);
    } finally {
      await ops.close();
    }
  });
});
