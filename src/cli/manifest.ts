/** `meshctl manifest generate|diff`: render an installation without a cluster, compare two renderings. */
import { Option } from '@commander-js/extra-typings';
import type { AnyCommand } from './program.js';
import type { Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import { diffManifests, formatManifestDiff, summarizeManifestDiff } from '../manifest/diff.js';
import { loadObjects } from '../manifest/load.js';
import { toJson, toYamlStream } from '../manifest/serialize.js';
import { renderManifests } from '../render/render.js';
import { readInputFiles, splitFileFlags, writeOutputFile } from './inputs.js';
import { addRenderFlags, configurationFrom, printWarnings, type RenderOptions } from './render-options.js';
import { paint, useColor } from './style.js';

export interface ManifestGenerateOptions extends RenderOptions {
  /** File to write instead of stdout (written atomically). */
  output?: string;
}

/** Renders the configuration and writes the YAML stream to stdout or `-o FILE`. */
export async function runManifestGenerate(deps: Deps, opts: ManifestGenerateOptions): Promise<void> {
  const { config, assets } = await configurationFrom(deps, opts);
  const rendering = renderManifests(config, assets);
  printWarnings(deps, rendering.warnings);
  const text = toYamlStream(rendering.objects.map((o) => o.object));
  if (opts.output) {
    await writeOutputFile(deps, opts.output, text);
    deps.stderr.write(`Wrote ${rendering.objects.length} objects (profile "${config.profile}") to ${opts.output}\n`);
  } else {
    deps.stdout.write(text);
  }
}

/** Compares two manifests object by object; sets exit code 1 on differences with --exit-code. */
export async function runManifestDiff(deps: Deps, a: string, b: string, opts: { output: 'text' | 'json'; exitCode: boolean; color: boolean }): Promise<void> {
  if (a === "-" && b === "-") throw new UsageError("only one side can be standard input (\"-\")");
  const files = await readInputFiles(deps, [a, b]);
  const [left, right] = files.map((f) => loadObjects(f.text, f.name)) as [ReturnType<typeof loadObjects>, ReturnType<typeof loadObjects>];
  const d = diffManifests(left, right);
  if (opts.output === 'json') deps.stdout.write(toJson(d));
  else {
    const text = formatManifestDiff(d, [a, b]);
    deps.stdout.write(opts.color ? text.split('\n').map((l) => l.startsWith('+') ? paint(true, 'green', l) : l.startsWith('-') ? paint(true, 'red', l) : l.startsWith('~') ? paint(true, 'yellow', l) : l).join('\n') : text);
  }
  deps.stderr.write(`${summarizeManifestDiff(d)}\n`);
  if (opts.exitCode && (d.added.length || d.removed.length || d.changed.length)) deps.exitCode = 1;
}

export function registerManifest(program: AnyCommand, deps: Deps): void {
  const manifest = program.command('manifest').description('Render and compare installation manifests');
  addRenderFlags(manifest.command('generate')
    .description('Render the Kubernetes manifests of an installation (no cluster needed)')
    .argument('[args...]'))
    .option('-o, --output <file>', 'write the manifests to this file instead of stdout (atomically)')
    .action(async (args, opts) => {
      if (args.length) throw new UsageError(`manifest generate takes no arguments, got: ${args.join(' ')} (did you mean -f ${args[0]}?)`);
      await runManifestGenerate(deps, opts);
    });
  manifest.command('diff')
    .description('Compare two manifests object by object: added, removed and changed fields')
    .argument('<a>', 'first manifest file ("-" for stdin)')
    .argument('<b>', 'second manifest file')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json'] as const).default('text' as const))
    .option('--exit-code', 'exit with 1 when they differ (like git diff --exit-code)', false)
    .action(async (a, b, opts, cmd) => runManifestDiff(deps, a, b, { output: opts.output, exitCode: opts.exitCode, color: useColor(deps, 'stdout', cmd.optsWithGlobals()) }));
}
