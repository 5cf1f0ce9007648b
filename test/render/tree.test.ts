import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { mergeOverlay, parsePath, parseSetFlag, PATH_LIMITS, setPath } from '../../src/render/tree.js';

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
});
