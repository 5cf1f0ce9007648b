/**
 * The effective IstioOperator configuration: profile, overlay files and --set flags merged in one
 * documented order, then translated into the values the components render from. The IstioOperator checks
 * are passed in (ConfigChecks): config.ts resolves with the schema validator, prebuilt-config.ts with the
 * results the build recorded for the built-in profiles, so that a run without overlays need not load or
 * run the validator (390 KB of generated code).
 */
import { DataError, UsageError } from '../errors.js';
import { isObject, type Json, type JsonObject } from '../manifest/objects.js';
import type { SourceDocument } from '../manifest/yaml-docs.js';
import type { SourcePosition } from '../errors.js';
import { dottedPath as pathText, findNonJson } from '../manifest/json-data.js';
import { mergeOverlay, parseSetFlag, setPath, type PathStep, type SetFlag } from './tree.js';
import type { IopPathIssue, IopValidationResult } from './iop-validate.js';
import type { CrdSchemaSet } from './crds.js';
import type { ChartData } from './chart-values.js';

/** Data the renderer reads: profile documents, built-in values, the CRD schema set, injection templates. */
export interface RenderAssets {
  /** Profile name -> IstioOperator document (`profiles/<name>.yaml`, parsed). */
  profiles: Record<string, JsonObject>;
  /** Built-in default values (`manifests/values.yaml`, parsed). */
  builtinValues: JsonObject;
  /** istioctl's profile values, the charts' defaults and their profile overlays (`manifests/charts.yaml`, parsed). */
  charts: ChartData;
  /** The Istio CRD schema set (`manifests/crds/istio-crds.json`). */
  crds: CrdSchemaSet;
  /** Injection template name -> template text (`manifests/injection/<name>.tmpl`). */
  injectionTemplates: Record<string, string>;
  /**
   * Schema id -> the YAML of that schema of `crds` (crdSchemaYaml), for output that prints CRDs; absent in
   * assets put together by hand, which then emit the schemas as usual.
   */
  crdSchemaYaml?: Record<string, string>;
  /**
   * The built-in profiles' specs as the IstioOperator checks saw them, with their results (config.ts,
   * checkBuiltinSpecs); written by the build, absent otherwise. prebuilt-config.ts resolves from them.
   */
  checkedSpecs?: CheckedSpec[];
}

/** A spec the IstioOperator checks saw and what they returned for it (absent: that check did not see it). */
export interface CheckedSpec {
  spec: JsonObject;
  /** What ConfigChecks.validateSpec returned. */
  issues?: IopPathIssue[];
  /** What ConfigChecks.autoscaleWarnings returned. */
  autoscaleWarnings?: IopPathIssue[];
}

/**
 * An overlay file given with `-f`: its name as the user wrote it (`<stdin>` for `-`) and text; or,
 * from a caller that has parsed it already (`validate`), `document`, which is used instead of `text`.
 */
export interface OverlayFile {
  name: string;
  text: string;
  document?: SourceDocument;
}

/** What the user asked for: overlays, --set flags and the -r shortcut. */
export interface ConfigRequest {
  files?: readonly OverlayFile[];
  /** Raw `--set PATH=VALUE` flags, in order. */
  sets?: readonly string[];
  /** `-r/--revision`; same as `--set revision=`. */
  revision?: string;
  /** Profile to use when neither files nor flags name one (`profile dump PROFILE`). */
  profile?: string;
  /** Downgrade validation errors of the merged configuration to warnings (`--force`). */
  force?: boolean;
  /**
   * The Kubernetes git version of the cluster the configuration is for (`v1.33.5-gke.1201000`), when there is
   * one: a GKE cluster gets istioctl's GKE settings (see clusterSettings).
   */
  kubernetesGitVersion?: string;
}

