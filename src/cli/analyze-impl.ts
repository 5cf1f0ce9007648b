/** What `meshctl analyze` does, loaded only when it runs. */
import type { Deps } from '../deps.js';
import { AnalysisIssuesError, DataError, formatPosition, UsageError } from '../errors.js';
import { syntheticResources } from '../analyze/defaults.js';
import { runAnalysis, type AnalysisResult } from '../analyze/engine.js';
import { isKnownCode, levelRank, parseLevel, type Level } from '../analyze/messages.js';
import { FORMATTERS } from '../analyze/output/index.js';
import { ANALYZERS, selectAnalyzers } from '../analyze/registry.js';
import { asMap, type JsonMap, type Resource } from '../analyze/resource.js';
import {
  defaultAnalysisMeshConfig, defaultMeshNetworks, meshConfigFromFile, meshConfigFromText, meshNetworksDocument, meshNetworksFromText,
} from '../analyze/mesh-config.js';
import { lastOfEach, resourcesFromDocuments, type InputProblem } from '../analyze/sources.js';
import { ResourceStore } from '../analyze/store.js';
import { parseSuppression } from '../analyze/suppress.js';
import type { SourceDocument } from '../manifest/yaml-docs.js';
import { compactYamlDocuments } from '../manifest/compact-docs.js';
import { ANALYZE_FORMATS } from './analyze.js';
import { useColor } from './color.js';
import { expandEachInputOnce, readInputFiles, STDIN_NAME } from './inputs.js';
import { loadDefaultIngressGateway } from './assets.js';
import { connectCluster, type KubeGlobals } from './kube-flags.js';
import { KubeConfigError } from '../kube/errors.js';
import type { KubeClient } from '../kube/types.js';
import type { KindKey } from '../analyze/resource.js';
import type { Analyzer } from '../analyze/analyzer.js';

/** Options of `meshctl analyze` as commander parses them. */
export interface AnalyzeOptions {
  namespace?: string;
  allNamespaces?: boolean;
  useKube?: boolean | string;
  output: string;
  outputThreshold: string;
  failureThreshold: string;
  suppress?: string[];
  analyzer?: string[];
  listAnalyzers?: boolean;
  istioNamespace: string;
  ignoreUnknown?: boolean;
  meshConfigFile?: string;
  meshNetworksFile?: string;
}

/** Files read and what they held. */
export interface LoadedFiles {
  files: string[];
  resources: Resource[];
  problems: InputProblem[];
  /** Time spent parsing YAML and turning documents into resources (ms). */
  parseMs: number;
  convertMs: number;
}

/**
 * Reads, parses and converts every file once (directories expanded, `-` for stdin). Never throws for
 * bad input: unreadable or unparseable files become problems with positions, and the other
 * files are still read.
 */
export async function loadFiles(deps: Deps, paths: readonly string[], defaultNamespace: string): Promise<LoadedFiles> {
  const out: LoadedFiles = { files: [], resources: [], problems: [], parseMs: 0, convertMs: 0 };
  for (const input of await expandEachInputOnce(deps, paths)) {
    if ('error' in input) {
      out.problems.push({ file: input.given, message: problemText(input.error, input.given) });
      continue;
    }
    const file = input.path === '-' ? STDIN_NAME : input.path;
    out.files.push(file);
    try {
      const [read] = await readInputFiles(deps, [input.path]);
      // Document by document: each tree is dropped once its resources are made (src/manifest/compact-docs.ts).
      const t0 = performance.now();
      const docs = timed(compactYamlDocuments(read!.text, file));
      const result = resourcesFromDocuments(docs, { defaultNamespace });
      out.parseMs += docs.ms;
      out.convertMs += performance.now() - t0 - docs.ms;
      for (const r of result.resources) out.resources.push(r);
      for (const p of result.problems) out.problems.push(p);
    } catch (e) {
      if (!(e instanceof DataError)) throw e;
      out.problems.push({ file, ...(e.position ? { position: e.position } : {}), message: problemText(e, file) });
    }
  }
  out.resources = lastOfEach(out.resources);
  return out;
}

