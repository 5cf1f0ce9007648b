/**
 * Sidecar injection of one pod template, and its removal. The injection template (Go text/template,
 * the same text istiod executes from the istio-sidecar-injector ConfigMap) decides what is added;
 * this module does what istiod does around it (Istio 1.30 pkg/kube/inject: IntoObject, injectPod,
 * postProcessPod): skip rules, annotation checks, the template data, the strategic merge,
 * Prometheus merge, probe rewriting, the status annotation and container order.
 */
import { copyJson, isObject, type Json, type JsonObject } from '../manifest/objects.js';
import { parseYaml11 } from '../manifest/yaml11-data.js';
import { ambientSkipDetail } from './ambient.js';
import { parseGoBool, annotationProblems } from './annotations.js';
import type { InjectionConfig } from './config.js';
import { parseTemplate, type Template } from './gotmpl/index.js';
import { IGNORED_NAMESPACES, FOREIGN_PROXIES } from './kinds.js';
import { strategicMerge } from './merge.js';
import { applyProxyConfigAnnotation, inboundTrafficPolicyMode } from './mesh.js';
import { imageReference, proxyImageName } from './images.js';
import { DEFAULT_PROXY_ID, proxyIdsForNamespace, withoutSidecarUserMatchingApp } from './openshift.js';
import { APP_PROBERS_ENV, restoreProbes, rewriteProbes } from './probes.js';
import { canonicalQuantity } from './quantity.js';
import { TemplateDataCache, toTemplateData, type SidecarTemplateDataJson } from './template-data.js';

export const PROXY_CONTAINER = 'istio-proxy';
export const STATUS_ANNOTATION = 'sidecar.istio.io/status';
export const OVERRIDES_ANNOTATION = 'proxy.istio.io/overrides';
const PROMETHEUS_ENV = 'ISTIO_PROMETHEUS_ANNOTATIONS';
const INJECT_KEY = 'sidecar.istio.io/inject';

/** A failure to inject one workload; `path` (relative to the pod metadata/spec owner) locates the cause when known. */
export class InjectionError extends Error {
  override name = 'InjectionError';
  constructor(message: string, readonly path?: readonly (string | number)[]) {
    super(message);
  }
}

/** A ready-to-run injector: the configuration with its templates parsed once. */
export interface Injector {
  config: InjectionConfig;
  templates: ReadonlyMap<string, Template>;
  /** Use the native-sidecar layout unless a pod says otherwise (`--native-sidecar`, or what the cluster allows). */
  nativeSidecars: boolean;
  /**
   * The layout for pods already bound to a Node (`spec.nodeName`), by Node name, when the cluster's
   * Nodes decide it: istiod asks the pod's own Node first. A Node not listed falls back to `nativeSidecars`.
   */
  nativeSidecarsOnNode?: ReadonlyMap<string, boolean>;
  /** istiod's environment as templates see it through `env` (empty offline). */
  env: Readonly<Record<string, string>>;
  /**
   * The annotations of the cluster's Namespaces by name, when they were read: on OpenShift the
   * proxy's uid and gid come from the pod namespace's (src/inject/openshift.ts).
   */
  namespaces?: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /**
   * Skip the pods ambient mode captures and no injector webhook picks (src/inject/ambient.ts), as
   * kube-inject does. istiod's webhook has no such rule: the API server calls it only for the
   * pods its selectors pick.
   */
  leaveAmbientPods: boolean;
  /**
   * The labels of the Namespaces known by name (the cluster's with --from-cluster, overlaid by
   * Namespace documents of the input), for `leaveAmbientPods`.
   */
  namespaceLabels?: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** The template data every pod shares (Values, the mesh config), decoded once per injector. */
  templateData?: TemplateDataCache;
  /** Keep each template's data and output in the outcome (`runs`), for the template-equivalence tests; off by default, as it holds about 10 KB a workload. */
  keepRuns?: boolean;
}

/**
 * Returns an injector for a configuration, parsing every template once. Throws InjectionError
 * naming the template when one does not parse.
 */
export function createInjector(
  config: InjectionConfig,
  options: {
    nativeSidecars?: boolean;
    nativeSidecarsOnNode?: ReadonlyMap<string, boolean>;
    env?: Record<string, string>;
    namespaces?: ReadonlyMap<string, Readonly<Record<string, string>>>;
    leaveAmbientPods?: boolean;
    namespaceLabels?: ReadonlyMap<string, Readonly<Record<string, string>>>;
    keepRuns?: boolean;
  } = {},
): Injector {
  const templates = new Map<string, Template>();
  for (const [name, text] of Object.entries(config.templates)) {
    try {
      templates.set(name, parseTemplate(text, 'inject'));
    } catch (e) {
      throw new InjectionError(`injection template "${name}": ${(e as Error).message}`);
    }
  }
  return {
    config, templates, nativeSidecars: options.nativeSidecars ?? false, env: options.env ?? {}, leaveAmbientPods: options.leaveAmbientPods ?? false,
    templateData: new TemplateDataCache(), keepRuns: options.keepRuns ?? false,
    ...(options.nativeSidecarsOnNode ? { nativeSidecarsOnNode: options.nativeSidecarsOnNode } : {}),
    ...(options.namespaces ? { namespaces: options.namespaces } : {}),
    ...(options.namespaceLabels ? { namespaceLabels: options.namespaceLabels } : {}),
  };
}

