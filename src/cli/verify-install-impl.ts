/** What `meshctl verify-install` does, loaded only when it runs. */
import { parse } from 'yaml';
import type { Deps } from '../deps.js';
import { isObject, type JsonObject } from '../manifest/objects.js';
import { toJson } from '../manifest/serialize.js';
import { readInstalledState, stateConfigMapName, type InstalledState } from '../kube/owner.js';
import { describeProblem, dottedName, verifyInstallation, type VerifyReport } from '../kube/verify.js';
import { clusterSettings, resolveConfiguration, type MeshConfiguration, type RenderAssets } from '../render/config.js';
import { renderManifests, type Rendering } from '../render/render.js';
import { loadAssets } from './assets.js';
import { connectCluster, type KubeGlobals } from './kube-flags.js';
import type { RenderOptions } from './render-flags.js';
import { configurationFrom, printWarnings } from './render-options.js';

/** Options of `verify-install`, from its flags. */
export interface VerifyInstallOptions extends RenderOptions {
  istioNamespace: string;
  output: 'text' | 'json';
}

/**
 * Returns the configuration an installed state records: the user's spec (`user-config.yaml`)
 * over the recorded profile, as install resolved it; in records without it, `config.yaml` (an
 * IstioOperator document, or just its spec) resolved like an `-f` file; or the recorded profile
 * and revision when the record has no configuration. Throws DataError when the recorded YAML
 * does not parse.
 */
export function configurationOfState(assets: RenderAssets, state: InstalledState, cluster: { kubernetesGitVersion?: string } = {}): MeshConfiguration {
  if (state.userConfigYaml !== undefined) {
    const user = parse(state.userConfigYaml) as unknown;
    const text = JSON.stringify({
      apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', metadata: { namespace: state.namespace }, spec: isObject(user) ? user : {},
    });
    const name = `ConfigMap ${state.namespace}/${stateConfigMapName(state.revision)} user-config.yaml`;
    return resolveConfiguration(assets, { profile: state.profile || undefined, files: [{ name, text }], ...cluster });
  }
  const name = `ConfigMap ${state.namespace}/${stateConfigMapName(state.revision)} config.yaml`;
  const text = state.configYaml.trim();
  if (!text) return resolveConfiguration(assets, { profile: state.profile || undefined, revision: state.revision || undefined });
  const doc = parse(text) as unknown;
  const isOperator = isObject(doc) && doc.kind === 'IstioOperator';
  const overlay = isOperator ? text : JSON.stringify({
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { namespace: state.namespace },
    spec: isObject(doc) ? doc : ({} as JsonObject),
  });
  return resolveConfiguration(assets, { files: [{ name, text: overlay }] });
}

/**
 * Renders what should be installed (from -f/--set, else from the installed state in the cluster),
 * compares it with the cluster and reports per object, then `✔ Istio is installed and verified
 * successfully`, or the problems with exit code 1. Without -f/--set and without an installed
 * state: `! No Istio installation found`, exit 1.
 */
