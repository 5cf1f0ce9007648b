import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { mergeOverlay, parsePath, parseSetFlag, setPath } from '../../src/render/tree.js';

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

  it('sets through selectors and appends past the end', () => {
    const root = { list: [{ name: 'a', enabled: false }] };
    setPath(root, parsePath('list[name:a].enabled'), true);
    setPath(root, parsePath('list[5].name'), 'b');
    setPath(root, parsePath('new[0].x'), 1);
    expect(root).toStrictEqual({ list: [{ name: 'a', enabled: true }, { name: 'b' }], new: [{ x: 1 }] });
  });

  it('names the existing elements when a selector misses', () => {
    const root = { list: [{ name: 'a' }, { name: 'b' }] };
    expect(() => setPath(root, parsePath('list[name:c].enabled'), true)).toThrow('no element with name "c" in list (found: a, b)');
  });

  it('merges maps and replaces lists', () => {
    expect(mergeOverlay({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, e: 2 })).toStrictEqual({ a: { b: 1, c: [3] }, d: 1, e: 2 });
  });
});