/** A pod template as kube-inject sees it, plus the workload that owns it. */
export interface PodInput {
  /** apiVersion and kind of the workload. */
  typeMeta: { apiVersion: string; kind: string };
  /** The workload's own name and namespace (istiod's DeploymentMeta). */
  workload: { name: string; namespace: string };
  /** Pod (template) metadata and spec as JSON. */
  meta: JsonObject;
  spec: JsonObject;
}

/** Why a workload was not injected; the texts are what the report prints. */
export const SKIP_REASONS = {
  hostNetwork: 'host networking enabled',
  disabled: 'sidecar injection disabled',
  systemNamespace: 'system namespace',
  ambient: 'in ambient mode',
} as const;

/** One template execution: what went in and what came out (kept for the template-equivalence tests). */
export interface TemplateRun {
  template: string;
  data: SidecarTemplateDataJson;
  output: string;
}

/** What happened to one pod template. */
export type PodOutcome =
  | { action: 'skipped'; reason: string; detail?: string }
  | { action: 'injected'; meta: JsonObject; spec: JsonObject; warnings: string[]; runs: TemplateRun[]; previouslyInjected: boolean };

const str = (v: Json | undefined): string => (typeof v === 'string' ? v : '');
const obj = (v: Json | undefined): JsonObject => (isObject(v) ? v : {});
const list = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);
const named = (items: Json[], name: string) => items.find((c) => isObject(c) && c.name === name) as JsonObject | undefined;

/** Checks that labels/annotations hold strings only, as the Kubernetes API requires. */
function stringMap(meta: JsonObject, field: 'labels' | 'annotations'): Record<string, string> {
  const m = meta[field];
  if (m === undefined || m === null) return {};
  if (!isObject(m)) throw new InjectionError(`metadata.${field} must be a map of strings`, [field]);
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== 'string') throw new InjectionError(`metadata.${field}["${k}"] must be a string (quote it: "${String(v)}")`, [field, k]);
  }
  return m as Record<string, string>;
}

/**
 * Decides istioctl's offline skip rules, then meshctl's ambient one (src/inject/ambient.ts);
 * returns the skip outcome or undefined to inject.
 */
function skipRule(injector: Injector, input: PodInput, meta: JsonObject, spec: JsonObject, warnings: string[]): PodOutcome | undefined {
  if (spec.hostNetwork === true) return { action: 'skipped', reason: SKIP_REASONS.hostNetwork };
  const ns = str(meta.namespace);
  if (IGNORED_NAMESPACES.includes(ns)) return { action: 'skipped', reason: SKIP_REASONS.systemNamespace, detail: ns };
  const labels = stringMap(meta, 'labels');
  const annotations = stringMap(meta, 'annotations');
  // The label is the newer API and wins over the annotation of the same name.
  const fromLabel = INJECT_KEY in labels;
  const choice = fromLabel ? labels[INJECT_KEY]! : annotations[INJECT_KEY];
  if (choice !== undefined && choice !== '') {
    const lower = choice.toLowerCase();
    if (['n', 'no', 'false', 'off'].includes(lower)) {
      return { action: 'skipped', reason: SKIP_REASONS.disabled, detail: `${fromLabel ? 'label' : 'annotation'} ${INJECT_KEY}: "${choice}"` };
    }
    if (!['y', 'yes', 'true', 'on'].includes(lower)) warnings.push(`${fromLabel ? 'label' : 'annotation'} ${INJECT_KEY} has the unrecognized value "${choice}"; injecting`);
  }
  if (!injector.leaveAmbientPods) return undefined;
  const namespace = ns || input.workload.namespace || 'default';
  const enableByDefault = obj(injector.config.values.sidecarInjectorWebhook).enableNamespacesByDefault === true;
  const ambient = ambientSkipDetail(namespace, injector.namespaceLabels?.get(namespace), labels, annotations, enableByDefault);
  if (ambient !== undefined) return { action: 'skipped', reason: SKIP_REASONS.ambient, detail: ambient };
  return undefined;
}

/** The proxy image for a pod (see imageReference); the pod's proxyImageType annotation wins, even when empty. */
function proxyImage(values: JsonObject, proxyConfig: JsonObject, annotations: Record<string, string>): string {
  return imageReference(values, proxyImageName(values), proxyConfig, annotations['sidecar.istio.io/proxyImageType']);
}

/** Prometheus' label-name sanitizing: every character outside [a-zA-Z0-9_] becomes "_" (one for one, so the length stays). */
const sanitize = (k: string) => k.replace(/[^a-zA-Z0-9_]/g, '_');

