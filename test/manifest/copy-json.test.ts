/**
 * copyJson returns what structuredClone returns for the data kube-inject copies: a fresh tree, one
 * copy of a map or list the data reaches twice (a YAML alias), an own "__proto__" key kept as a
 * key, and any other object cloned as structuredClone clones it.
 */
import { describe, expect, it } from 'vitest';
import { copyJson } from '../../src/manifest/objects.js';

describe('copyJson', () => {
  it('copies lists and maps deeply and leaves scalars as they are', () => {
    const data = { a: [1, 'two', null, true, { b: [[]], c: {} }], d: -0 };
    const copy = copyJson(data);
    expect(copy).toStrictEqual(structuredClone(data));
    expect(copy).not.toBe(data);
    expect(copy.a).not.toBe(data.a);
    expect(copy.a[4]).not.toBe(data.a[4]);
    expect(Object.is(copy.d, -0)).toBe(true);
    for (const scalar of [null, 1, 'x', true]) expect(copyJson(scalar)).toBe(scalar);
  });

  it('shares in the copy what the original shares, as structuredClone does', () => {
    const env = [{ name: 'A', value: '1' }];
    const data = { containers: [{ name: 'a', env }, { name: 'b', env }] };
    const copy = copyJson(data);
    expect(copy.containers[0]!.env).toBe(copy.containers[1]!.env);
    expect(copy.containers[0]!.env).not.toBe(env);
    copy.containers[0]!.env[0]!.value = '2';
    expect(copy.containers[1]!.env[0]!.value).toBe('2');
    expect(env[0]!.value).toBe('1');
  });

  it('keeps an own __proto__ key a key, and clones other objects as structuredClone does', () => {
    const data = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const copy = copyJson(data);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toStrictEqual(['__proto__', 'a']);
    expect(copy).toStrictEqual(structuredClone(data));
    const when = { at: new Date(0), bytes: new Uint8Array([1, 2]), none: Object.create(null) as object };
    const cloned = copyJson(when);
    expect(cloned).toStrictEqual(structuredClone(when));
    expect(cloned.at).not.toBe(when.at);
  });
});