/** Returns the items of `source`, with `ms` adding up the time spent producing them. */
function timed<T>(source: Iterable<T>): Iterable<T> & { ms: number } {
  const out = {
    ms: 0,
    *[Symbol.iterator](): Generator<T> {
      const it = source[Symbol.iterator]();
      for (;;) {
        const t0 = performance.now();
        const next = it.next();
        out.ms += performance.now() - t0;
        if (next.done) return;
        yield next.value;
      }
    },
  };
  return out;
}

/** The message of a DataError without the `file:line:column: ` or `file: ` prefix it carries. */
function problemText(e: unknown, file: string): string {
  const err = e as DataError;
  const text = err.message;
  if (err.position) return text.slice(formatPosition(err.position).length + 2);
  return text.startsWith(`${file}: `) ? text.slice(file.length + 2) : text;
}

/** Returns the text of one input problem, `file:line:column: message`. */
export function problemLine(p: InputProblem): string {
  return `${p.position ? formatPosition(p.position) : p.file}: ${p.message}`;
}

function level(flag: string, value: string): Level {
  const l = parseLevel(value);
  if (!l) throw new UsageError(`invalid level "${value}" for ${flag}: use Info, Warning or Error`);
  return l;
}

/** Returns the ingress gateway the default profile installs, assumed present in file mode. */
export async function profileIngressGateway(deps: Deps, existing: readonly Resource[]): Promise<Resource[]> {
  return syntheticResources(await loadDefaultIngressGateway(deps), existing);
}

/** Returns every kind the analyzers read: what the cluster source lists, and nothing more. */
export function inputKinds(analyzers: readonly Analyzer[]): Set<KindKey> {
  return new Set(analyzers.flatMap((a) => a.inputs));
}

/** What one run analyzes: resources from files and/or the cluster, and how to report on them. */
interface AnalysisInput {
  loaded: LoadedFiles;
  store: ResourceStore;
  /** The namespace reported on (`-n`, or the context's in cluster mode); undefined for all. */
  namespace: string | undefined;
  /** Cluster mode: summaries name the namespace, never the files. */
  cluster: boolean;
  /** Time spent preparing the store besides reading files (the assumed ingress gateway in file mode), ms. */
  setupMs: number;
  /** The mesh config and mesh networks analyzers see. */
  mesh: MeshInputs;
}

/** The mesh config and mesh networks of a run (defaults applied). */
interface MeshInputs {
  meshConfig: JsonMap;
  meshNetworks: JsonMap;
  /** The `--meshNetworksFile` document, for positions of findings about the mesh networks. */
  meshNetworksDocument?: SourceDocument;
}

/**
 * Reads a file named by a flag (`-` for stdin). Throws DataError for a missing, unreadable or
 * binary file: positioned where the file has the problem, else naming the flag.
 */
async function readFlagFile(deps: Deps, flag: string, file: string): Promise<string> {
  try {
    const [read] = await readInputFiles(deps, [file]);
    return read!.text;
  } catch (e) {
    if (e instanceof DataError && !e.position) throw new DataError(`${flag} ${e.message}`);
    throw e;
  }
}

/**
 * Returns the `mesh` and `meshNetworks` texts of the control plane's `istio` ConfigMap (those that
 * parse) and a `source` naming the ConfigMap. A missing
 * or unreadable ConfigMap, or a text that does not parse, leaves the defaults in place with a
 * warning on stderr, as istioctl falls back to the default mesh config.
 */