function prometheusAnnotation(annotations: Record<string, string>, which: 'scrape' | 'port' | 'path'): string | undefined {
  const want = `prometheus_io_${which}`;
  // The length test first: sanitizing every annotation key of every pod showed in large runs.
  for (const [k, v] of Object.entries(annotations)) if (k.length === want.length && sanitize(k) === want) return v;
  return undefined;
}

/** True for a key that sanitizes to prometheus_io_scrape, _port or _path (18 or 20 characters). */
const isPrometheusKey = (k: string): boolean => (k.length === 18 || k.length === 20) && /^prometheus_io_(scrape|port|path)$/.test(sanitize(k));

/** Applies Istio's metrics merge: the app's prometheus.io annotations move to the sidecar env and point at the agent. */
function applyPrometheusMerge(annotations: Record<string, string>, proxy: JsonObject | undefined, mesh: JsonObject): void {
  const scrapeValue = prometheusAnnotation(annotations, 'scrape');
  const scrape = scrapeValue === undefined ? true : parseGoBool(scrapeValue) ?? true;
  let merge = true;
  const asked = annotations['prometheus.istio.io/merge-metrics'];
  if (asked !== undefined && parseGoBool(asked) !== undefined) merge = parseGoBool(asked)!;
  else if (typeof mesh.enablePrometheusMerge === 'boolean') merge = mesh.enablePrometheusMerge;
  if (!scrape || !merge) return;
  const target = String(obj(mesh.defaultConfig).statusPort ?? 15020);
  if (prometheusAnnotation(annotations, 'port') === target) return;
  const cfg = { scrape: prometheusAnnotation(annotations, 'scrape') ?? '', path: prometheusAnnotation(annotations, 'path') ?? '', port: prometheusAnnotation(annotations, 'port') ?? '' };
  if (proxy && (cfg.scrape || cfg.path || cfg.port)) {
    proxy.env = [...list(proxy.env), { name: PROMETHEUS_ENV, value: JSON.stringify(cfg) }];
  }
  for (const k of Object.keys(annotations)) if (isPrometheusKey(k)) delete annotations[k];
  annotations['prometheus.io/port'] = target;
  annotations['prometheus.io/path'] = '/stats/prometheus';
  annotations['prometheus.io/scrape'] = 'true';
}

/** Moves a named container first or last (istiod's modifyContainers: of several with the name, the last one stays). */
function moveContainer(items: Json[], name: string, where: 'first' | 'last'): Json[] {
  const isIt = (c: Json) => isObject(c) && c.name === name;
  const found = items.filter(isIt).at(-1);
  if (found === undefined) return items;
  const rest = items.filter((c) => !isIt(c));
  return where === 'first' ? [found, ...rest] : [...rest, found];
}

function statusList(spec: JsonObject, field: string): string[] | null {
  const names = list(spec[field]).map((c) => str(obj(c).name));
  return names.length ? names : null;
}

/** Kubernetes drops these when zero (omitempty int32 fields of a probe). */
const PROBE_INTS = ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold', 'terminationGracePeriodSeconds'];

/** Normalizes an injected container as the round trip through corev1.Container does: canonical quantities, no zero probe fields, no empty env values. */
function normalizeInjected(c: JsonObject): void {
  const resources = c.resources;
  if (isObject(resources)) {
    for (const part of ['limits', 'requests']) {
      const q = resources[part];
      if (!isObject(q)) continue;
      for (const [k, v] of Object.entries(q)) {
        if (typeof v === 'string') q[k] = canonicalQuantity(v);
        else if (typeof v === 'number') q[k] = canonicalQuantity(String(v));
      }
    }
  }
  for (const field of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
    const p = c[field];
    if (isObject(p)) for (const k of PROBE_INTS) if (p[k] === 0) delete p[k];
  }
  if (Array.isArray(c.env)) {
    for (const e of c.env) if (isObject(e) && e.value === '') delete e.value;
  }
  for (const k of ['args', 'command', 'imagePullPolicy']) {
    const v = c[k];
    if (v === '' || (Array.isArray(v) && v.length === 0)) delete c[k];
  }
}

/**
 * Injects the sidecar into one pod template and returns the new metadata and spec (fresh objects;
 * the input is not modified), or why it was skipped. As istiod does (Istio 1.30.3
 * pkg/kube/inject injectPod, RunTemplate), the templates see the pod without what a previous
 * injection added (the containers `sidecar.istio.io/status` lists, the overridden containers put
 * back from `proxy.istio.io/overrides`), while their output merges onto the pod as it is, so
 * re-injecting an injected pod updates it in place. Throws InjectionError for invalid annotations,
 * another mesh's proxy, unknown templates and template failures.
 */
