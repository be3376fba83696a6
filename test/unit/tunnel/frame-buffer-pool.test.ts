import { expect } from 'chai';
import { FrameBufferPool } from '../../../proxy/src/tunnel/frame-buffer-pool.js';

describe('tunnel/frame-buffer-pool', () => {
  it('hands back a returned buffer instead of allocating a new one', () => {
    const pool = new FrameBufferPool(1024, 4);
    const first = pool.take();
    expect(first.length).to.equal(1024);
    pool.give(first);
    expect(pool.idleCount).to.equal(1);
    expect(pool.take()).to.equal(first);
    expect(pool.take()).not.to.equal(first);
  });

  it('keeps at most maxIdle buffers, and none of another size', () => {
    const pool = new FrameBufferPool(1024, 2);
    const taken = [pool.take(), pool.take(), pool.take()];
    for (const buffer of taken) pool.give(buffer);
    expect(pool.idleCount).to.equal(2);
    pool.take();
    pool.give(Buffer.alloc(512));
    pool.give(taken[0]!.subarray(0, 100));
    expect(pool.idleCount).to.equal(1);
  });
});
