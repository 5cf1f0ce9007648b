/**
 * Rendering without a YAML reader (render-core.ts), as `manifest generate` of a built-in profile renders: the same
 * objects as with the reader, and a NeedsYamlReader error where an overlay patch value is YAML text to read.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadAssets } from '../../src/cli/assets.js';
import { resolveConfiguration } from '../../src/render/config.js';
import { NeedsYamlReader } from '../../src/render/k8s-settings.js';
import { renderManifests, renderManifestsWith } from '../../src/render/render.js';
import { testDeps } from '../helpers.js';

const assets = await loadAssets(testDeps().deps);

const overlay = (value: string) => `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  components:
    pilot:
      k8s:
        overlays:
        - kind: Deployment
          name: istiod
          patches:
          - path: spec.template.spec.containers.[name:discovery].env.[name:POD_NAME].valueFrom
            value: ${value}
`;

describe('renderManifestsWith', () => {
  it.each(Object.keys(assets.profiles).sort())('renders profile %s without a reader as renderManifests does', (profile) => {
    const config = resolveConfiguration(assets, { sets: [`profile=${profile}`] });
    expect(renderManifestsWith(config, assets, {}, undefined)).toStrictEqual(renderManifests(config, assets));
  });

  it('asks for a reader where a patch value is YAML text, and reads it with the one given', () => {
    const config = resolveConfiguration(assets, { files: [{ name: 'o.yaml', text: overlay('|\n              fieldRef:\n                fieldPath: metadata.uid') }] });
    expect(() => renderManifestsWith(config, assets, {}, undefined)).toThrow(NeedsYamlReader);
    const read: string[] = [];
    const rendering = renderManifestsWith(config, assets, {}, (text) => { read.push(text); return parse(text); });
    expect(read).toStrictEqual(['fieldRef:\n  fieldPath: metadata.uid\n']);
    expect(rendering).toStrictEqual(renderManifests(config, assets));
  });

  it('needs no reader for a patch value that is not YAML text', () => {
    const config = resolveConfiguration(assets, { files: [{ name: 'o.yaml', text: overlay('{fieldRef: {fieldPath: metadata.uid}}') }] });
    expect(renderManifestsWith(config, assets, {}, undefined)).toStrictEqual(renderManifests(config, assets));
  });
});
