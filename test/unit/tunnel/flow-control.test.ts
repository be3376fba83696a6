import { expect } from 'chai';
import { INITIAL_STREAM_WINDOW, grantThreshold, receiveGrant, validateStreamWindow } from '../../../proxy/src/tunnel/flow-control.js';

describe('tunnel/flow-control', () => {
  const window = INITIAL_STREAM_WINDOW;

  it('grants nothing until a quarter of the window has been consumed', () => {
    expect(receiveGrant(0, window, window)).to.equal(0);
    expect(receiveGrant(window / 4 - 1, window, window)).to.equal(0);
    expect(receiveGrant(window / 4, window, window)).to.equal(window / 4);
  });

  it('lets the peer send at most consumed + window in total', () => {
    const consumed = 1_000_000;
    const limit = 900_000;
    expect(limit + receiveGrant(consumed, limit, window)).to.equal(consumed + window);
  });

  it('grants a larger configured window in one go at the start', () => {
    expect(receiveGrant(0, INITIAL_STREAM_WINDOW, 2 * 1024 * 1024)).to.equal(2 * 1024 * 1024 - INITIAL_STREAM_WINDOW);
  });

  it('keeps the grant batch small enough that a full readable buffer cannot deadlock the sender', () => {
    expect(grantThreshold(window)).to.be.at.most(window - 128 * 1024);
    expect(() => validateStreamWindow(window - 1)).to.throw(RangeError);
    expect(validateStreamWindow(window)).to.equal(window);
  });
});
