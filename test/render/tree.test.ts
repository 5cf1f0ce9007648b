import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { mergeOverlay, parsePath, parseSetFlag, PATH_LIMITS, setPath } from '../../src/render/tree.js';
import { isObject, type Json, type JsonObject } from '../../src/manifest/objects.js';

describe('--set parsing', () => {
  const cases: [string, string, unknown][] = [
    ['profile=demo', 'profile', 'demo'],
    ['values.pilot.autoscaleEnabled=false', 'values.pilot.autoscaleEnabled', false],
    ['values.pilot.autoscaleEnabled=true', 'values.pilot.autoscaleEnabled', true],
    ['values.pilot.autoscaleMax=7', 'values.pilot.autoscaleMax', 7],
    ['values.pilot.traceSampling=0.5', 'values.pilot.traceSampling', 0.5],
    ['values.global.proxy.resources.requests.cpu=10m', 'values.global.proxy.resources.requests.cpu', '10m'],
    ['tag=1.30', 'tag', '1.30'],
    ['values.global.tag=1.30', 'values.global.tag', '1.30'],
    ['compatibilityVersion=1.29', 'compatibilityVersion', '1.29'],
    ['meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE=true', 'meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE', 'true'],
    ['values.pilot.env.PILOT_X=1', 'values.pilot.env.PILOT_X', '1'],
    ['values.meshConfig.defaultConfig.proxyMetadata.X=1', 'values.meshConfig.defaultConfig.proxyMetadata.X', '1'],
    ['values.global.proxy.includeIPRanges=10.0.0.0/8\\,172.16.0.0/12', 'values.global.proxy.includeIPRanges', '10.0.0.0/8,172.16.0.0/12'],
    ['meshConfig.accessLogFormat=a=b', 'meshConfig.accessLogFormat', 'a=b'],
    ['spec.hub=gcr.io/x', 'hub', 'gcr.io/x'],
    ['values.x=', 'values.x', ''],
  ];
  it.each(cases)('%s', (raw, path, value) => {
    const f = parseSetFlag(raw);
    expect(f.path).toBe(path);
    expect(f.value).toStrictEqual(value);
  });

  it.each(['profile', '=demo', 'a..b=1', 'a[x]=1', 'a[=1'])('rejects %s', (raw) => {
    expect(() => parseSetFlag(raw)).toThrow(UsageError);
  });
});

