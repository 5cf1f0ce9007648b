/** What `meshctl manifest generate|diff` do, loaded only when one of them runs. */
import type { Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import { diffManifests, formatManifestDiff, summarizeManifestDiff } from '../manifest/diff.js';
import { loadObjects } from '../manifest/load.js';
import { toJson, toYamlStream } from '../manifest/serialize.js';
import { writtenCrdSchemas } from '../render/crds.js';
import { readInputFiles, writeOutputFile } from './inputs.js';
import { configurationFrom, printWarnings } from './render-options.js';
import type { RenderOptions } from './render-flags.js';
import { colorDiff } from './style.js';

export interface ManifestGenerateOptions extends RenderOptions {
  /** File to write instead of stdout (written atomically). */
  output?: string;
}

/** Renders the configuration and writes the YAML stream to stdout or `-o FILE`. */
export async function runManifestGenerate(deps: Deps, opts: ManifestGenerateOptions): Promise<void> {
  const { config, assets, rendering } = await configurationFrom(deps, opts);
  printWarnings(deps, rendering.warnings);
  const text = toYamlStream(rendering.objects.map((o) => o.object), writtenCrdSchemas(assets.crds, assets.crdSchemaYaml));
  if (rendering.objects.length === 0) deps.stderr.write(`No objects rendered: every component is disabled (profile "${config.profile}").\n`);
  if (opts.output) {
    await writeOutputFile(deps, opts.output, text);
    deps.stderr.write(`Wrote ${rendering.objects.length} objects (profile "${config.profile}") to ${opts.output}\n`);
  } else {
    deps.stdout.write(text);
  }
}

/** Compares two manifests object by object; sets exit code 1 on differences with --exit-code. */
export async function runManifestDiff(deps: Deps, a: string, b: string, opts: { output: 'text' | 'json'; exitCode: boolean; color: boolean }): Promise<void> {
  if (a === '-' && b === '-') throw new UsageError('only one side can be standard input ("-")');
  const files = await readInputFiles(deps, [a, b]);
  const [left, right] = files.map((f) => loadObjects(f.text, f.name)) as [ReturnType<typeof loadObjects>, ReturnType<typeof loadObjects>];
  const d = diffManifests(left, right);
  if (opts.output === 'json') deps.stdout.write(toJson(d));
  else {
    const text = formatManifestDiff(d, [a, b]);
    deps.stdout.write(opts.color ? colorDiff(text) : text);
  }
  deps.stderr.write(`${summarizeManifestDiff(d)}\n`);
  if (opts.exitCode && (d.added.length || d.removed.length || d.changed.length)) deps.exitCode = 1;
}
