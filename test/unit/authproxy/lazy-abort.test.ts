import { expect } from 'chai';
import { LazyAbort } from '../../../proxy/src/authproxy/lazy-abort.js';

describe('authproxy/lazy-abort', () => {
  it('makes no AbortController until the signal is asked for', () => {
    const original = globalThis.AbortController;
    let made = 0;
    globalThis.AbortController = class extends original {
      constructor() {
        super();
        made++;
      }
    };
    try {
      const gone = new LazyAbort();
      gone.abort();
      expect(gone.aborted).to.equal(true);
      expect(made).to.equal(0);
      expect(gone.signal.aborted).to.equal(true);
      expect(made).to.equal(1);
    } finally {
      globalThis.AbortController = original;
    }
  });

  it('aborts a signal handed out earlier when the client leaves later', () => {
    const gone = new LazyAbort();
    const signal = gone.signal;
    let fired = 0;
    signal.addEventListener('abort', () => fired++);
    expect(signal.aborted).to.equal(false);
    gone.abort();
    gone.abort();
    expect(signal.aborted).to.equal(true);
    expect(fired).to.equal(1);
    expect(gone.signal).to.equal(signal);
  });
});
