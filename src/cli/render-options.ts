/** The flags every rendering command shares: -f, --set, -r, --force, and turning them into a configuration. */
import type { Command, OptionValues } from '@commander-js/extra-typings';
import type { Deps } from '../deps.js';
import { resolveConfiguration, type MeshConfiguration, type RenderAssets } from '../render/config.js';
import { loadAssets } from './assets.js';
import { collect } from './program.js';
import { readInputFiles, splitFileFlags } from './inputs.js';

/** Options that select what is rendered. */
export interface RenderOptions {
  filename?: string[];
  set?: string[];
  revision?: string;
  force?: boolean;
}

/** Adds -f/--filename, -s/--set, -r/--revision and --force to a command. */
export function addRenderFlags<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd
    .option('-f, --filename <file>', 'IstioOperator overlay file; repeatable, comma-separated, "-" for stdin; later files win', collect)
    .option('-s, --set <path=value>', 'override a configuration value, e.g. --set profile=demo; repeatable, applied in order after the files', collect)
    .option('-r, --revision <revision>', 'control plane revision (suffixes names, sets istio.io/rev); same as --set revision=')
    .option('--force', 'continue when the configuration fails validation (issues become warnings)', false);
}

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
