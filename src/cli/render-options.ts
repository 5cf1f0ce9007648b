/** Turning the rendering flags into a configuration (loaded only by commands that render). */
import type { Deps } from '../deps.js';
import type { ConfigRequest, MeshConfiguration, RenderAssets } from '../render/resolve.js';
import { resolvePrebuilt } from '../render/prebuilt-config.js';
import { renderManifests, type Rendering, type RenderOptions as RenderingOptions } from '../render/render.js';
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
  // A built-in profile without overlays was validated by the build: the validator is loaded only for other requests.
  const config = resolvePrebuilt(assets, request) ?? (await import('../render/config.js')).resolveConfiguration(assets, request);
  // The charts see the cluster's version too (istio-cni picks its bin dir from it on GKE).
  return { config, assets, rendering: renderManifests(config, assets, { ...detected, ...rendering }) };
}

/** Writes warnings to stderr, one line each. */
export function printWarnings(deps: Deps, warnings: readonly string[]): void {
  for (const w of warnings) deps.stderr.write(`Warning: ${w}\n`);
}
