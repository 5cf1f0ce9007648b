/** Turning the rendering flags into a configuration (loaded only by commands that render). */
import type { Deps } from '../deps.js';
import { resolveConfiguration, type MeshConfiguration, type RenderAssets } from '../render/config.js';
import { loadAssets } from './assets.js';
import type { RenderOptions } from './render-flags.js';
import { readInputFiles, splitFileFlags } from './inputs.js';

/** Reads the overlay files and resolves the configuration. Throws UsageError/DataError as resolveConfiguration does. */
export async function configurationFrom(deps: Deps, opts: RenderOptions, profile?: string): Promise<{ config: MeshConfiguration; assets: RenderAssets }> {
  const paths = splitFileFlags(opts.filename);
  const [assets, files] = await Promise.all([loadAssets(deps), readInputFiles(deps, paths)]);
  const config = resolveConfiguration(assets, { files, sets: opts.set ?? [], revision: opts.revision, profile, force: opts.force });
  return { config, assets };
}

/** Writes warnings to stderr, one line each. */
export function printWarnings(deps: Deps, warnings: readonly string[]): void {
  for (const w of warnings) deps.stderr.write(`Warning: ${w}\n`);
}
