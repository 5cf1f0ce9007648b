/** Loads the renderer's data files (profiles, values, CRD schema set, injection templates) from the package. */
import { join } from 'node:path';
import type { Deps } from '../deps.js';
import type { JsonObject, K8sObject } from '../manifest/objects.js';
import type { RenderAssets } from '../render/config.js';
import { crdSchemaYaml, type CrdSchemaSet } from '../render/crds.js';
import type { ChartData } from '../render/chart-values.js';

/** Where the build writes the assets, parsed, so that start-up parses JSON instead of YAML. */
export const PREBUILT_ASSETS = join('dist', 'assets.json');

/** Where the build writes the default profile's ingress gateway objects (src/cli/ingress-gateway.ts). */
export const PREBUILT_INGRESS_GATEWAY = join('dist', 'ingress-gateway.json');

/**
 * Returns the objects of the default profile's ingress gateway, as renderDefaultIngressGateway renders
 * them: the build's copy when `deps.prebuiltAssets` is set, so `analyze` of files loads no renderer;
 * else rendered from the package's data. Throws Node's file errors when the installation is incomplete.
 */
export async function loadDefaultIngressGateway(deps: Deps): Promise<K8sObject[]> {
  if (deps.prebuiltAssets) {
    return JSON.parse(await deps.fs.readText(join(deps.assetsDir, PREBUILT_INGRESS_GATEWAY))) as K8sObject[];
  }
  const { renderDefaultIngressGateway } = await import('./ingress-gateway.js');
  return renderDefaultIngressGateway(await loadAssets(deps));
}

/**
 * Returns the render assets of `dir` (default: the package): `profiles/*.yaml`,
 * `manifests/values.yaml`, `manifests/charts.yaml`, `manifests/crds/istio-crds.json`, `manifests/injection/*.tmpl`. When
 * `deps.prebuiltAssets` is set (the built CLI), the build's parsed copy is read instead.
 * Throws Node's file errors when the installation is incomplete.
 */
export async function loadAssets(deps: Deps, dir = deps.assetsDir): Promise<RenderAssets> {
  if (deps.prebuiltAssets && dir === deps.assetsDir) {
    return JSON.parse(await deps.fs.readText(join(dir, PREBUILT_ASSETS))) as RenderAssets;
  }
  return readAssetSources(
    (path) => deps.fs.readText(join(dir, path)),
    async (path) => (await deps.fs.readDir(join(dir, path)).catch(() => [])).filter((e) => !e.isDirectory).map((e) => e.name),
  );
}

/**
 * Returns `assets` with what the build adds for start-up: the IstioOperator checks of the built-in profiles
 * (checkBuiltinSpecs, as RenderAssets.checkedSpecs), so that rendering one of them without overlays loads no
 * validator (prebuilt-config.ts). The build writes the result to `dist/assets.json`; loads the validator.
 */
export async function withBuiltinChecks(assets: RenderAssets): Promise<RenderAssets> {
  const { checkBuiltinSpecs } = await import('../render/config.js');
  return { ...assets, checkedSpecs: checkBuiltinSpecs(assets) };
}

/**
 * Returns the assets read through the given functions (paths relative to the package root), with the
 * CRD schemas' YAML (crdSchemaYaml). Shared by the CLI and the build, which writes the result to
 * `dist/assets.json`.
 */
export async function readAssetSources(readText: (path: string) => Promise<string>, listFiles: (path: string) => Promise<string[]>): Promise<RenderAssets> {
  // The yaml package loads here only: a run of the built CLI reads the build's JSON (loadAssets).
  const { readYaml: parse } = await import('../manifest/yaml-reader.js');
  const [profileFiles, valuesText, chartText, crdText, templateFiles] = await Promise.all([
    listFiles('profiles'), readText(join('manifests', 'values.yaml')), readText(join('manifests', 'charts.yaml')),
    readText(join('manifests', 'crds', 'istio-crds.json')), listFiles(join('manifests', 'injection')),
  ]);
  const profiles: Record<string, JsonObject> = {};
  for (const name of profileFiles.filter((n) => n.endsWith('.yaml')).sort()) {
    profiles[name.slice(0, -'.yaml'.length)] = parse(await readText(join('profiles', name))) as JsonObject;
  }
  const injectionTemplates: Record<string, string> = {};
  for (const name of templateFiles.filter((n) => n.endsWith('.tmpl')).sort()) {
    injectionTemplates[name.slice(0, -'.tmpl'.length)] = await readText(join('manifests', 'injection', name));
  }
  const crds = JSON.parse(crdText) as CrdSchemaSet;
  return {
    profiles, builtinValues: parse(valuesText) as JsonObject, charts: parse(chartText) as ChartData,
    crds, injectionTemplates, crdSchemaYaml: crdSchemaYaml(crds),
  };
}
