/** What `meshctl kube-inject|kube-uninject` do, loaded only when one of them runs. */
import type { Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import {
  injectionConfigFromObjects, injectorSettingsFromText, meshFromFile, valuesFromFile, type InjectionConfig,
} from '../inject/config.js';
import { collectFileNamespaces, formatReportLine, injectFile, uninjectFile, type FileResult } from '../inject/documents.js';
import { NATIVE_SIDECARS_ENV, nativeSidecarMode, nativeSidecarsOnNodes } from '../inject/native-sidecars.js';
import { createInjector, type Injector } from '../inject/pod.js';
import { KubeError } from '../kube/errors.js';
import type { KubeClient } from '../kube/types.js';
import { isObject, type K8sObject } from '../manifest/objects.js';
import type { OverlayFile } from '../render/config.js';
import { connectCluster, type KubeGlobals } from './kube-flags.js';
import { workerOptionsFromEnv, workerPods } from './inject-workers.js';
import { expandInputPaths, readInputFiles, splitFileFlags, STDIN_NAME, writeOutputFile } from './inputs.js';
import { configurationFrom, printWarnings } from './render-options.js';

/** Where the result goes. */
export interface OutputOptions {
  filename?: string[];
  output?: string;
  inPlace?: boolean;
}

export interface KubeInjectOptions extends OutputOptions {
  revision?: string;
  nativeSidecar?: boolean;
  set?: string[];
  operatorFileName?: string;
  injectConfigFile?: string;
  valuesFile?: string;
  meshConfigFile?: string;
  /** Read the configuration from the cluster's ConfigMaps instead of rendering the default profile. */
  fromCluster?: boolean;
  /** Namespace of those ConfigMaps (`istio-system`). */
  istioNamespace?: string;
}

async function readOne(deps: Deps, path: string): Promise<string> {
  return (await readInputFiles(deps, [path]))[0]!.text;
}

/**
 * Resolves the injection configuration: istioctl's config files where given, otherwise what the
 * cluster's ConfigMaps hold (`--from-cluster`) or what the rendering of the default profile (plus
 * --set, --operatorFileName, -r) puts in the istio-sidecar-injector and istio ConfigMaps. Throws
 * UsageError when --from-cluster is combined with rendering flags, and the cluster's errors
 * (missing ConfigMaps, unreachable cluster: exit 1) when it is read.
 */
async function injectionConfig(deps: Deps, opts: KubeInjectOptions, cluster: () => Promise<KubeClient>): Promise<InjectionConfig> {
  const needsBase = !opts.injectConfigFile || !opts.valuesFile || !opts.meshConfigFile;
  if (opts.fromCluster && (opts.set?.length || opts.operatorFileName)) {
    throw new UsageError('--set and --operatorFileName shape a rendered configuration; they cannot be combined with --from-cluster');
  }
  let base: InjectionConfig | undefined;
  if (needsBase && opts.fromCluster) {
    const { injectionConfigFromCluster } = await import('../kube/inject-config.js');
    base = await injectionConfigFromCluster(await cluster(), {
      istioNamespace: opts.istioNamespace ?? 'istio-system',
      ...(opts.revision !== undefined ? { revision: opts.revision } : {}),
    });
  } else if (needsBase) {
    const { config, rendering } = await configurationFrom(deps, {
      filename: opts.operatorFileName ? [opts.operatorFileName] : [],
      set: opts.set,
      revision: opts.revision,
    });
    printWarnings(deps, config.warnings);
    const objects = rendering.objects.map((o) => o.object as K8sObject);
    base = injectionConfigFromObjects(objects, config.revision);
  }
  base ??= { templates: {}, defaultTemplates: ['sidecar'], aliases: {}, injectedAnnotations: {}, values: {}, mesh: {}, revision: opts.revision ?? '' };
  if (opts.injectConfigFile) Object.assign(base, injectorSettingsFromText(await readOne(deps, opts.injectConfigFile), opts.injectConfigFile));
  if (opts.valuesFile) base.values = valuesFromFile(await readOne(deps, opts.valuesFile), opts.valuesFile);
  if (opts.meshConfigFile) base.mesh = meshFromFile(await readOne(deps, opts.meshConfigFile), opts.meshConfigFile);
  if (opts.revision !== undefined) base.revision = opts.revision;
  return base;
}

function checkOutputFlags(opts: OutputOptions, paths: string[]): void {
  if (!paths.length) throw new UsageError('filename not specified (see --filename or -f)');
  if (opts.inPlace && opts.output) throw new UsageError('--in-place and -o/--output cannot be used together');
  if (opts.inPlace && paths.includes('-')) throw new UsageError('--in-place cannot rewrite standard input; use -o FILE or stdout');
}

/** Joins per-file outputs into one YAML stream. */
function joinOutputs(outputs: string[]): string {
  let text = '';
  for (const out of outputs) {
    if (text !== '') {
      if (!text.endsWith('\n')) text += '\n';
      if (!/^---(\s|$)/.test(out)) text += '---\n';
    }
    text += out;
  }
  return text;
}

/**
 * Runs inject or uninject over every input; writes only after every file succeeded. `processor`
 * sees all the files before it returns what processes each one.
 */
async function runOver(deps: Deps, opts: OutputOptions, processor: (files: readonly OverlayFile[]) => (text: string, name: string) => FileResult): Promise<void> {
  const paths = await expandInputPaths(deps, splitFileFlags(opts.filename));
  checkOutputFlags(opts, paths);
  const files = await readInputFiles(deps, paths);
  const process = processor(files);
  const results = files.map((f) => ({ file: f, result: process(f.text, f.name) }));
  if (opts.inPlace) {
    for (const { file, result } of results) {
      if (result.output !== file.text && file.name !== STDIN_NAME) await writeOutputFile(deps, file.name, result.output);
    }
  } else if (opts.output) {
    await writeOutputFile(deps, opts.output, joinOutputs(results.map((r) => r.result.output)));
  } else {
    deps.stdout.write(joinOutputs(results.map((r) => r.result.output)));
  }
  const workloads = results.flatMap((r) => r.result.workloads);
  for (const w of workloads) deps.stderr.write(`${formatReportLine(w)}\n`);
  if (!workloads.length) deps.stderr.write(`no workloads found in ${files.map((f) => f.name).join(', ')}; output equals input\n`);
}

/** The sidecar layout kube-inject uses: one answer for every pod, and per Node for pods bound to one. */
interface SidecarLayout {
  nativeSidecars: boolean;
  nativeSidecarsOnNode?: ReadonlyMap<string, boolean>;
}

/**
 * Decides between native and classic sidecars as Istio does (src/inject/native-sidecars.ts).
 * `--native-sidecar` comes first. Then the `ENABLE_NATIVE_SIDECARS` setting: meshctl's own
 * environment (what istioctl reads), else the istiod setting carried in the injector values
 * (`pilot.env`, which the chart gives istiod as its environment), else `auto`. In `auto` the
 * cluster's Nodes decide with --from-cluster; without a cluster the layout is classic. Nodes that
 * may not be listed (403) leave classic sidecars, with a warning.
 */
async function sidecarLayout(deps: Deps, opts: KubeInjectOptions, config: InjectionConfig, cluster: () => Promise<KubeClient>): Promise<SidecarLayout> {
  if (opts.nativeSidecar === true) return { nativeSidecars: true };
  const pilotEnv = isObject(config.values.pilot) && isObject(config.values.pilot.env) ? config.values.pilot.env : {};
  const fromValues = pilotEnv[NATIVE_SIDECARS_ENV];
  const setting = deps.env[NATIVE_SIDECARS_ENV]
    ?? (typeof fromValues === 'string' || typeof fromValues === 'boolean' ? String(fromValues) : undefined);
  const { mode, warning } = nativeSidecarMode(setting);
  if (warning) printWarnings(deps, [warning]);
  if (mode !== 'auto') return { nativeSidecars: mode === 'enabled' };
  if (!opts.fromCluster) return { nativeSidecars: false };
  const { nodeKubelets } = await import('../kube/inject-config.js');
  try {
    const nodes = nativeSidecarsOnNodes(await nodeKubelets(await cluster()));
    return { nativeSidecars: nodes.all, nativeSidecarsOnNode: nodes.byNode };
  } catch (e) {
    if (!(e instanceof KubeError && e.status === 403)) throw e;
    printWarnings(deps, [`cannot list Nodes to see whether their kubelets run native sidecars (${e.message}); injecting classic sidecars (--native-sidecar or ${NATIVE_SIDECARS_ENV}=true for native ones)`]);
    return { nativeSidecars: false };
  }
}

/** What the cluster's Namespaces tell the injector: their labels (ambient mode) and, on OpenShift, their annotations. */
interface ClusterNamespaces {
  namespaceLabels?: Map<string, Record<string, string>>;
  namespaces?: Map<string, Record<string, string>>;
}

/**
 * With --from-cluster, reads the Namespaces once: their labels put pods in ambient mode
 * (src/inject/ambient.ts) and, on OpenShift (istiod's PLATFORM, global.platform in the injector
 * values), their annotations give the proxy its uid and gid, as istiod's webhook does. Namespaces
 * that may not be listed (403) leave only the input's Namespace documents and pod labels to
 * decide ambient mode, and uid and gid 1337, with a warning.
 */
async function clusterNamespaces(deps: Deps, opts: KubeInjectOptions, config: InjectionConfig, cluster: () => Promise<KubeClient>): Promise<ClusterNamespaces> {
  if (!opts.fromCluster) return {};
  const global = isObject(config.values.global) ? config.values.global : {};
  const openShift = ((typeof global.platform === 'string' && global.platform) || config.values.platform) === 'openshift';
  const { namespaceMetadata } = await import('../kube/inject-config.js');
  try {
    const found = await namespaceMetadata(await cluster());
    return { namespaceLabels: found.labels, ...(openShift ? { namespaces: found.annotations } : {}) };
  } catch (e) {
    if (!(e instanceof KubeError && e.status === 403)) throw e;
    const consequences = [
      ...(openShift ? ['the proxy runs as uid 1337'] : []),
      'a namespace counts as in ambient mode only where a Namespace document of the input labels it so',
    ];
    printWarnings(deps, [`cannot list Namespaces to read their labels${openShift ? ' and OpenShift uid ranges' : ''} (${e.message}); ${consequences.join(', and ')}`]);
    return {};
  }
}

/**
 * Returns the injector with the labels of the Namespaces it knows: the cluster's, overlaid per
 * label by the Namespace documents of the input files (what applying them would set).
 */
function withInputNamespaces(injector: Injector, files: readonly OverlayFile[]): Injector {
  const fromFiles = new Map<string, Record<string, string>>();
  for (const f of files) collectFileNamespaces(f.text, f.name, fromFiles);
  if (fromFiles.size === 0) return injector;
  const labels = new Map(injector.namespaceLabels ?? []);
  for (const [name, l] of fromFiles) labels.set(name, { ...labels.get(name), ...l });
  return { ...injector, namespaceLabels: labels };
}

/** `meshctl kube-inject`. */
export async function runKubeInject(deps: Deps, opts: KubeInjectOptions, globals: KubeGlobals = {}): Promise<void> {
  const paths = splitFileFlags(opts.filename);
  checkOutputFlags(opts, paths);
  // One connection, made only when the cluster is read (its ConfigMaps, its Nodes).
  let client: Promise<KubeClient> | undefined;
  const cluster = (): Promise<KubeClient> => (client ??= connectCluster(deps, globals));
  const config = await injectionConfig(deps, opts, cluster);
  const injector = createInjector(config, {
    ...await sidecarLayout(deps, opts, config, cluster), ...await clusterNamespaces(deps, opts, config, cluster), leaveAmbientPods: true,
  });
  await runOver(deps, opts, (files) => {
    const withNamespaces = withInputNamespaces(injector, files);
    // A large file's pods go to a worker thread (src/cli/inject-workers.ts); the output is the same.
    const workers = workerOptionsFromEnv(deps.env);
    const queue = workers ? workerPods(workers) : undefined;
    return (text, name) => injectFile(withNamespaces, text, name, queue);
  });
}

/** `meshctl kube-uninject`. */
export async function runKubeUninject(deps: Deps, opts: OutputOptions): Promise<void> {
  await runOver(deps, opts, () => (text, name) => uninjectFile(text, name));
}