export function injectPod(injector: Injector, input: PodInput): PodOutcome {
  const { config } = injector;
  const warnings: string[] = [];
  if (input.spec.hostNetwork === true) return { action: 'skipped', reason: SKIP_REASONS.hostNetwork };
  for (const c of [...list(input.spec.initContainers), ...list(input.spec.containers)]) {
    const foreign = FOREIGN_PROXIES.find((f) => isObject(c) && c.name === f.container);
    if (foreign) throw new InjectionError(`the pod already runs ${foreign.mesh}'s proxy (container "${foreign.container}"); one pod cannot be in two meshes: ${foreign.remedy} first`, ['spec']);
  }
  const meta = copyJson(input.meta);
  let spec = copyJson(input.spec);
  const skip = skipRule(injector, input, meta, spec, warnings);
  if (skip) return skip;
  const annotations = stringMap(meta, 'annotations');
  stringMap(meta, 'labels');
  const problems = annotationProblems(annotations);
  if (problems.length) throw new InjectionError(problems.map((p) => p.message).join('; '), ['annotations', problems[0]!.annotation]);
  const previousStatus = parseStatus(annotations[STATUS_ANNOTATION]);
  const previouslyInjected = previousStatus !== undefined;

  let mesh = config.mesh;
  const proxyConfigAnnotation = annotations['proxy.istio.io/config'];
  if (proxyConfigAnnotation !== undefined) {
    try {
      mesh = applyProxyConfigAnnotation(mesh, proxyConfigAnnotation);
    } catch (e) {
      throw new InjectionError((e as Error).message, ['annotations', 'proxy.istio.io/config']);
    }
  }
  const proxyConfig = obj(mesh.defaultConfig);
  const values = config.values;
  // istiod's PLATFORM, which the chart sets from global.platform (else platform).
  const platform = str(obj(values.global).platform) || str(values.platform);
  let proxyIds = { uid: DEFAULT_PROXY_ID, gid: DEFAULT_PROXY_ID };
  if (platform === 'openshift') {
    spec = withoutSidecarUserMatchingApp(spec);
    proxyIds = proxyIdsForNamespace(injector.namespaces?.get(str(meta.namespace) || input.workload.namespace || 'default'));
  }
  // The pod as istiod receives it: what the user's own containers customize is read from here.
  const original: PodInput = { ...input, spec: copyJson(spec) };
  const statusPort = String(proxyConfig.statusPort ?? 15020);
  const overrides = parseOverrides(annotations[OVERRIDES_ANNOTATION]);
  const view = templateView(meta, spec, previousStatus, overrides, statusPort);
  const nativeSidecars = injector.nativeSidecarsOnNode?.get(str(spec.nodeName)) ?? injector.nativeSidecars;

  const data: SidecarTemplateDataJson = {
    TypeMeta: { apiVersion: input.typeMeta.apiVersion, kind: input.typeMeta.kind },
    DeploymentMeta: { Namespace: input.workload.namespace, Name: input.workload.name },
    ObjectMeta: view.meta,
    Spec: view.spec,
    ProxyConfig: proxyConfig,
    MeshConfig: mesh,
    Values: values,
    Revision: config.revision,
    NativeSidecars: nativeSidecars,
    ProxyImage: proxyImage(values, proxyConfig, stringMap(view.meta, 'annotations')),
    ProxyUID: proxyIds.uid,
    ProxyGID: proxyIds.gid,
    InboundTrafficPolicyMode: inboundTrafficPolicyMode(mesh),
    CompliancePolicy: '',
  };
  const goData = toTemplateData(data, injector.templateData);
  // The pod's own choice wins over the injector's when it is exactly "true" or "false".
  const nativeChoice = annotations['sidecar.istio.io/nativeSidecar'];
  const native = nativeChoice === 'true' ? true : nativeChoice === 'false' ? false : nativeSidecars;

  const runs: TemplateRun[] = [];
  let templatePod: JsonObject = {};
  let merged: JsonObject = { metadata: meta, spec };
  for (const name of selectTemplates(config, annotations)) {
    const template = injector.templates.get(name);
    if (!template) throw new InjectionError(`requested injection template "${name}" not found; have ${[...injector.templates.keys()].sort().join(', ')}`);
    let output: string;
    try {
      output = template.execute(goData, { env: injector.env });
    } catch (e) {
      throw new InjectionError(`injection template "${name}": ${(e as Error).message}`);
    }
    if (injector.keepRuns) runs.push({ template: name, data, output });
    let fragment: unknown;
    try {
      // istiod reads the output with a YAML 1.1 reader (sigs.k8s.io/yaml).
      fragment = parseYaml11(output);
    } catch (e) {
      throw new InjectionError(`injection template "${name}" printed invalid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
    if (fragment === null || fragment === undefined) continue;
    if (!isObject(fragment)) throw new InjectionError(`injection template "${name}" must print a pod (a YAML map with metadata and spec)`);
    templatePod = strategicMerge(templatePod, fragment);
    // A native sidecar lives in initContainers while the user's customization of it sits in
    // containers: move the user's container over, so that the template's merges into it.
    const mergedSpec = obj(merged.spec);
    if (native && named(list(obj(templatePod.spec).initContainers), PROXY_CONTAINER) && named(list(mergedSpec.containers), PROXY_CONTAINER)) {
      const moving = named(list(mergedSpec.containers), PROXY_CONTAINER)!;
      merged = {
        ...merged,
        spec: { ...mergedSpec, containers: list(mergedSpec.containers).filter((c) => c !== moving), initContainers: [...list(mergedSpec.initContainers), moving] },
      };
    }
    merged = strategicMerge(merged, fragment);
  }

  const outMeta = obj(merged.metadata);
  const outSpec = obj(merged.spec);
  const templateSpec = obj(templatePod.spec);
  const injectedNames = new Set([...list(templateSpec.containers), ...list(templateSpec.initContainers)].map((c) => str(obj(c).name)));
  reapplyOverrides(outSpec, outMeta, original, templateSpec, previousStatus, overrides);
  for (const field of ['containers', 'initContainers']) {
    for (const c of list(outSpec[field])) if (isObject(c) && injectedNames.has(str(c.name))) normalizeInjected(c);
  }
  adjustInitContainerUser(outSpec, outMeta, original.spec, proxyConfig);

  // postProcessPod: cluster/network env, Prometheus merge, probe rewrite, metadata, container order.
  const outAnnotations = { ...obj(outMeta.annotations) } as Record<string, string>;
  const outLabels = { ...obj(outMeta.labels) } as Record<string, string>;
  const proxy = named(list(outSpec.containers), PROXY_CONTAINER) ?? named(list(outSpec.initContainers), PROXY_CONTAINER);
  const global = obj(values.global);
  const cluster = str(obj(global.multiCluster).clusterName);
  let network = str(global.network);
  if ('topology.istio.io/network' in outLabels) network = outLabels['topology.istio.io/network']!;
  const clusterEnv: Record<string, string> = {};
  if (cluster) clusterEnv.ISTIO_META_CLUSTER_ID = cluster;
  if (network) clusterEnv.ISTIO_META_NETWORK = network;
  if (proxy && Object.keys(clusterEnv).length) {
    const kept = list(proxy.env).filter((e) => !(str(obj(e).name) in clusterEnv));
    proxy.env = [...kept, ...Object.keys(clusterEnv).sort().map((name) => ({ name, value: clusterEnv[name]! }))];
  }
  applyPrometheusMerge(outAnnotations, proxy, mesh);
  // Read from the merged pod, as istiod's applyRewrite does: a template may turn the rewrite off
  // (grpc-agent has no Envoy to answer rewritten probes).
  const rewriteSetting = outAnnotations['sidecar.istio.io/rewriteAppHTTPProbers'];
  const rewrite = rewriteSetting !== undefined && parseGoBool(rewriteSetting) !== undefined
    ? parseGoBool(rewriteSetting)!
    : obj(values.sidecarInjectorWebhook).rewriteAppHTTPProbe !== false;
  if (proxy && rewrite) {
    const rewritePort = Number(annotations['status.sidecar.istio.io/port'] ?? proxyConfig.statusPort ?? 15020);
    const appContainers = [...list(outSpec.initContainers), ...list(outSpec.containers)].filter(isObject);
    const { probers } = rewriteProbes(appContainers, rewritePort, Number(statusPort));
    if (probers) proxy.env = mergeProbers(previouslyInjected, list(proxy.env), probers);
  }
  if (network) outLabels['topology.istio.io/network'] = network;
  outAnnotations[STATUS_ANNOTATION] = JSON.stringify({
    initContainers: statusList(templateSpec, 'initContainers'),
    containers: statusList(templateSpec, 'containers'),
    volumes: statusList(templateSpec, 'volumes'),
    imagePullSecrets: statusList(templateSpec, 'imagePullSecrets'),
    revision: config.revision || 'default',
  });
  for (const [k, v] of Object.entries(config.injectedAnnotations)) outAnnotations[k] = v;
  if (Object.keys(outLabels).length) outMeta.labels = outLabels;
  outMeta.annotations = outAnnotations;

  reorder(outSpec, mesh, values);
  if ((input.typeMeta.kind === 'Job' || input.typeMeta.kind === 'CronJob') && named(list(outSpec.containers), PROXY_CONTAINER)) {
    warnings.push('a classic sidecar keeps running after the job\'s containers exit, so the job never completes; use --native-sidecar (Kubernetes 1.29+) or the annotation sidecar.istio.io/nativeSidecar: "true"');
  }
  return { action: 'injected', meta: outMeta, spec: outSpec, warnings, runs, previouslyInjected };
}

/**
 * Adds the recorded probes to the proxy's env (istiod's mergeOrAppendProbers): on a pod injected
 * before, the existing record is merged with the new one, its entries winning, keys sorted.
 */
function mergeProbers(previouslyInjected: boolean, env: Json[], probers: Record<string, JsonObject>): Json[] {
  const at = env.findIndex((e) => isObject(e) && e.name === APP_PROBERS_ENV);
  if (!previouslyInjected || at < 0) return [...env, { name: APP_PROBERS_ENV, value: JSON.stringify(probers) }];
  let existing: unknown;
  try {
    existing = JSON.parse(str(obj(env[at]).value));
  } catch {
    return env;
  }
  if (!isObject(existing)) return env;
  const all: JsonObject = { ...probers, ...existing };
  const sorted: JsonObject = {};
  for (const k of Object.keys(all).sort()) sorted[k] = all[k]!;
  return env.map((e, i) => (i === at ? { name: APP_PROBERS_ENV, value: JSON.stringify(sorted) } : e));
}

/**
 * What `sidecar.istio.io/status` says a previous injection added; undefined when the pod has no
 * such annotation. A value that is not JSON marks the pod as injected before but names nothing
 * (`valid` false), as istiod treats it.
 */
interface PreviousStatus { valid: boolean; containers: string[]; initContainers: string[] }

function parseStatus(text: string | undefined): PreviousStatus | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!isObject(parsed)) return { valid: false, containers: [], initContainers: [] };
  const names = (v: Json | undefined) => list(v).filter((x): x is string => typeof x === 'string');
  return { valid: true, containers: names(parsed.containers), initContainers: names(parsed.initContainers) };
}

/**
 * The pod as the templates see it (istiod's stripPod and reinsertOverrides): without the containers
 * a previous injection listed, without the Prometheus annotations it pointed at the agent and
 * without its status annotation; containers recorded as overrides are put back where missing.
 */
function templateView(meta: JsonObject, spec: JsonObject, status: PreviousStatus | undefined, overrides: Overrides, statusPort: string): { meta: JsonObject; spec: JsonObject } {
  const vMeta = copyJson(meta);
  const vSpec = copyJson(spec);
  if (status?.valid) {
    const drop = (field: 'containers' | 'initContainers', names: string[]) => {
      if (Array.isArray(vSpec[field])) vSpec[field] = list(vSpec[field]).filter((c) => !(isObject(c) && names.includes(str(c.name))));
    };
    drop('containers', status.containers);
    drop('initContainers', status.initContainers);
    const annotations = obj(vMeta.annotations) as Record<string, string>;
    if (prometheusAnnotation(annotations, 'port') === statusPort) {
      for (const k of Object.keys(annotations)) if (isPrometheusKey(k)) delete annotations[k];
    }
    delete annotations[STATUS_ANNOTATION];
  }
  for (const field of ['containers', 'initContainers'] as const) {
    for (const c of overrides[field]) if (!named(list(vSpec[field]), str(c.name))) vSpec[field] = [...list(vSpec[field]), c];
  }
  return { meta: vMeta, spec: vSpec };
}

function selectTemplates(config: InjectionConfig, annotations: Record<string, string>): string[] {
  const asked = annotations['inject.istio.io/templates'];
  const names = asked !== undefined ? asked.split(',').map((s) => s.trim()) : config.defaultTemplates;
  return names.flatMap((n) => config.aliases[n] ?? [n]);
}

interface Overrides { containers: JsonObject[]; initContainers: JsonObject[] }

function parseOverrides(text: string | undefined): Overrides {
  if (text === undefined) return { containers: [], initContainers: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InjectionError(`annotation ${OVERRIDES_ANNOTATION} is not valid JSON`, ['annotations', OVERRIDES_ANNOTATION]);
  }
  const o = isObject(parsed) ? parsed : {};
  return { containers: list(o.containers).filter(isObject), initContainers: list(o.initContainers).filter(isObject) };
}

/**
 * istiod's reapplyOverwrittenContainers: a container of the original pod with the name of one the
 * templates inject customizes it. It is merged over the injected one (image "auto" meaning "keep
 * the injected image"), looked up among the recorded overrides first, then in the pod (regular
 * containers before init containers, so that a user's istio-proxy customizes the native sidecar),
 * and recorded in proxy.istio.io/overrides on first injection. Containers a previous injection
 * added (per its status) are not overrides.
 */
function reapplyOverrides(outSpec: JsonObject, outMeta: JsonObject, original: PodInput, templateSpec: JsonObject, status: PreviousStatus | undefined, saved: Overrides): void {
  const found: Overrides = { containers: [], initContainers: [] };
  for (const field of ['containers', 'initContainers'] as const) {
    for (const injected of list(templateSpec[field])) {
      const name = str(obj(injected).name);
      if (status?.[field].includes(name)) continue;
      const user = named(saved[field], name)
        ?? (field === 'containers' ? named(list(original.spec.containers), name)
          : named(list(original.spec.containers), name) ?? named(list(original.spec.initContainers), name));
      if (!user) continue;
      const overlay = structuredClone(user);
      if (overlay.image === 'auto') delete overlay.image;
      normalizeInjected(overlay);
      found[field].push(overlay);
      outSpec[field] = list(outSpec[field]).map((c) => (isObject(c) && c.name === name ? strategicMerge(c, overlay) : c));
    }
  }
  if (status === undefined && (found.containers.length || found.initContainers.length)) {
    const record: JsonObject = {};
    if (found.containers.length) record.containers = found.containers;
    if (found.initContainers.length) record.initContainers = found.initContainers;
    outMeta.annotations = { ...obj(outMeta.annotations), [OVERRIDES_ANNOTATION]: JSON.stringify(record) };
  }
}

const securityField = (c: JsonObject | undefined, field: 'runAsUser' | 'runAsGroup'): Json | undefined => {
  const sc = c?.securityContext;
  return isObject(sc) ? sc[field] : undefined;
};

/**
 * istiod's adjustInitContainerUser: when the user's own istio-proxy sets runAsUser/runAsGroup, the
 * traffic setup follows it. istio-init's `-u` becomes that uid (never 0); istio-validation runs as
 * that user and group; in TPROXY mode the proxy itself must keep uid 0 and nothing else changes.
 */
function adjustInitContainerUser(outSpec: JsonObject, outMeta: JsonObject, originalSpec: JsonObject, proxyConfig: JsonObject): void {
  const user = named(list(originalSpec.containers), PROXY_CONTAINER) ?? named(list(originalSpec.initContainers), PROXY_CONTAINER);
  const runAsUser = securityField(user, 'runAsUser');
  const runAsGroup = securityField(user, 'runAsGroup');
  if (!user || ((runAsUser === undefined || runAsUser === null) && (runAsGroup === undefined || runAsGroup === null))) return;
  const inits = list(outSpec.initContainers);
  const init = named(inits, 'istio-init') ?? named(inits, 'istio-validation');
  if (!init) return;
  const tproxy = proxyConfig.interceptionMode === 'TPROXY' || obj(outMeta.annotations)['sidecar.istio.io/interceptionMode'] === 'TPROXY';
  if (tproxy && runAsUser !== undefined && runAsUser !== null) {
    const proxy = named(list(outSpec.containers), PROXY_CONTAINER) ?? named(list(outSpec.initContainers), PROXY_CONTAINER);
    if (proxy) proxy.securityContext = { ...obj(proxy.securityContext), runAsUser: 0 };
  }
  if (!tproxy && init.name === 'istio-validation') {
    const sc = { ...obj(init.securityContext) };
    if (runAsUser !== undefined && runAsUser !== null) sc.runAsUser = runAsUser;
    if (runAsGroup !== undefined && runAsGroup !== null) sc.runAsGroup = runAsGroup;
    init.securityContext = sc;
  }
  if (typeof runAsUser !== 'number' || runAsUser === 0) return;
  const args = list(init.args);
  const at = args.indexOf('-u');
  if (at >= 0 && at + 1 < args.length) init.args = args.map((a, i) => (i === at + 1 ? String(runAsUser) : a));
}

/** istiod's reorderPod: the proxy last (first when holding the application), init containers in their fixed places. */
function reorder(spec: JsonObject, mesh: JsonObject, values: JsonObject): void {
  // holdApplicationUntilProxyStarts is a BoolValue in the mesh config (a bare boolean in protobuf JSON).
  const holdPod = obj(mesh.defaultConfig).holdApplicationUntilProxyStarts === true
    || obj(obj(values.global).proxy).holdApplicationUntilProxyStarts === true;
  if (Array.isArray(spec.containers)) spec.containers = moveContainer(spec.containers, PROXY_CONTAINER, holdPod ? 'first' : 'last');
  let init = list(spec.initContainers);
  if (!spec.initContainers) return;
  if (named(init, PROXY_CONTAINER)) {
    init = moveContainer(init, 'enable-core-dump', 'first');
    init = moveContainer(init, PROXY_CONTAINER, 'first');
    init = moveContainer(init, 'istio-validation', 'first');
    init = moveContainer(init, 'istio-init', 'first');
  } else {
    init = moveContainer(init, 'istio-validation', 'first');
    init = moveContainer(init, 'istio-init', 'last');
    init = moveContainer(init, 'enable-core-dump', 'last');
  }
  spec.initContainers = init;
}

/** Labels injection sets, in the order it adds them (uninject removes only a trailing run in this order). */
const INJECTED_LABELS = ['security.istio.io/tlsMode', 'networking.istio.io/tunnel', 'service.istio.io/canonical-name', 'service.istio.io/canonical-revision', 'topology.istio.io/network'];
/** Annotations injection sets, in the order it adds them. */
const INJECTED_ANNOTATIONS = [
  'istio.io/rev', 'kubectl.kubernetes.io/default-logs-container', 'kubectl.kubernetes.io/default-container',
  // The grpc-agent and grpc-simple templates turn the probe rewrite off.
  'sidecar.istio.io/rewriteAppHTTPProbers',
  'k8s.v1.cni.cncf.io/networks', 'sidecar.istio.io/interceptionMode',
  'traffic.sidecar.istio.io/includeOutboundIPRanges', 'traffic.sidecar.istio.io/excludeOutboundIPRanges',
  'traffic.sidecar.istio.io/includeInboundPorts', 'traffic.sidecar.istio.io/excludeInboundPorts',
  'traffic.sidecar.istio.io/includeOutboundPorts', 'traffic.sidecar.istio.io/excludeOutboundPorts',
  'traffic.sidecar.istio.io/kubevirtInterfaces', 'istio.io/reroute-virtual-interfaces', 'traffic.sidecar.istio.io/excludeInterfaces',
  OVERRIDES_ANNOTATION, 'prometheus.io/port', 'prometheus.io/path', 'prometheus.io/scrape', STATUS_ANNOTATION,
];

/**
 * Removes the trailing run of `managed` keys that appear in `managed`'s order. Injection appends
 * its keys after the user's, in that order, so a key of the same name that comes before the run
 * (or out of order) was the user's and stays.
 */
function removeInjectedSuffix(map: Record<string, string>, managed: readonly string[]): Record<string, string> {
  const keys = Object.keys(map);
  let cut = keys.length;
  let lastRank = Infinity;
  for (let i = keys.length - 1; i >= 0; i--) {
    const rank = managed.indexOf(keys[i]!);
    if (rank < 0 || rank >= lastRank) break;
    lastRank = rank;
    cut = i;
  }
  const out: Record<string, string> = {};
  for (const k of keys.slice(0, cut)) out[k] = map[k]!;
  return out;
}

/** Result of removing an injection from a pod template. */
export interface Uninjected {
  meta: JsonObject;
  spec: JsonObject;
  /** Where the result is equal in meaning but may differ in form from the original. */
  notes: string[];
}

/**
 * Removes what injection recorded in `sidecar.istio.io/status`: the listed containers, init
 * containers, volumes and image pull secrets, the rewritten probes (restored from
 * ISTIO_KUBE_APP_PROBERS), the Prometheus annotations (restored from ISTIO_PROMETHEUS_ANNOTATIONS),
 * and the labels and annotations injection appended. Returns fresh objects. Throws
 * InjectionError when the status annotation is not valid JSON.
 */
export function uninjectPod(metaIn: JsonObject, specIn: JsonObject): Uninjected {
  const meta = copyJson(metaIn);
  const spec = copyJson(specIn);
  const notes: string[] = [];
  const annotations = obj(meta.annotations) as Record<string, string>;
  let status: JsonObject;
  try {
    const parsed: unknown = JSON.parse(annotations[STATUS_ANNOTATION] ?? '');
    status = isObject(parsed) ? parsed : {};
  } catch {
    throw new InjectionError(`annotation ${STATUS_ANNOTATION} is not valid JSON`, ['annotations', STATUS_ANNOTATION]);
  }
  const names = (field: string) => new Set(list(status[field]).map(String));
  const proxy = named(list(spec.containers), PROXY_CONTAINER) ?? named(list(spec.initContainers), PROXY_CONTAINER);
  const proxyEnv = new Map(list(proxy?.env).filter(isObject).map((e) => [str(e.name), str(e.value)]));

  const drop = (field: string, which: Set<string>) => {
    if (!Array.isArray(spec[field])) return;
    spec[field] = (spec[field] as Json[]).filter((c) => !(isObject(c) && which.has(str(c.name))));
  };
  drop('containers', names('containers'));
  drop('initContainers', names('initContainers'));
  drop('volumes', names('volumes'));
  drop('imagePullSecrets', names('imagePullSecrets'));

  const overrides = parseOverrides(annotations[OVERRIDES_ANNOTATION]);
  for (const [recorded, saved] of [['containers', overrides.containers], ['initContainers', overrides.initContainers]] as const) {
    for (const c of saved) {
      // With native sidecars a user's istio-proxy from `containers` is recorded among the init
      // containers (it customized the native sidecar); without restartPolicy Always it was a regular one.
      const field = recorded === 'initContainers' && c.name === PROXY_CONTAINER && c.restartPolicy !== 'Always' ? 'containers' : recorded;
      // The record leaves out an image of "auto" (istiod's), and a container always has an image.
      spec[field] = [...list(spec[field]), c.image === undefined ? { name: c.name ?? null, image: 'auto', ...c } : c];
      notes.push(`container "${str(c.name)}" restored from ${OVERRIDES_ANNOTATION}`);
    }
  }

  const probersText = proxyEnv.get(APP_PROBERS_ENV);
  if (probersText) {
    let probers: unknown;
    try {
      probers = JSON.parse(probersText);
    } catch {
      probers = undefined;
    }
    if (isObject(probers)) {
      const containers = [...list(spec.initContainers), ...list(spec.containers)].filter(isObject);
      notes.push(...restoreProbes(containers, probers));
    }
  }

  let kept = removeInjectedSuffix(annotations, INJECTED_ANNOTATIONS);
  const promText = proxyEnv.get(PROMETHEUS_ENV);
  if (promText) {
    try {
      const saved: unknown = JSON.parse(promText);
      if (isObject(saved)) {
        for (const k of ['scrape', 'path', 'port'] as const) {
          const v = saved[k];
          if (typeof v === 'string' && v !== '') kept[`prometheus.io/${k}`] = v;
        }
      }
    } catch {
      notes.push(`${PROMETHEUS_ENV} is not valid JSON; prometheus.io annotations not restored`);
    }
  }
  delete kept[STATUS_ANNOTATION];
  delete kept[OVERRIDES_ANNOTATION];
  if (meta.annotations !== undefined) meta.annotations = kept;
  kept = removeInjectedSuffix(obj(meta.labels) as Record<string, string>, INJECTED_LABELS);
  if (meta.labels !== undefined) meta.labels = kept;
  return { meta, spec, notes };
}
