import { expect } from 'chai';
import { WorkQueue } from '../../../operator/src/controller/work-queue.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('operator work queue', () => {
  it('never runs one key twice at once, and reruns a key added while it ran', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    let release!: () => void;
    const firstRunBlocked = new Promise<void>((resolve) => (release = resolve));
    const queue = new WorkQueue(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs++;
      if (runs === 1) await firstRunBlocked;
      running--;
      return {};
    }, { concurrency: 4 });
    queue.add('ns/a');
    await sleep(5);
    queue.add('ns/a');
    queue.add('ns/a');
    release();
    await sleep(20);
    expect(maxRunning).to.equal(1);
    expect(runs).to.equal(2);
    await queue.stop();
  });

  it('runs different keys in parallel up to the concurrency', async () => {
    let running = 0;
    let maxRunning = 0;
    const queue = new WorkQueue(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(20);
      running--;
      return {};
    }, { concurrency: 2 });
    for (const key of ['a/1', 'a/2', 'a/3', 'a/4']) queue.add(key);
    await sleep(70);
    expect(maxRunning).to.equal(2);
    await queue.stop();
  });

  it('retries a failing key with growing delays and resets after a success', async () => {
    const times: number[] = [];
    const delays: number[] = [];
    const queue = new WorkQueue(() => {
      times.push(Date.now());
      // Attempts 1-3 fail, 4 succeeds, 5 fails again: its delay must start over from the base.
      return times.length < 4 || times.length === 5 ? Promise.reject(new Error('apiserver unavailable')) : Promise.resolve({});
    }, { baseDelayMs: 10, maxDelayMs: 1000, onError: (_key, _err, retryInMs) => delays.push(retryInMs) });
    queue.add('ns/x');
    await sleep(150);
    expect(delays).to.deep.equal([10, 20, 40]);
    expect(times).to.have.length(4);
    queue.add('ns/x');
    await sleep(60);
    expect(delays).to.deep.equal([10, 20, 40, 10]);
    expect(times).to.have.length(6);
    await queue.stop();
  });

  it('honours requeueAfter and keeps the earliest of several delayed adds', async () => {
    let runs = 0;
    const queue = new WorkQueue(() => {
      runs++;
      return Promise.resolve(runs === 1 ? { requeueAfterMs: 30 } : {});
    });
    queue.add('ns/y');
    queue.addAfter('ns/z', 1000);
    queue.addAfter('ns/z', 10);
    await sleep(60);
    expect(runs).to.equal(3);
    await queue.stop();
  });

  it('stop() waits for the reconcile in flight and takes no more work', async () => {
    let finished = false;
    const queue = new WorkQueue(async () => {
      await sleep(30);
      finished = true;
      return {};
    });
    queue.add('ns/slow');
    await sleep(5);
    await queue.stop();
    expect(finished).to.equal(true);
    queue.add('ns/late');
    expect(queue.depth).to.equal(0);
  });
});