export async function liveMeshTexts(deps: Deps, client: Pick<KubeClient, 'get'>, istioNamespace: string): Promise<{ mesh?: string; meshNetworks?: string; source: string }> {
  const source = `ConfigMap ${istioNamespace}/istio`;
  let data: JsonMap;
  try {
    data = asMap((await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: istioNamespace, name: 'istio' }) as Record<string, unknown> | undefined)?.data);
  } catch (e) {
    deps.stderr.write(`Warning: could not read ${source}, using the default mesh config: ${(e as Error).message}\n`);
    return { source };
  }
  const out: { mesh?: string; meshNetworks?: string; source: string } = { source };
  if (typeof data.mesh === 'string') {
    try {
      meshConfigFromText(data.mesh, `${source} mesh`);
      out.mesh = data.mesh;
    } catch (e) {
      deps.stderr.write(`Warning: using the default mesh config: ${(e as Error).message}\n`);
    }
  }
  if (typeof data.meshNetworks === 'string') {
    try {
      meshNetworksFromText(data.meshNetworks, `${source} meshNetworks`);
      out.meshNetworks = data.meshNetworks;
    } catch (e) {
      deps.stderr.write(`Warning: using no mesh networks: ${(e as Error).message}\n`);
    }
  }
  return out;
}

/**
 * Returns the mesh config and mesh networks for a run: each from its flag's file when given, else
 * from the cluster's `istio` ConfigMap (`mesh` and `meshNetworks` keys) when `live` holds it,
 * else Istio's defaults, as istioctl analyze takes them (a file given takes precedence).
 */
async function meshInputs(deps: Deps, opts: AnalyzeOptions, live?: { mesh?: string; meshNetworks?: string; source: string }): Promise<MeshInputs> {
  const meshConfig = opts.meshConfigFile !== undefined
    ? meshConfigFromFile(await readFlagFile(deps, '--meshConfigFile', opts.meshConfigFile), opts.meshConfigFile)
    : live?.mesh !== undefined ? meshConfigFromText(live.mesh, `${live.source} mesh`) : defaultAnalysisMeshConfig();
  if (opts.meshNetworksFile !== undefined) {
    const read = meshNetworksDocument(await readFlagFile(deps, '--meshNetworksFile', opts.meshNetworksFile), opts.meshNetworksFile);
    return { meshConfig, meshNetworks: read.meshNetworks, ...(read.document ? { meshNetworksDocument: read.document } : {}) };
  }
  const meshNetworks = live?.meshNetworks !== undefined ? meshNetworksFromText(live.meshNetworks, `${live.source} meshNetworks`) : defaultMeshNetworks();
  return { meshConfig, meshNetworks };
}

/** Reads the files alone (file mode): pod templates stand in for pods, the profile's ingress gateway is assumed. */
async function fileInput(deps: Deps, args: string[], opts: AnalyzeOptions): Promise<AnalysisInput> {
  const mesh = await meshInputs(deps, opts);
  const loaded = await loadFiles(deps, args, opts.namespace ?? 'default');
  const t0 = performance.now();
  // As istioctl: the default ingress gateway is assumed unless the mesh config turns ingress off.
  const synthetic = mesh.meshConfig.ingressControllerMode === 'OFF' ? [] : await profileIngressGateway(deps, loaded.resources);
  const store = new ResourceStore([...loaded.resources, ...synthetic], true);
  return { loaded, store, namespace: opts.namespace, cluster: false, setupMs: performance.now() - t0, mesh };
}

/**
 * Reads the cluster and lays the files over it (cluster mode). Throws UsageError (64) when the
 * chosen namespace does not exist: istioctl prints `namespace "x" not found` and exits 0, which lets
 * a mistyped `-n` pass a CI gate without analysing anything.
 */
