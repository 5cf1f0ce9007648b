/**
 * Golden renderings of IstioOperator overlays: every `*.yaml` in test/testdata/render/overlays/
 * is rendered with `-f` and compared with `golden/<name>` (CRDs left out: the profile goldens
 * hold them). Adding a case means dropping in a file; `npx vitest run -u` writes its golden.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAssets } from '../../src/cli/assets.js';
import { resolveConfiguration } from '../../src/render/config.js';
import { renderManifests } from '../../src/render/render.js';
import { parse } from 'yaml';
import { toYaml, toYamlStream } from '../../src/manifest/serialize.js';
import type { K8sObject } from '../../src/manifest/objects.js';
import { repoRoot, testDeps } from '../helpers.js';

const dir = join(repoRoot, 'test/testdata/render/overlays');
const cases = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
const assets = await loadAssets(testDeps().deps);

/**
 * Returns the object with the injection templates of the injector ConfigMap left out: the templates have tests
 * of their own and their list is checked against istioctl's by the render conformance suite, so a golden per
 * overlay need not change with every template edit.
 */
function withoutTemplateTexts(o: K8sObject): K8sObject {
  const data = o.data as Record<string, string> | undefined;
  if (o.kind !== 'ConfigMap' || !o.metadata.name.startsWith('istio-sidecar-injector') || typeof data?.config !== 'string') return o;
  const config = parse(data.config) as Record<string, unknown>;
  config.templates = '<left out>';
  return { ...o, data: { ...data, config: toYaml(config) } };
}

describe('overlay goldens', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThanOrEqual(5));

  it.each(cases)('%s', async (name) => {
    const config = resolveConfiguration(assets, { files: [{ name, text: readFileSync(join(dir, name), 'utf8') }] });
    const objects = renderManifests(config, assets).objects.map((o) => o.object).filter((o) => o.kind !== 'CustomResourceDefinition');
    await expect(toYamlStream(objects.map(withoutTemplateTexts))).toMatchFileSnapshot(join(dir, 'golden', name));
  });
});
