import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { tuneGarbageCollectorForStreaming } from '../../proxy/src/common/gc-tuning.js';
import { repoPath } from '../support/repo.js';

/**
 * In a fresh Node process: allocate and drop 1 GiB of 64 KiB buffers (as a busy tunnel does with socket reads) and
 * count the full mark-compacts. Returns the count.
 */
function majorCollectionsWhileStreaming(tuned: boolean): number {
  const tuning = pathToFileURL(repoPath('dist/proxy/src/common/gc-tuning.js')).href;
  const script = `
    import { PerformanceObserver, constants } from 'node:perf_hooks';
    import { tuneGarbageCollectorForStreaming } from ${JSON.stringify(tuning)};
    if (${tuned}) tuneGarbageCollectorForStreaming();
    let majors = 0;
    new PerformanceObserver((list) => { for (const e of list.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++; }).observe({ entryTypes: ['gc'] });
    const inFlight = [];
    for (let turn = 0; turn < 200; turn++) {
      for (let i = 0; i < 80; i++) { inFlight.push(Buffer.allocUnsafe(64 * 1024).fill(i)); if (inFlight.length > 16) inFlight.shift(); }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    process.stdout.write(String(majors));`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
}

describe('common/gc-tuning', () => {
  it('stops short-lived off-heap buffers from forcing full collections', function () {
    this.timeout(20_000);
    const untuned = majorCollectionsWhileStreaming(false);
    const tuned = majorCollectionsWhileStreaming(true);
    expect(untuned, 'V8 default: external memory growth forces mark-compacts').to.be.at.least(4);
    expect(tuned).to.be.at.most(Math.floor(untuned / 4));
  });

  it('applies the flag only on V8 versions that know it', () => {
    expect(tuneGarbageCollectorForStreaming('12.4.254.21-node.33')).to.equal(false);
    expect(tuneGarbageCollectorForStreaming('')).to.equal(false);
    expect(tuneGarbageCollectorForStreaming(process.versions.v8)).to.equal(Number(process.versions.v8.split('.')[0]) >= 13);
  });
});