/** The resolved configuration every command renders from. */
export interface MeshConfiguration {
  /** Name of the selected profile. */
  profile: string;
  /** The merged IstioOperator `spec` (built-in values included), as `profile dump` prints it. */
  spec: JsonObject;
  /** Install namespace (`spec.namespace`, else `metadata.namespace`, else `istio-system`). */
  namespace: string;
  /** Revision, `""` for the default revision. */
  revision: string;
  /** The values tree components render from (spec.values with hub, tag, revision and meshConfig folded in). */
  values: JsonObject;
  /**
   * The user's own IstioOperator spec: the `-f` files merged in order, then the `--set` flags (and `-r`),
   * without profile or built-in values; what istioctl builds before it reads the profile, for the `values` ConfigMap.
   */
  userSpec: JsonObject;
  /** Non-fatal findings, already phrased for people. */
  warnings: string[];
  /** Where the user's values came from, so that errors found later (rendering) can point at them; absent when unknown. */
  origins?: ConfigOrigins;
  /** The IstioOperator spec settings detected for the cluster (clusterSettings), between the profile and the user's; absent when none. */
  clusterSettings?: JsonObject;
}

/**
 * Returns the IstioOperator spec settings istioctl 1.30.3 derives from the cluster's Kubernetes version
 * (operator/pkg/render/manifest.go, clusterSpecificSettings), applied over the profile and under the user's
 * files and flags: on GKE (a version holding `-gke`), the CNI node agent in `kube-system`, the `gke` platform
 * and no CNI resource quota (kube-system needs none). Undefined for other clusters and without a version.
 */
export function clusterSettings(kubernetesGitVersion: string | undefined): JsonObject | undefined {
  if (!kubernetesGitVersion?.includes('-gke')) return undefined;
  return { components: { cni: { namespace: 'kube-system' } }, values: { global: { platform: 'gke' }, cni: { resourceQuotas: { enabled: false } } } };
}

/**
 * The IstioOperator checks a resolution runs (iop-validate.ts has the real ones): of each `-f` document, of the
 * merged spec before the values outside the schema are merged in (issues are errors, or warnings with `--force`),
 * and the autoscaling warnings of the spec after that.
 */
export interface ConfigChecks {
  /** Returns the documents of an overlay file's text (yaml-docs.ts parseYamlDocuments); throws DataError. */
  readOverlay(file: OverlayFile): SourceDocument[];
  /** Returns where `path` is in a document readOverlay returned (yaml-docs.ts positionOf). */
  positionOf(src: SourceDocument, path: readonly (string | number)[]): SourcePosition;
  validateOverlay(src: SourceDocument): IopValidationResult;
  validateSpec(spec: JsonObject): IopPathIssue[];
  autoscaleWarnings(spec: JsonObject): IopPathIssue[];
}

