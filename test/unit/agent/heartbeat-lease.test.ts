import { expect } from 'chai';
import type { V1Lease } from '@kubernetes/client-node';
import { LeaseHeartbeat } from '../../../proxy/src/agent/heartbeat-lease.js';
import type { LeaseApi } from '../../../proxy/src/agent/heartbeat-lease.js';
import { captureLogger } from '../tunnel/helpers.js';

/** An in-memory stand-in for CoordinationV1Api: one Lease, 404 until created. */
function fakeApi() {
  let stored: V1Lease | undefined;
  const calls: string[] = [];
  const api = {
    readNamespacedLease: () => {
      calls.push('read');
      return stored ? Promise.resolve(structuredClone(stored)) : Promise.reject(Object.assign(new Error('not found'), { code: 404 }));
    },
    createNamespacedLease: ({ body }: { body: V1Lease }) => {
      calls.push('create');
      stored = body;
      return Promise.resolve(body);
    },
    replaceNamespacedLease: ({ body }: { body: V1Lease }) => {
      calls.push('replace');
      stored = body;
      return Promise.resolve(body);
    },
  } as unknown as LeaseApi;
  return { api, calls, lease: () => stored };
}

describe('agent heartbeat lease', () => {
  const config = { name: 'agent-prod', namespace: 'clusterconnect', labels: { 'clusterconnect.io/cluster': 'prod' } };

  it('creates the Lease, then replaces it with a fresh renewTime, holder = lease name, 30 s duration, labels', async () => {
    const { api, calls, lease } = fakeApi();
    const heartbeat = new LeaseHeartbeat(api, config, captureLogger().logger);
    await heartbeat.renew();
    const first = lease()?.spec?.renewTime?.getTime() ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await heartbeat.renew();
    expect(calls).to.deep.equal(['read', 'create', 'read', 'replace']);
    expect(lease()?.spec).to.include({ holderIdentity: 'agent-prod', leaseDurationSeconds: 30 });
    expect(lease()?.metadata?.labels).to.deep.equal(config.labels);
    expect(lease()?.spec?.renewTime?.getTime()).to.be.greaterThan(first);
    // MicroTime: the apiserver wants six fractional digits.
    expect(lease()?.spec?.renewTime?.toISOString()).to.match(/\.\d{6}Z$/);
  });

  it('renews on an interval only while active', async () => {
    const { api, calls } = fakeApi();
    const heartbeat = new LeaseHeartbeat(api, config, captureLogger().logger, 30);
    heartbeat.setActive(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    heartbeat.setActive(false);
    await heartbeat.stop();
    const count = calls.length;
    expect(count).to.be.greaterThan(4);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(calls.length).to.equal(count);
  });

  it('logs a failing renewal once and keeps trying', async () => {
    const log = captureLogger();
    const api = { readNamespacedLease: () => Promise.reject(Object.assign(new Error('forbidden'), { code: 403 })) } as unknown as LeaseApi;
    const heartbeat = new LeaseHeartbeat(api, config, log.logger);
    await heartbeat.renew();
    await heartbeat.renew();
    expect(log.lines.filter((l) => l.includes('heartbeat lease renewal failed'))).to.have.length(1);
    expect(log.lines[0]).to.contain('HTTP 403');
  });
});
