/**
 * Rendering (render-core.ts) with the `yaml` package as the reader of YAML text in `k8s.overlays` patch values,
 * as istioctl's overlays read such text: the API every command but `manifest generate` uses.
 */
import { parse } from 'yaml';
import type { MeshConfiguration, RenderAssets } from './resolve.js';
import { renderManifestsWith, type Rendering, type RenderOptions } from './render-core.js';

export * from './render-core.js';

/**
 * Returns the objects of the configuration in install order (renderManifestsWith, reading overlay text with the
 * `yaml` package). Throws, for a `k8s.overlays` entry that is malformed or matches nothing, or two gateway entries
 * that are one gateway: a DataError at the value's `file:line:column` when an `-f` file set it, a UsageError naming
 * the `--set` flag when a flag did, else a UsageError (see configErrorAt).
 */
export function renderManifests(config: MeshConfiguration, assets: RenderAssets, options: RenderOptions = {}): Rendering {
  return renderManifestsWith(config, assets, options, (text) => parse(text));
}
