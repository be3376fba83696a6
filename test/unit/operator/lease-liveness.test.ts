import { expect } from 'chai';
import type { V1Lease } from '@kubernetes/client-node';
import { childLabels } from '../../../operator/src/api/labels.js';
import { heartbeatOf } from '../../../operator/src/controller/heartbeat.js';
import { LeaseLiveness } from '../../../operator/src/controller/lease-liveness.js';
import { fakeClock } from './fake-clock.js';
import { reconcilerWorld } from './reconciler-world.js';

const start = new Date('2026-11-22T12:00:00Z');
const owner = { namespace: 'clusterconnect', name: 'prod' };
const OWNER_KEY = 'clusterconnect/prod';

/** A heartbeat Lease as the watch delivers it: renewTime an RFC 3339 string with microseconds. */
const lease = (name: string, renewTime: Date, leaseDurationSeconds = 30): V1Lease => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name, namespace: owner.namespace, labels: childLabels(owner, 'agent-heartbeat') },
  spec: { holderIdentity: name, leaseDurationSeconds, renewTime: renewTime.toISOString().replace('Z', '000Z') as unknown as Date },
});

function setup() {
  const clock = fakeClock(start);
  const enqueued: string[] = [];
  const liveness = new LeaseLiveness((key) => enqueued.push(key), clock);
  return { clock, enqueued, liveness };
}

describe('operator heartbeat Lease liveness (which Lease events are work)', () => {
  it('reads renewTime as listed (Date) and as watched (string with microseconds)', () => {
    expect(heartbeatOf(lease('a', start))?.renewTime.getTime()).to.equal(start.getTime());
    expect(heartbeatOf({ ...lease('a', start), spec: { renewTime: start, leaseDurationSeconds: 30 } })?.renewTime.getTime()).to.equal(start.getTime());
    expect(heartbeatOf({ metadata: { name: 'never-renewed' }, spec: {} })).to.equal(undefined);
  });

  it('does not count a renewal that keeps a live Lease live as work', () => {
    const { clock, liveness } = setup();
    expect(liveness.observe(lease('a', clock.now())), 'a new live Lease').to.equal(true);
    clock.advance(10_000);
    expect(liveness.observe(lease('a', clock.now())), 'a renewal').to.equal(false);
  });

  it('counts a Lease that comes back to life, and one whose labels name another ClusterConnect', () => {
    const { clock, liveness } = setup();
    const stale = new Date(start.getTime() - 60_000);
    liveness.observe(lease('a', stale));
    expect(liveness.observe(lease('a', clock.now())), 'renewed after expiry').to.equal(true);
    const moved = lease('a', clock.now());
    moved.metadata!.labels = childLabels({ namespace: owner.namespace, name: 'other' }, 'agent-heartbeat');
    expect(liveness.observe(moved)).to.equal(true);
  });

  it('enqueues the ClusterConnect a Lease leaves when its labels move to another one or go (the watch enqueues only the new owner)', () => {
    const { clock, enqueued, liveness } = setup();
    liveness.observe(lease('a', clock.now()));
    liveness.observe(lease('b', clock.now()));
    expect(enqueued).to.deep.equal([]);
    const moved = lease('a', clock.now());
    moved.metadata!.labels = childLabels({ namespace: owner.namespace, name: 'other' }, 'agent-heartbeat');
    expect(liveness.observe(moved)).to.equal(true);
    expect(enqueued).to.deep.equal([OWNER_KEY]);
    // A renewal under the new owner is no move.
    clock.advance(10_000);
    const renewed = lease('a', clock.now());
    renewed.metadata!.labels = moved.metadata!.labels;
    expect(liveness.observe(renewed)).to.equal(false);
    expect(enqueued).to.deep.equal([OWNER_KEY]);
    // Labels that name no ClusterConnect: the old owner still loses the heartbeat.
    const unlabelled = lease('b', clock.now());
    unlabelled.metadata!.labels = {};
    expect(liveness.observe(unlabelled)).to.equal(false);
    expect(enqueued).to.deep.equal([OWNER_KEY, OWNER_KEY]);
    // The moved Lease's expiry enqueues its new owner only.
    clock.advance(31_000);
    expect(enqueued).to.deep.equal([OWNER_KEY, OWNER_KEY, 'clusterconnect/other']);
  });

  it('enqueues the ClusterConnect when a Lease that stopped renewing expires, once, and not before', () => {
    const { clock, enqueued, liveness } = setup();
    liveness.observe(lease('a', clock.now()));
    clock.advance(29_999);
    expect(enqueued).to.deep.equal([]);
    clock.advance(2);
    expect(enqueued).to.deep.equal([OWNER_KEY]);
    clock.advance(120_000);
    expect(enqueued).to.deep.equal([OWNER_KEY]);
    expect(clock.pending()).to.equal(0);
  });

  it('with two agents renewing every 10 s for ten minutes, nothing is work; when one stops, one enqueue at its expiry, and reconciling that key counts 1', async () => {
    const { clock, enqueued, liveness } = setup();
    const renewals: Record<string, Date> = {};
    const renew = (name: string) => {
      renewals[name] = clock.now();
      return liveness.observe(lease(name, clock.now()));
    };
    renew('a');
    clock.advance(5_000);
    renew('b');
    let work = 0;
    for (let second = 0; second < 600; second++) {
      clock.advance(1_000);
      const elapsed = clock.now().getTime() - start.getTime();
      if (elapsed % 10_000 === 0 && renew('a')) work++;
      if (elapsed % 10_000 === 5_000 && renew('b')) work++;
    }
    expect(work, 'renewals that were work').to.equal(0);
    expect(enqueued, 'expiry timers that fired').to.deep.equal([]);
    expect(clock.pending(), 'one timer per live Lease').to.equal(2);

    // b stops renewing; a goes on.
    const bLast = renewals.b!.getTime();
    for (let second = 0; second < 60; second++) {
      clock.advance(1_000);
      if ((clock.now().getTime() - start.getTime()) % 10_000 === 0 && renew('a')) work++;
      if (enqueued.length > 0) break;
    }
    expect(work).to.equal(0);
    expect(enqueued).to.deep.equal([OWNER_KEY]);
    expect(clock.now().getTime() - bLast).to.be.within(30_000, 31_000);
    expect(clock.pending(), 'only the live Lease keeps a timer').to.equal(1);
    // The reconcile that key starts, at that instant and over the Leases as last delivered, sees b expired and a live.
    const { world, reconciler } = reconcilerWorld({ now: () => clock.now(), leases: [lease('a', renewals.a!), lease('b', renewals.b!)] });
    await reconciler.reconcile(enqueued[0]!);
    expect(world.statusWrites.at(-1)).to.include({ agents: '1/2', connectedAgents: 1 });
  });

  it('stops the timer of a deleted Lease, and all of them on stop', () => {
    const { clock, enqueued, liveness } = setup();
    liveness.observe(lease('a', clock.now()));
    liveness.observe(lease('b', clock.now()));
    liveness.forget(lease('a', clock.now()));
    expect(clock.pending()).to.equal(1);
    liveness.stop();
    expect(clock.pending()).to.equal(0);
    clock.advance(60_000);
    expect(enqueued).to.deep.equal([]);
  });
});