async function clusterInput(deps: Deps, args: string[], opts: AnalyzeOptions, analyzers: readonly Analyzer[], globals: KubeGlobals & { verbose?: boolean }): Promise<AnalysisInput> {
  let client: KubeClient;
  try {
    client = await connectCluster(deps, globals);
  } catch (e) {
    if (e instanceof KubeConfigError && args.length === 0 && opts.useKube === undefined) {
      throw new UsageError(`no files given, and the cluster cannot be used (${e.message}); pass files, directories or - for stdin`);
    }
    throw e;
  }
  // As istioctl: the context's namespace unless -n or -A.
  const namespace = opts.allNamespaces ? undefined : opts.namespace ?? client.identity.namespace;
  if (namespace !== undefined && !(await client.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace }))) {
    throw new UsageError(`namespace "${namespace}" not found in context "${client.identity.context}"; pass an existing namespace with -n, or -A for all`);
  }
  const loaded = await loadFiles(deps, args, namespace ?? client.identity.namespace);
  const { liveResources, overlayFiles } = await import('../kube/live-resources.js');
  const t0 = performance.now();
  // Every namespace is read even with -n, as istioctl does: a Gateway in one namespace selects
  // gateway pods in another, a route names hosts anywhere. Only findings are limited to -n.
  const live = await liveResources(client, { kinds: inputKinds(analyzers) });
  if (globals.verbose) {
    deps.stderr.write(`Read ${live.resources.length} live resources of ${live.served.length} kinds from context "${client.identity.context}" in ${(performance.now() - t0).toFixed(0)} ms (${client.stats.requests} requests)\n`);
    if (live.unserved.length) deps.stderr.write(`Not served by the cluster (skipped): ${live.unserved.join(', ')}\n`);
  }
  const mesh = await meshInputs(deps, opts, await liveMeshTexts(deps, client, opts.istioNamespace));
  return { loaded, store: new ResourceStore(overlayFiles(live.resources, loaded.resources), false), namespace, cluster: true, setupMs: 0, mesh };
}

/**
 * Runs `meshctl analyze`. Files alone are analyzed offline; with `--use-kube`, or with no files,
 * the cluster's live resources are analyzed with the files laid over them. Prints findings to
 * stdout in the chosen format and the summary to stderr. Throws UsageError for bad flags (and
 * for no files when no cluster is configured), AnalysisIssuesError (exit 79) when a finding that
 * is not suppressed reaches the failure threshold, DataError (exit 65) when a file could not be
 * parsed and `--ignore-unknown` is not set, the cluster's errors (exit 1) when it cannot be read;
 * the exit code never depends on `-o`.
 */
