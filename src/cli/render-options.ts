/** Turning the rendering flags into a configuration (loaded only by commands that render). */
import type { Deps } from '../deps.js';
import type { ConfigRequest, MeshConfiguration, RenderAssets } from '../render/resolve.js';
import { resolvePrebuilt } from '../render/prebuilt-config.js';
import { renderManifestsWith, type Rendering, type RenderOptions as RenderingOptions } from '../render/render-core.js';
import { NeedsYamlReader } from '../render/k8s-settings.js';
import { loadAssets } from './assets.js';
import type { RenderOptions } from './render-flags.js';
import { readInputFiles, splitFileFlags } from './inputs.js';

/**
 * Reads the overlay files, resolves the configuration and renders it: the one validation every
 * command that takes `-f` IstioOperator files or `--set` runs, so that `profile dump` refuses what
 * `manifest generate` refuses. Throws UsageError (a flag is to blame, exit 64) or DataError (a file
 * is, with its `file:line:column`, exit 65) as resolveConfiguration and renderManifests do. `cluster` names
 * the cluster's Kubernetes version when there is one (istioctl's settings for GKE; see clusterSettings).
 */
export async function configurationFrom(deps: Deps, opts: RenderOptions, profile?: string, rendering: RenderingOptions = {}, cluster: { kubernetesGitVersion?: string } = {}): Promise<{ config: MeshConfiguration; assets: RenderAssets; rendering: Rendering }> {
  const paths = splitFileFlags(opts.filename);
  const [assets, files] = await Promise.all([loadAssets(deps), readInputFiles(deps, paths)]);
  const detected = cluster.kubernetesGitVersion === undefined ? {} : { kubernetesGitVersion: cluster.kubernetesGitVersion };
  const request: ConfigRequest = { files, sets: opts.set ?? [], revision: opts.revision, profile, force: opts.force, ...detected };
  // The charts see the cluster's version too (istio-cni picks its bin dir from it on GKE).
  const options = { ...detected, ...rendering };
  // A built-in profile without overlays was validated by the build, and has no overlay text to read as YAML: such a
  // run loads neither the validator nor the yaml package. Should it meet overlay text, it starts again on the full path.
  const prebuilt = resolvePrebuilt(assets, request);
  if (prebuilt) {
    try {
      return { config: prebuilt, assets, rendering: renderManifestsWith(prebuilt, assets, options, undefined) };
    } catch (err) {
      if (!(err instanceof NeedsYamlReader)) throw err;
    }
  }
  const config = (await import('../render/config.js')).resolveConfiguration(assets, request);
  const { readYaml } = await import('../manifest/yaml-reader.js');
  return { config, assets, rendering: renderManifestsWith(config, assets, options, (text) => readYaml(text)) };
}

/** Writes warnings to stderr, one line each. */
export function printWarnings(deps: Deps, warnings: readonly string[]): void {
  for (const w of warnings) deps.stderr.write(`Warning: ${w}\n`);
}
