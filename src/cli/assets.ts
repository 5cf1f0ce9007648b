/** Loads the renderer's data files (profiles, values, CRD schema set, injection templates) from the package. */
import { join } from 'node:path';
import type { Deps } from '../deps.js';
import type { RenderAssets } from '../render/config.js';
import type { CrdSchemaSet } from '../render/crds.js';

/**
 * Returns the render assets under `deps.assetsDir` (or `dir`, for `--manifests`): `profiles/*.yaml`,
 * `manifests/values.yaml`, `manifests/crds/istio-crds.json`, `manifests/injection/*.tmpl`.
 * Throws Node's file errors when the installation is incomplete.
 */
export async function loadAssets(deps: Deps, dir = deps.assetsDir): Promise<RenderAssets> {
  const profilesDir = join(dir, 'profiles');
  const injectionDir = join(dir, 'manifests', 'injection');
  const [profileEntries, builtinValues, crdText, injectionEntries] = await Promise.all([
    deps.fs.readDir(profilesDir),
    deps.fs.readText(join(dir, 'manifests', 'values.yaml')),
    deps.fs.readText(join(dir, 'manifests', 'crds', 'istio-crds.json')),
    deps.fs.readDir(injectionDir).catch(() => []),
  ]);
  const profiles: Record<string, string> = {};
  await Promise.all(profileEntries.filter((e) => !e.isDirectory && e.name.endsWith('.yaml')).map(async (e) => {
    profiles[e.name.slice(0, -'.yaml'.length)] = await deps.fs.readText(join(profilesDir, e.name));
  }));
  const injectionTemplates: Record<string, string> = {};
  await Promise.all(injectionEntries.filter((e) => !e.isDirectory && e.name.endsWith('.tmpl')).map(async (e) => {
    injectionTemplates[e.name.slice(0, -'.tmpl'.length)] = await deps.fs.readText(join(injectionDir, e.name));
  }));
  return { profiles, builtinValues, crds: JSON.parse(crdText) as CrdSchemaSet, injectionTemplates };
}