/** The user's sources of a configuration: `-f` files (parsed, in order) and `--set`/`-r` flags (in order). */
export interface ConfigOrigins {
  files: readonly { src: SourceDocument; spec: JsonObject }[];
  /** `label` is the flag as the user gave it: `--set a.b=c`, `--revision canary`. */
  sets: readonly { label: string; steps: readonly PathStep[] }[];
  /** Where a path is in one of `files` (ConfigChecks.positionOf); present when there are files. */
  positionOf?: ConfigChecks['positionOf'];
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Returns the names of the profiles in the assets, sorted. */
export function profileNames(assets: RenderAssets): string[] {
  return Object.keys(assets.profiles).sort();
}

/**
 * Resolves profile, overlays and flags into one configuration.
 *
 * Precedence, lowest first (the one place it is written in code):
 *   built-in values (manifests/values.yaml) < profiles/default.yaml < the selected profile
 *   < settings detected for the cluster (request.kubernetesGitVersion; clusterSettings)
 *   < -f files in the order given < --set flags in the order given (then -r).
 * Maps merge key by key; lists are replaced whole. Unlike istioctl, --set is applied after the
 * profile and files are merged, so `components.egressGateways[name:istio-egressgateway].enabled=true`
 * finds the profile's gateway.
 *
 * Throws UsageError for an unknown profile or malformed/invalid --set, DataError (with
 * file:line:column) for unparseable or invalid overlay files, and whatever `checks` throw.
 */
export function resolveConfigurationWith(assets: RenderAssets, request: ConfigRequest, checks: ConfigChecks): MeshConfiguration {
  const warnings: string[] = [];
  const overlays = (request.files ?? []).map((f) => loadOverlay(f, warnings, checks));
  const sets = (request.sets ?? []).map(parseSetFlag);
  const labels = sets.map((s) => `--set ${s.raw}`);
  if (request.revision !== undefined) {
    sets.push(parseSetFlag(`revision=${request.revision}`));
    labels.push(`--revision ${request.revision}`);
  }
  const origins: ConfigOrigins = {
    files: overlays.map((o) => ({ src: o.src, spec: o.spec })),
    sets: sets.map((s, i) => ({ label: labels[i]!, steps: s.steps })),
    ...(overlays.length > 0 ? { positionOf: checks.positionOf } : {}),
  };

  const profile = selectProfile(assets, overlays, sets, request.profile, checks);

  let spec: Json | undefined = { values: structuredClone(assets.builtinValues) };
  spec = mergeOverlay(spec, profileSpec(assets, 'default'));
  if (profile !== 'default') spec = mergeOverlay(spec, profileSpec(assets, profile));
  const detected = clusterSettings(request.kubernetesGitVersion);
  if (detected) spec = mergeOverlay(spec, detected);
  let userSpec: Json | undefined = {};
  let metadataNamespace: { name: string; src: SourceDocument } | undefined;
  for (const o of overlays) {
    spec = mergeOverlay(spec, o.spec);
    userSpec = mergeOverlay(userSpec, o.spec);
    if (o.namespace) metadataNamespace = { name: o.namespace, src: o.src };
  }
  const merged = spec as JsonObject;
  merged.profile = profile;
  for (const s of sets) {
    setPath(merged, s.steps, s.value);
    try {
      setPath(userSpec as JsonObject, s.steps, s.value, 'append');
    } catch {
      // A [key:value] selector may only resolve in the merged tree; the user-spec record feeds only the values ConfigMap.
    }
  }

  checkMergedSpec(merged, origins, request.force === true, warnings, checks);
  // Values outside the schema, merged in after validation as istioctl does (render.GenerateManifest).
  for (const tree of [merged, userSpec as JsonObject]) {
    if (isObject(tree.unvalidatedValues)) tree.values = mergeOverlay(isObject(tree.values) ? tree.values : {}, tree.unvalidatedValues) as JsonObject;
  }

  const revision = normalizeRevision(merged.revision, origins);
  const namespace = stringOr(merged.namespace, metadataNamespace?.name ?? profileNamespace(assets) ?? 'istio-system');
  if (!DNS1123_LABEL.test(namespace)) {
    const message = `invalid namespace "${namespace}": must be a DNS-1123 label (lower case letters, digits and "-")`;
    if (typeof merged.namespace !== 'string' || merged.namespace === '') {
      throw metadataNamespace ? new DataError(message, checks.positionOf(metadataNamespace.src, ['metadata', 'namespace'])) : new UsageError(message);
    }
    throw configErrorAt(origins, ['namespace'], message);
  }
  const values = translateToValues(merged, revision, namespace);
  // Per file the validator warns only when the file itself turns autoscaling on; the merged spec knows the profile too.
  for (const w of checks.autoscaleWarnings(merged)) if (!warnings.some((x) => x.endsWith(w.message))) warnings.push(w.message);
  return { profile, spec: merged, namespace, revision, values, userSpec: userSpec as JsonObject, warnings, origins, ...(detected ? { clusterSettings: detected } : {}) };
}

interface LoadedOverlay {
  file: string;
  src: SourceDocument;
  spec: JsonObject;
  namespace: string | undefined;
  profile: { name: string; src: SourceDocument } | undefined;
}

function loadOverlay(file: OverlayFile, warnings: string[], checks: ConfigChecks): LoadedOverlay {
  const docs = file.document ? [file.document] : checks.readOverlay(file);
  if (docs.length === 0) throw new DataError(`"${file.name}" is empty: expected an IstioOperator document`);
  if (docs.length > 1) {
    throw new DataError(`"${file.name}" holds ${docs.length} documents; one IstioOperator per file is supported`, checks.positionOf(docs[1]!, []));
  }
  const src = docs[0]!;
  const tagged = findNonJson(src.data);
  if (tagged) {
    throw new DataError(`${pathText(tagged.path)} is ${tagged.what}; an IstioOperator holds only text, numbers, true/false, null, lists and maps (quote the value, or write a list or map)`, checks.positionOf(src, tagged.path));
  }
  const result = checks.validateOverlay(src);
  for (const w of result.warnings) warnings.push(`${w.position.file}:${w.position.line}:${w.position.column}: ${w.message}`);
  if (result.errors.length > 0) {
    const [first, ...rest] = result.errors;
    const more = rest.map((e) => `\n${e.position.file}:${e.position.line}:${e.position.column}: ${e.message}`).join('');
    throw new DataError(first!.message + more, first!.position);
  }
  const data = src.data as JsonObject;
  const spec = isObject(data.spec) ? data.spec : {};
  const meta = isObject(data.metadata) ? data.metadata : {};
  const profile = typeof spec.profile === 'string' ? { name: spec.profile, src } : undefined;
  return { file: file.name, src, spec, namespace: typeof meta.namespace === 'string' ? meta.namespace : undefined, profile };
}

function selectProfile(assets: RenderAssets, overlays: LoadedOverlay[], sets: SetFlag[], fallback: string | undefined, checks: ConfigChecks): string {
  const known = profileNames(assets);
  const hint = `valid profiles: ${known.join(', ')}`;
  let chosen = fallback ?? 'default';
  if (fallback !== undefined && !known.includes(fallback)) throw new UsageError(`unknown profile "${fallback}" (${hint})`);
  for (const o of overlays) {
    if (!o.profile) continue;
    if (!known.includes(o.profile.name)) {
      throw new DataError(`unknown profile "${o.profile.name}" (${hint})`, checks.positionOf(o.profile.src, ['spec', 'profile']));
    }
    chosen = o.profile.name;
  }
  for (const s of sets) {
    if (s.path !== 'profile') continue;
    if (typeof s.value !== 'string' || !known.includes(s.value)) throw new UsageError(`unknown profile "${String(s.value)}" in --set ${s.raw} (${hint})`);
    chosen = s.value;
  }
  return chosen;
}

function profileDoc(assets: RenderAssets, name: string): JsonObject {
  const doc = assets.profiles[name];
  if (doc === undefined) throw new UsageError(`unknown profile "${name}" (valid profiles: ${profileNames(assets).join(', ')})`);
  return doc;
}

function profileSpec(assets: RenderAssets, name: string): JsonObject {
  const doc = profileDoc(assets, name);
  return isObject(doc.spec) ? doc.spec : {};
}

function profileNamespace(assets: RenderAssets): string | undefined {
  const meta = profileDoc(assets, 'default').metadata;
  return isObject(meta) && typeof meta.namespace === 'string' ? meta.namespace : undefined;
}

/**
 * Validates the merged spec. An issue at or under the path of a --set flag is blamed on the last
 * such flag and reported as a usage error (exit 64); `--force` turns issues into warnings.
 */
function checkMergedSpec(spec: JsonObject, origins: ConfigOrigins, force: boolean, warnings: string[], checks: ConfigChecks): void {
  const issues = checks.validateSpec(spec);
  if (issues.length === 0) return;
  const lines = issues.map((issue) => {
    const flag = blamedFlag(origins, issue.path);
    return flag ? `${flag}: ${issue.message}` : issue.message;
  });
  if (force) {
    for (const l of lines) warnings.push(`configuration invalid; continuing because of --force: ${l}`);
    return;
  }
  throw new UsageError(lines.join('\n'));
}

/**
 * Returns the error to show for a wrong value at `path` (relative to `spec`, as `--set` paths are):
 * a UsageError `--set <flag>: <message>` when the last flag that set the path, or a path under or over
 * it, is to blame (exit 64); else a DataError at the value's `file:line:column` in the last `-f` file
 * that sets it (exit 65); else a UsageError with the message alone (a profile or the built-in values
 * hold it, or the origins are unknown).
 */
export function configErrorAt(origins: ConfigOrigins | undefined, path: readonly (string | number)[], message: string): UsageError | DataError {
  if (!origins) return new UsageError(message);
  const flag = blamedFlag(origins, path);
  if (flag) return new UsageError(`${flag}: ${message}`);
  // The deepest match wins; a file that only shares `components` with the path is not the origin.
  let best: { src: SourceDocument; depth: number } | undefined;
  for (const file of origins.files) {
    let depth = 0;
    let node: Json | undefined = file.spec;
    for (const step of path) {
      node = Array.isArray(node) && typeof step === 'number' ? node[step]
        : isObject(node) && typeof step === 'string' && Object.hasOwn(node, step) ? node[step] : undefined;
      if (node === undefined) break;
      depth++;
    }
    if (depth >= Math.min(2, path.length) && depth > 0 && (!best || depth >= best.depth)) best = { src: file.src, depth };
  }
  return best && origins.positionOf ? new DataError(message, origins.positionOf(best.src, ['spec', ...path])) : new UsageError(message);
}

/**
 * Returns the label of the last flag whose path is `path`, lies under it or over it (a selector
 * `[key:value]` counts as any index), or undefined.
 */
function blamedFlag(origins: ConfigOrigins, path: readonly (string | number)[]): string | undefined {
  const at = dottedPath(path.map((p) => (typeof p === 'number' ? { kind: 'index' as const, index: p } : { kind: 'key' as const, key: p })));
  const flag = [...origins.sets].reverse().find((s) => {
    const own = dottedPath(s.steps);
    const under = new RegExp(`^${own.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('\\[\\*\\]', '\\[\\d+\\]')}(?:$|[.[])`);
    return under.test(at) || own.startsWith(`${at}.`) || own.startsWith(`${at}[`);
  });
  return flag?.label;
}

/** Returns a path as `a.b[0].c`; selectors count as the element they select, for comparison with issue paths. */
function dottedPath(steps: readonly PathStep[]): string {
  return steps.map((st) => (st.kind === 'key' ? `.${st.key}` : st.kind === 'index' ? `[${st.index}]` : '[*]')).join('').replace(/^\./, '');
}

function normalizeRevision(value: Json | undefined, origins: ConfigOrigins): string {
  if (value === undefined || value === null || value === '' || value === 'default') return '';
  const rev = String(value);
  if (!DNS1123_LABEL.test(rev) || rev.length > 63) {
    throw configErrorAt(origins, ['revision'], `invalid revision "${rev}": must be a DNS-1123 label (lower case letters, digits and "-")`);
  }
  return rev;
}

function stringOr(value: Json | undefined, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

/**
 * Folds the IstioOperator top-level fields into the values tree, as istioctl does before charts
 * render: hub/tag -> global.hub/tag, revision, meshConfig merged over values.meshConfig, the
 * install namespace. An explicit `values.global.hub`/`tag` wins over `spec.hub`/`tag`.
 */
function translateToValues(spec: JsonObject, revision: string, namespace: string): JsonObject {
  const values = structuredClone(isObject(spec.values) ? spec.values : {});
  const global = (isObject(values.global) ? values.global : (values.global = {})) as JsonObject;
  if (global.hub === undefined || global.hub === '') global.hub = stringOr(spec.hub, 'docker.io/istio');
  if (global.tag === undefined || global.tag === '') global.tag = spec.tag === undefined ? '1.30.3' : String(spec.tag);
  else global.tag = String(global.tag);
  // A pilot component's own hub and tag become the chart's pilot.hub / pilot.tag, over the values (as istioctl's
  // applyComponentValuesToHelmValues does); gateways read theirs from their list entry.
  const pilot = isObject(spec.components) && isObject(spec.components.pilot) ? spec.components.pilot : {};
  if (typeof pilot.hub === 'string' && pilot.hub !== '') values.pilot = { ...(isObject(values.pilot) ? values.pilot : {}), hub: pilot.hub };
  if (pilot.tag !== undefined && pilot.tag !== null && pilot.tag !== '') values.pilot = { ...(isObject(values.pilot) ? values.pilot : {}), tag: String(pilot.tag) };
  values.revision = revision;
  values.meshConfig = mergeOverlay(isObject(values.meshConfig) ? values.meshConfig : {}, isObject(spec.meshConfig) ? spec.meshConfig : {}) as JsonObject;
  if (global.istioNamespace === 'istio-system' && namespace !== 'istio-system') global.istioNamespace = namespace;
  return values;
}