export async function runAnalyze(deps: Deps, args: string[], opts: AnalyzeOptions, globals: KubeGlobals & { color?: boolean; verbose?: boolean }): Promise<void> {
  if (opts.listAnalyzers) {
    for (const a of ANALYZERS) deps.stdout.write(`* ${a.name}${a.optIn ? ' (runs only when named with --analyzer)' : ''}:\n    ${a.description}\n`);
    return;
  }
  const formatter = FORMATTERS[opts.output];
  if (!formatter) {
    throw new UsageError(`${opts.output} is not a valid option for format (-o); use one of ${ANALYZE_FORMATS.join(', ')}`);
  }
  const outputLevel = level('--output-threshold', opts.outputThreshold);
  const failureLevel = level('--failure-threshold', opts.failureThreshold);
  if (opts.namespace !== undefined && opts.allNamespaces) throw new UsageError('-n/--namespace and -A/--all-namespaces cannot be used together');
  const suppressions = (opts.suppress ?? []).map(parseSuppression);
  for (const s of suppressions) {
    if (!isKnownCode(s.code)) deps.stderr.write(`Warning: Supplied message code '${s.code}' is an unknown message code and will not have any effect.\n`);
  }
  const { analyzers, unknown } = selectAnalyzers(opts.analyzer ?? []);
  if (unknown.length > 0) throw new UsageError(`unknown analyzer ${unknown.map((n) => `"${n}"`).join(', ')}; list them with -L`);

  if (typeof opts.useKube === 'string') {
    // `--use-kube FILE`: the word after the flag was a file, not the flag's value.
    args = [opts.useKube, ...args];
    opts = { ...opts, useKube: true };
  }
  const useCluster = opts.useKube === true || (opts.useKube === undefined && args.length === 0);
  const input = useCluster ? await clusterInput(deps, args, opts, analyzers, globals) : await fileInput(deps, args, opts);
  const { loaded, namespace } = input;
  const t1 = performance.now();
  const result: AnalysisResult = withinNamespace(runAnalysis(input.store, {
    analyzers,
    istioNamespace: opts.istioNamespace,
    meshConfig: input.mesh.meshConfig,
    meshNetworks: input.mesh.meshNetworks,
    ...(input.mesh.meshNetworksDocument ? { meshNetworksDocument: input.mesh.meshNetworksDocument } : {}),
    ...(namespace !== undefined ? { namespaces: new Set([namespace]) } : {}),
    suppressions,
  }), namespace);
  if (globals.verbose) {
    // bench/analyze.mjs reads this line: analysis cost as a ratio of parse cost in the same run.
    const analysisMs = loaded.convertMs + input.setupMs + performance.now() - t1;
    deps.stderr.write(`Analyzers run: ${result.analyzers.join(', ')}\n`);
    deps.stderr.write(`Timings: parse ${loaded.parseMs.toFixed(1)} ms, analysis ${analysisMs.toFixed(1)} ms (${input.cluster ? input.store.resources.length : loaded.resources.length} resources)\n`);
  }

  for (const p of loaded.problems) deps.stderr.write(`Error: ${problemLine(p)}\n`);
  const shown = result.findings.filter((f) => levelRank(f.type.level) <= levelRank(outputLevel));
  deps.stdout.write(formatter({
    findings: shown,
    problems: loaded.problems,
    files: loaded.files,
    analyzers,
    version: deps.version,
    color: useColor(deps, 'stdout', globals),
  }));

  const active = result.findings.filter((f) => !f.suppressed);
  const scope = namespace !== undefined ? `namespace: ${namespace}` : input.cluster ? 'all namespaces' : describeFiles(loaded.files);
  const failedFiles = new Set(loaded.problems.map((p) => p.file)).size;
  if (active.length === 0) {
    const but = failedFiles ? ` (but ${failedFiles} file(s) could not be parsed)` : '';
    deps.stderr.write(failedFiles ? `No validation issues found when analyzing ${scope}${but}.\n` : `\u2714 No validation issues found when analyzing ${scope}.\n`);
  } else {
    deps.stderr.write(`${summary(active.map((f) => f.type.level), result.findings.length - active.length, shown.filter((f) => !f.suppressed).length)}\n`);
  }
  if (active.some((f) => levelRank(f.type.level) <= levelRank(failureLevel))) {
    throw new AnalysisIssuesError(`Analyzers found issues when analyzing ${namespace !== undefined ? `namespace: ${namespace}` : 'all namespaces'}.\nSee https://istio.io/v1.30/docs/reference/config/analysis for more information about causes and resolutions.`);
  }
  if (failedFiles && !opts.ignoreUnknown) throw new DataError(`${failedFiles} file(s) could not be parsed`);
}

/**
 * Returns the result without findings about other Namespaces when one namespace is analyzed. The
 * engine keeps every cluster-scoped finding; istioctl counts a Namespace object as belonging to
 * the namespace it names (its kube origin's Namespace() is its own name), so `-n shop` does not
 * report that `default` lacks injection.
 */
function withinNamespace(result: AnalysisResult, namespace: string | undefined): AnalysisResult {
  if (namespace === undefined) return result;
  const findings = result.findings.filter((f) => !(f.resource?.key === 'Namespace' && f.resource.name !== namespace));
  return findings.length === result.findings.length ? result : { ...result, findings };
}

function describeFiles(files: readonly string[]): string {
  return files.length === 1 ? files[0]! : `${files.length} files`;
}

/** `3 findings: 1 error, 1 warning, 1 info (2 shown; 1 suppressed)`. */
function summary(levels: readonly Level[], suppressed: number, shownCount: number): string {
  const count = (l: Level): number => levels.filter((x) => x === l).length;
  const parts = (['Error', 'Warning', 'Info'] as const).filter((l) => count(l) > 0).map((l) => `${count(l)} ${l.toLowerCase()}${count(l) > 1 && l !== 'Info' ? 's' : ''}`);
  const notes = [
    ...(shownCount < levels.length ? [`${shownCount} shown`] : []),
    ...(suppressed > 0 ? [`${suppressed} suppressed`] : []),
  ];
  return `${levels.length} finding${levels.length === 1 ? '' : 's'}: ${parts.join(', ')}${notes.length ? ` (${notes.join('; ')})` : ''}`;
}
