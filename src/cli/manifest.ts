/** `meshctl manifest generate|diff`: render an installation without a cluster, compare two renderings. */
import { Option } from '@commander-js/extra-typings';
import type { Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import type { AnyCommand } from './program.js';
import { addRenderFlags } from './render-flags.js';
import { useColor } from './color.js';

// The renderer, its data and the schema validator load only when a manifest command runs.
const impl = () => import('./manifest-impl.js');
const diffImpl = () => import('./manifest-diff-impl.js');

/** Adds `manifest generate` and `manifest diff` to the program. */
export function registerManifest(program: AnyCommand, deps: Deps): void {
  const manifest = program.command('manifest').description('Render and compare installation manifests');
  addRenderFlags(manifest.command('generate')
    .description('Render the Kubernetes manifests of an installation (no cluster needed)')
    .argument('[args...]')
    .usage('[options]'))
    .option('-o, --output <file>', 'write the manifests to this file instead of stdout (atomically)')
    .action(async (args, opts) => {
      if (args.length) throw new UsageError(`manifest generate takes no arguments, got: ${args.join(' ')} (did you mean -f ${args[0]}?)`);
      await (await impl()).runManifestGenerate(deps, opts);
    });
  manifest.command('diff')
    .description('Compare two manifests object by object: added, removed and changed fields')
    .argument('<a>', 'first manifest file ("-" for stdin)')
    .argument('<b>', 'second manifest file')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json'] as const).default('text' as const))
    .option('--exit-code', 'exit with 1 when they differ (like git diff --exit-code)')
    .action(async (a, b, opts, cmd) => (await diffImpl()).runManifestDiff(deps, a, b, { output: opts.output, exitCode: opts.exitCode === true, color: useColor(deps, 'stdout', cmd.optsWithGlobals()) }));
}
