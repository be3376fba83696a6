import { expect } from 'chai';
import { BoundedMemo } from '../../../proxy/src/authproxy/bounded-memo.js';

describe('authproxy/bounded-memo', () => {
  it('computes each key once and answers repeats from the map', () => {
    const computed: string[] = [];
    const memo = new BoundedMemo((key: string) => (computed.push(key), { key }), 4);
    const first = memo.get('a');
    expect(memo.get('a')).to.equal(first);
    memo.get('b');
    expect(computed).to.deep.equal(['a', 'b']);
  });

  it('never holds more than its bound: when full it starts over', () => {
    const computed: string[] = [];
    const memo = new BoundedMemo((key: string) => (computed.push(key), { key }), 2);
    memo.get('a');
    memo.get('b');
    memo.get('c');
    expect(memo.size).to.equal(1);
    memo.get('a');
    expect(computed).to.deep.equal(['a', 'b', 'c', 'a']);
    expect(memo.size).to.equal(2);
  });
});
