/** What `meshctl manifest generate` does, loaded only when it runs (`manifest diff`: manifest-diff-impl.ts). */
import type { Deps } from '../deps.js';
import { toYamlStream } from '../manifest/serialize.js';
import { writtenCrdSchemas } from '../render/crds.js';
import { writeOutputFile } from './inputs.js';
import { configurationFrom, printWarnings } from './render-options.js';
import type { RenderOptions } from './render-flags.js';

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