export async function runVerifyInstall(deps: Deps, opts: VerifyInstallOptions, globals: KubeGlobals): Promise<void> {
  const fromFlags = (opts.filename ?? []).length > 0 || (opts.set ?? []).length > 0;
  // Flags are resolved before connecting, so a bad file fails without touching the cluster.
  let resolved: { config: MeshConfiguration; rendering: Rendering; source: string; ignoreFields?: Record<string, string[]> } | undefined;
  if (fromFlags) resolved = { ...await configurationFrom(deps, opts), source: 'the given configuration' };
  const client = await connectCluster(deps, globals);
  // As install: on GKE the cluster's version brings settings of its own (src/cli/install-impl.ts).
  const gitVersion = await client.serverVersion().then((v) => v.gitVersion, () => undefined);
  const cluster = gitVersion !== undefined && clusterSettings(gitVersion) ? { kubernetesGitVersion: gitVersion } : {};
  if (resolved && cluster.kubernetesGitVersion) resolved = { ...await configurationFrom(deps, opts, undefined, cluster, cluster), source: resolved.source };
  if (!resolved) {
    const revision = opts.revision === undefined || opts.revision === 'default' ? '' : opts.revision;
    const state = await readInstalledState(client, opts.istioNamespace, revision);
    if (!state) {
      deps.stderr.write(`! No Istio installation found (no installed state ${stateConfigMapName(revision)} in namespace ${opts.istioNamespace}; pass -f/--set to verify against a configuration, or -i/-r to look elsewhere)\n`);
      deps.exitCode = 1;
      return;
    }
    const assets = await loadAssets(deps);
    const config = configurationOfState(assets, state, cluster);
    resolved = {
      config,
      rendering: renderManifests(config, assets, cluster),
      source: `the configuration installed by meshctl ${state.clientVersion || '(unknown version)'} (profile "${state.profile}")`,
      // A record without the user's spec holds only the merged configuration; which values the user
      // gave cannot be told from it, and the `values` ConfigMap records exactly that: original-values
      // is what the user gave, and merged-values lays those over the chart's defaults (user values
      // win, so a record that holds every value yields other merged values). Istio documents the
      // ConfigMap as informational only: istiod does not read it.
      ...(state.userConfigYaml === undefined ? { ignoreFields: { ConfigMap: ['data.original-values', 'data.merged-values'] } } : {}),
    };
  }
  const { config, rendering, source, ignoreFields } = resolved;
  printWarnings(deps, rendering.warnings);
  const report = await verifyInstallation(client, { rendering: rendering.objects, revision: config.revision, namespace: config.namespace, ...(ignoreFields ? { ignoreFields } : {}) });
  const ok = report.objects.every((o) => o.status === 'ok');

  if (opts.output === 'json') {
    deps.stdout.write(toJson(jsonReport(report, ok)));
  } else {
    deps.stderr.write(`Verifying revision "${config.revision || 'default'}" in namespace ${config.namespace} against ${source}\n`);
    for (const o of report.objects) {
      const what = `${o.ref.kind}: ${dottedName(o.ref)}`;
      deps.stderr.write(o.status === 'ok' ? `✔ ${what} checked successfully\n` : `✘ ${what}: ${describeProblem(o)}\n`);
    }
    deps.stderr.write(`Checked ${report.counts.customResourceDefinitions} custom resource definitions\n`);
    deps.stderr.write(`Checked ${report.counts.deployments} Istio Deployments\n`);
    if (report.counts.daemonSets) deps.stderr.write(`Checked ${report.counts.daemonSets} Istio Daemonsets\n`);
  }
  if (ok) {
    deps.stderr.write('✔ Istio is installed and verified successfully\n');
    return;
  }
  const p = report.problems;
  const parts = [[p.missing, 'missing'], [p.drifted, 'drifted'], [p.unready, 'not ready'], [p.extra, 'extra']]
    .filter(([n]) => (n as number) > 0).map(([n, what]) => `${n} ${what}`);
  const total = p.missing + p.drifted + p.unready + p.extra;
  deps.stderr.write(`✘ Istio installation has ${total} problem${total === 1 ? '' : 's'}: ${parts.join(', ')}`
    + (p.missing || p.drifted ? '; running the same install again restores missing and drifted objects' : '')
    + (p.extra ? '; extra objects are removed by reinstalling with the configuration you want (prune) or by deleting them' : '')
    + '\n');
  deps.exitCode = 1;
}

/** The `-o json` document: one report per run. */
function jsonReport(report: VerifyReport, ok: boolean): unknown {
  return {
    revision: report.revision || 'default',
    namespace: report.namespace,
    verified: ok,
    counts: report.counts,
    problems: report.problems,
    objects: report.objects.map((o) => ({
      apiVersion: o.ref.apiVersion,
      kind: o.ref.kind,
      name: o.ref.name,
      ...(o.ref.namespace ? { namespace: o.ref.namespace } : {}),
      component: o.component,
      status: o.status,
      ...(o.status !== 'ok' ? { problem: describeProblem(o, Number.POSITIVE_INFINITY) } : {}),
      ...(o.drift ? { drift: o.drift } : {}),
      ...(o.reason ? { reason: o.reason } : {}),
    })),
  };
}
