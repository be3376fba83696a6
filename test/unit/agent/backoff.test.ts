import { expect } from 'chai';
import { Backoff } from '../../../proxy/src/common/backoff.js';
import { parseDuration } from '../../../proxy/src/common/duration.js';

describe('reconnect backoff', () => {
  it('doubles from 250 ms, with half of each delay random, capped at 30 s', () => {
    const low = new Backoff({ random: () => 0 });
    const high = new Backoff({ random: () => 0.999999 });
    const lows = Array.from({ length: 10 }, () => low.next());
    const highs = Array.from({ length: 10 }, () => high.next());
    expect(lows.slice(0, 4)).to.deep.equal([125, 250, 500, 1000]);
    expect(highs.slice(0, 4)).to.deep.equal([250, 500, 1000, 2000]);
    expect(Math.max(...highs, ...Array.from({ length: 50 }, () => high.next()))).to.equal(30_000);
    expect(lows[9]).to.equal(15_000);
  });

  it('starts over after reset', () => {
    const backoff = new Backoff({ random: () => 0.5 });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).to.equal(188);
  });

  it('rejects nonsense settings', () => {
    expect(() => new Backoff({ initialMs: 0 })).to.throw(RangeError);
  });
});

describe('durations', () => {
  it('parses units and names the flag on error', () => {
    expect(parseDuration('50s')).to.equal(50_000);
    expect(parseDuration('500ms')).to.equal(500);
    expect(parseDuration('1.5h')).to.equal(5_400_000);
    expect(parseDuration('30d')).to.equal(2_592_000_000);
    expect(() => parseDuration('50', '--drain-timeout')).to.throw('--drain-timeout "50" is not a duration');
  });
});
