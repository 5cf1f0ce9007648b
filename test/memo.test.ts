import { describe, expect, it } from 'vitest';
import { boundedMemo } from '../src/memo.js';

describe('boundedMemo', () => {
  it('computes each key once until the map is full, then starts again', () => {
    const calls: string[] = [];
    const upper = boundedMemo((s) => {
      calls.push(s);
      return s.toUpperCase();
    }, 2);
    expect([upper('a'), upper('a'), upper('b'), upper('a')]).toStrictEqual(['A', 'A', 'B', 'A']);
    expect(calls).toStrictEqual(['a', 'b']);
    // A third key empties the full map first: 'a' is computed again afterwards.
    expect([upper('c'), upper('c'), upper('a')]).toStrictEqual(['C', 'C', 'A']);
    expect(calls).toStrictEqual(['a', 'b', 'c', 'a']);
  });

  it('keeps falsy results', () => {
    let n = 0;
    const no = boundedMemo(() => (n++, false), 10);
    expect([no('x'), no('x')]).toStrictEqual([false, false]);
    expect(n).toBe(1);
  });
});
