/** The injector `meshctl kube-inject` builds from a rendering, for tests. */
import { loadAssets } from '../../src/cli/assets.js';
import { injectionConfigFromObjects } from '../../src/inject/config.js';
import { createInjector, type Injector } from '../../src/inject/pod.js';
import type { K8sObject } from '../../src/manifest/objects.js';
import { resolveConfiguration } from '../../src/render/config.js';
import { renderManifests } from '../../src/render/render.js';
import { testDeps } from '../helpers.js';

/** Returns the injector for the default profile changed by `sets` (as `--set` flags), classic or native layout. */
export async function defaultInjector(sets: string[] = [], nativeSidecars = false): Promise<Injector> {
  const assets = await loadAssets(testDeps().deps);
  const config = resolveConfiguration(assets, { sets });
  const objects = renderManifests(config, assets).objects.map((o) => o.object as K8sObject);
  return createInjector(injectionConfigFromObjects(objects, config.revision), { nativeSidecars });
}
