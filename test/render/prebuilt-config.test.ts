/**
 * Resolving from the build's record of the built-in profiles' checks (prebuilt-config.ts) gives what
 * resolving with the IstioOperator validator gives, or leaves the request to the validator.
 */
import { describe, expect, it } from 'vitest';
import { loadAssets, withBuiltinChecks } from '../../src/cli/assets.js';
import { checkBuiltinSpecs, resolveConfiguration, type ConfigRequest } from '../../src/render/config.js';
import { resolvePrebuilt } from '../../src/render/prebuilt-config.js';
import { testDeps } from '../helpers.js';

const plain = await loadAssets(testDeps().deps);
const assets = await withBuiltinChecks(plain);
const profiles = Object.keys(plain.profiles).sort();

describe('checkBuiltinSpecs', () => {
  it('records one checked spec per built-in profile, as JSON data, with both checks\' results', () => {
    const checked = checkBuiltinSpecs(plain);
    expect(checked.map((c) => c.spec.profile).sort()).toStrictEqual(profiles);
    for (const c of checked) {
      expect(JSON.parse(JSON.stringify(c))).toStrictEqual(c);
      expect(c.issues).toBeDefined();
      expect(c.autoscaleWarnings).toBeDefined();
    }
  });
});

describe('resolvePrebuilt', () => {
  const requests: [string, ConfigRequest][] = [['no flags', {}], ...profiles.flatMap((p): [string, ConfigRequest][] => [
    [`--set profile=${p}`, { sets: [`profile=${p}`] }],
    [`profile dump ${p}`, { profile: p }],
    [`--set spec.profile=${p} --force`, { sets: [`spec.profile=${p}`], force: true }],
  ])];

  it.each(requests)('resolves %s from the record, as the validator does', (_, request) => {
    const prebuilt = resolvePrebuilt(assets, request);
    expect(prebuilt).toBeDefined();
    expect(prebuilt).toStrictEqual(resolveConfiguration(assets, request));
  });

  it.each<[string, ConfigRequest]>([
    ['another value', { sets: ['profile=demo', 'values.global.hub=example.com/istio'] }],
    ['a revision', { sets: ['profile=demo'], revision: 'canary' }],
    ['a value the profile has, set to an infinite number', { sets: ['profile=demo', 'values.pilot.autoscaleMin=1e999'] }],
    ['a GKE cluster', { sets: ['profile=demo'], kubernetesGitVersion: 'v1.33.5-gke.1201000' }],
    ['an overlay file', { files: [{ name: 'o.yaml', text: 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: demo\n' }] }],
  ])('leaves a request with %s to the validator', (_, request) => {
    expect(resolvePrebuilt(assets, request)).toBeUndefined();
  });

  it('leaves every request to the validator without the build\'s record', () => {
    expect(resolvePrebuilt(plain, { sets: ['profile=demo'] })).toBeUndefined();
  });

  it('throws what the validator\'s resolution throws before any check', () => {
    for (const request of [{ sets: ['profile=prod'] }, { sets: ['profile'] }, { profile: 'nope' }]) {
      expect(() => resolvePrebuilt(assets, request)).toThrow();
      let expected: unknown;
      try { resolveConfiguration(assets, request); } catch (err) { expected = err; }
      expect(() => resolvePrebuilt(assets, request)).toThrow(expected as Error);
    }
  });

  it('reports the recorded issues as the validator would', () => {
    const spec = structuredClone(assets.checkedSpecs!.find((c) => c.spec.profile === 'demo')!);
    const issue = { path: ['values', 'pilot', 'autoscaleMin'], message: 'recorded issue' };
    const doctored = { ...assets, checkedSpecs: [{ ...spec, issues: [issue] }] };
    expect(() => resolvePrebuilt(doctored, { sets: ['profile=demo'] })).toThrow('recorded issue');
    expect(resolvePrebuilt(doctored, { sets: ['profile=demo'], force: true })!.warnings)
      .toContain('configuration invalid; continuing because of --force: recorded issue');
  });
});