describe('paths', () => {
  it('parses indices, selectors and escaped dots', () => {
    expect(parsePath('components.ingressGateways[0].k8s')).toStrictEqual([
      { kind: 'key', key: 'components' }, { kind: 'key', key: 'ingressGateways' }, { kind: 'index', index: 0 }, { kind: 'key', key: 'k8s' }]);
    expect(parsePath('a[name:istio-egressgateway].enabled')).toStrictEqual([
      { kind: 'key', key: 'a' }, { kind: 'select', field: 'name', value: 'istio-egressgateway' }, { kind: 'key', key: 'enabled' }]);
    expect(parsePath('values.pilot.podAnnotations.prometheus\\.io/scrape')).toStrictEqual([
      { kind: 'key', key: 'values' }, { kind: 'key', key: 'pilot' }, { kind: 'key', key: 'podAnnotations' }, { kind: 'key', key: 'prometheus.io/scrape' }]);
  });

  it('sets through selectors and appends at the end', () => {
    const root = { list: [{ name: 'a', enabled: false }] };
    setPath(root, parsePath('list[name:a].enabled'), true);
    setPath(root, parsePath('list[1].name'), 'b');
    setPath(root, parsePath('list[1].enabled'), true);
    setPath(root, parsePath('new[0].x'), 1);
    expect(root).toStrictEqual({ list: [{ name: 'a', enabled: true }, { name: 'b', enabled: true }], new: [{ x: 1 }] });
  });

  it('refuses an index past the end, naming the list and its length, and changes nothing', () => {
    const root = { components: { ingressGateways: [{ name: 'istio-ingressgateway' }] } };
    expect(() => setPath(root, parsePath('components.ingressGateways[99].enabled'), true)).toThrow(
      new UsageError('cannot set "components.ingressGateways[99].enabled": index 99 is past the end of components.ingressGateways, which has 1 element (use [1] to add one)'));
    expect(() => setPath(root, parsePath('fresh[2]'), 1)).toThrow(/index 2 is past the end of fresh, which has 0 elements/);
    expect(root.components.ingressGateways).toStrictEqual([{ name: 'istio-ingressgateway' }]);
    // The record of what the user set appends instead (istioctl's rule), for a list only the merged tree holds.
    const user = {};
    setPath(user, parsePath('components.ingressGateways[1].name'), 'gw2', 'append');
    expect(user).toStrictEqual({ components: { ingressGateways: [{ name: 'gw2' }] } });
  });

  it('bounds paths: segments, steps, segment and path length, refused at once with a short message', () => {
    const segments = (n: number) => `values.${Array.from({ length: n }, () => 'a').join('.')}=1`;
    expect(() => parseSetFlag(segments(1_000))).toThrow(/1,001 segments, more than the 100 meshctl accepts/);
    expect(() => parseSetFlag(segments(20_000))).toThrow(/40,006 characters, more than the 4,096 meshctl accepts/);
    expect(() => parseSetFlag(`values.x${'[0]'.repeat(PATH_LIMITS.steps)}=1`)).toThrow(/102 steps, more than the 100/);
    expect(() => parseSetFlag(`values.${'k'.repeat(PATH_LIMITS.segment + 1)}=1`)).toThrow(/a segment of 1,025 characters, more than the 1,024/);
    const huge = `values.${'k'.repeat(40_000)}=1`;
    expect(() => parseSetFlag(huge)).toThrow(UsageError);
    expect(() => parseSetFlag(huge)).toThrow(/40,007 characters, more than the 4,096/);
    try {
      parseSetFlag(huge);
    } catch (e) {
      expect((e as Error).message.length).toBeLessThan(400);
    }
    // Right at the limits is still a path.
    expect(parsePath(Array.from({ length: PATH_LIMITS.steps }, () => 'a').join('.'))).toHaveLength(PATH_LIMITS.steps);
    expect(parsePath(`values.${'k'.repeat(PATH_LIMITS.segment)}`)).toHaveLength(2);
  });

  it('names the existing elements when a selector misses', () => {
    const root = { list: [{ name: 'a' }, { name: 'b' }] };
    expect(() => setPath(root, parsePath('list[name:c].enabled'), true)).toThrow('no element with name "c" in list (found: a, b)');
  });

  it('merges maps and replaces lists', () => {
    expect(mergeOverlay({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, e: 2 })).toStrictEqual({ a: { b: 1, c: [3] }, d: 1, e: 2 });
  });

  /** The merge as first written (a copy of `base`, then each overlay key merged into it): the reference for the one-copy merge. */
  const copyingMerge = (base: Json | undefined, overlay: Json | undefined): Json | undefined => {
    if (overlay === undefined) return structuredClone(base);
    if (isObject(base) && isObject(overlay)) {
      const out: JsonObject = structuredClone(base);
      for (const [k, v] of Object.entries(overlay)) out[k] = copyingMerge(out[k], v) as Json;
      return out;
    }
    return structuredClone(overlay);
  };

  it('merges as the copying merge does, key order included, and modifies neither input', () => {
    let seed = 7;
    const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return Math.floor((seed / 2 ** 31) * n); };
    const keys = ['a', 'b', 'c', '0', '10', 'z'];
    const tree = (depth: number): Json => {
      const pick = rand(depth > 3 ? 4 : 7);
      if (pick === 0) return null;
      if (pick === 1) return rand(3);
      if (pick === 2) return 'text';
      if (pick === 3) return rand(2) === 0;
      if (pick === 4) return [tree(depth + 1), tree(depth + 1)];
      const out: JsonObject = {};
      for (let i = rand(4); i > 0; i--) out[keys[rand(keys.length)]!] = tree(depth + 1);
      return out;
    };
    for (let i = 0; i < 2000; i++) {
      const base = tree(0), overlay = tree(0);
      const [b, o] = [structuredClone(base), structuredClone(overlay)];
      const merged = mergeOverlay(base, overlay);
      const expected = copyingMerge(base, overlay);
      expect(merged).toStrictEqual(expected);
      expect(JSON.stringify(merged)).toBe(JSON.stringify(expected));
      expect([base, overlay]).toStrictEqual([b, o]);
    }
  });

  it('merges undefined members, shared subtrees and __proto__ keys as the copying merge does', () => {
    const shared = { x: 1 };
    const cases: [Json, Json][] = [
      [{ a: shared, b: shared } as JsonObject, { a: { y: 2 } }],
      [{ a: 1, b: undefined } as unknown as JsonObject, { b: undefined, c: undefined } as unknown as JsonObject],
      [JSON.parse('{"__proto__": {"a": 1}, "b": 1}'), JSON.parse('{"__proto__": {"c": 2}}')],
      [{ b: 1 }, JSON.parse('{"__proto__": {"polluted": true}, "c": 2}')],
    ];
    for (const [base, overlay] of cases) {
      const merged = mergeOverlay(base, overlay) as JsonObject;
      const expected = copyingMerge(base, overlay) as JsonObject;
      expect(merged).toStrictEqual(expected);
      expect(Object.getPrototypeOf(merged)).toStrictEqual(Object.getPrototypeOf(expected));
      expect(Object.keys(merged)).toStrictEqual(Object.keys(expected));
    }
    expect((mergeOverlay({ a: shared, b: shared }, { a: { y: 2 } }) as JsonObject).b).toStrictEqual({ x: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
