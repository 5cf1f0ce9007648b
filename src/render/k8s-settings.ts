/**
 * `components.<c>.k8s` settings, applied to the rendered objects after the components render, as
 * istioctl applies them (operator/pkg/render/postprocess.go): Deployment and pod fields, HPA,
 * PodDisruptionBudget and Service patches, then `overlays` with path patches.
 *
 * Merge semantics follow Kubernetes strategic merge for the fields involved: lists of containers,
 * env vars, volumes and volume mounts merge by `name`, Service ports by `port`; other lists are
 * replaced. Written here because no maintained JS library implements strategic merge patch.
 */
import { ConfigValueError, UsageError } from '../errors.js';
import { isObject, type Json, type JsonObject, type K8sObject } from '../manifest/objects.js';
import { mergeOverlay, parsePath, type PathStep } from './tree.js';

/** The objects one component instance rendered and its `k8s` settings. */
/** Reads YAML text into data (render.ts passes the `yaml` package's `parse`). */
export type YamlReader = (text: string) => unknown;

/** Thrown when a patch value is text to read as YAML and no reader was given (ComponentObjects.readYaml). */
export class NeedsYamlReader extends Error {
  constructor() {
    super('a k8s overlay patch value is YAML text, and no YAML reader was given');
  }
}

export interface ComponentObjects {
  /** Name of the main workload (Deployment or DaemonSet) of the component. */
  workload: string;
  /** Container in the workload the container-level settings apply to. */
  container: string;
  objects: K8sObject[];
  k8s: JsonObject;
  /** For messages: `components.pilot`, `components.ingressGateways[name:istio-ingressgateway]`. */
  path: string;
  /** The component's path in the IstioOperator spec, for errors: `['components', 'ingressGateways', 0]`. */
  specPath: readonly (string | number)[];
  /** Reads YAML text in overlay patch values; without it such a value throws NeedsYamlReader. */
  readYaml?: YamlReader;
}

/**
 * Merge keys of the lists that Kubernetes merges element by element in a strategic merge patch (the
 * `patchMergeKey` of the core types); other lists are replaced. `ports` is a Service's (key `port`) or a
 * container's (key `containerPort`), told apart by the elements.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name', initContainers: 'name', env: 'name', volumes: 'name', volumeMounts: 'mountPath', imagePullSecrets: 'name', ports: 'port',
};

function mergeKeyOf(field: string, lists: Json[][]): string | undefined {
  const key = MERGE_KEYS[field];
  if (field === 'ports' && lists.some((l) => l.some((el) => isObject(el) && 'containerPort' in el))) return 'containerPort';
  return key;
}

/**
 * Returns `base` strategically merged with `patch`, as Kubernetes' strategic merge patch does for the fields
 * involved: maps merge key by key, a null in the patch deletes, lists with a merge key (`MERGE_KEYS`) merge
 * element by element and come out in Kubernetes' order (the patch's elements in the patch's order, each base-only
 * element kept before the first patch element that the base has after it), other lists are replaced.
 */
export function strategicMerge(base: Json | undefined, patch: Json | undefined, field = ''): Json | undefined {
  if (patch === undefined) return structuredClone(base);
  if (patch === null) return undefined;
  if (isObject(base) && isObject(patch)) {
    const out: JsonObject = structuredClone(base);
    for (const [k, v] of Object.entries(patch)) {
      const merged = strategicMerge(out[k], v, k);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
    return out;
  }
  const key = Array.isArray(base) && Array.isArray(patch) ? mergeKeyOf(field, [base, patch]) : undefined;
  if (key && Array.isArray(base) && Array.isArray(patch)) return mergeList(base, patch, key);
  return structuredClone(patch);
}

/** Merges two lists of maps by `key` and orders the result as Kubernetes' strategic merge patch does. */
function mergeList(base: Json[], patch: Json[], key: string): Json[] {
  const id = (el: Json): string | undefined => (isObject(el) && el[key] !== undefined ? JSON.stringify(el[key]) : undefined);
  const baseIds = base.map(id);
  const patchIds = new Set(patch.map(id).filter((x) => x !== undefined));
  const fromPatch: Json[] = [];
  for (const item of patch) {
    const at = id(item) === undefined ? -1 : baseIds.indexOf(id(item));
    fromPatch.push(at >= 0 ? strategicMerge(base[at], item, '') as Json : structuredClone(item));
  }
  const baseOnly = base.filter((el) => !patchIds.has(id(el) as string)).map((el) => structuredClone(el));
  const serverIndex = (el: Json) => baseIds.indexOf(id(el));
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < baseOnly.length || j < fromPatch.length) {
    if (j >= fromPatch.length) out.push(baseOnly[i++]!);
    else if (i >= baseOnly.length) out.push(fromPatch[j++]!);
    else {
      const l = serverIndex(baseOnly[i]!);
      const r = serverIndex(fromPatch[j]!);
      if (l >= 0 && r >= 0 && l < r) out.push(baseOnly[i++]!);
      else out.push(fromPatch[j++]!);
    }
  }
  return out;
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

function podSpec(dep: K8sObject): JsonObject {
  const spec = dep.spec as JsonObject;
  const template = spec.template as JsonObject;
  return template.spec as JsonObject;
}

/**
 * Applies the `k8s` settings of one component to its objects, in place. Throws ConfigValueError (at
 * the overlay's path in the spec) on overlays that are malformed or match nothing.
 */
export function applyK8sSettings(c: ComponentObjects): void {
  const k = c.k8s;
  // istioctl patches the component's resource type: a Deployment, or a DaemonSet for cni and ztunnel.
  const dep = find(c.objects, 'Deployment', c.workload) ?? find(c.objects, 'DaemonSet', c.workload);
  if (dep) {
    const spec = dep.spec as JsonObject;
    const pod = podSpec(dep);
    const containers = (pod.containers as JsonObject[]);
    const container = containers.find((ct) => ct.name === c.container) ?? containers[0]!;
    // Each setting is a strategic merge patch of its field, as istioctl applies it: maps merge, lists with a
    // merge key merge by it, scalars and other lists replace.
    const patchField = (into: JsonObject, field: string, value: Json | undefined) => {
      if (value === undefined) return;
      const merged = strategicMerge(into[field], value, field);
      if (merged === undefined) delete into[field];
      else into[field] = merged;
    };
    patchField(spec, 'replicas', k.replicaCount);
    patchField(spec, 'strategy', k.strategy);
    for (const field of ['resources', 'env', 'readinessProbe', 'imagePullPolicy', 'volumeMounts'] as const) patchField(container, field, k[field]);
    for (const field of ['volumes', 'nodeSelector', 'tolerations', 'affinity', 'priorityClassName'] as const) patchField(pod, field, k[field]);
    if (k.securityContext !== undefined) pod.securityContext = strategicMerge(pod.securityContext, k.securityContext) as Json;
    if (isObject(k.podAnnotations)) {
      const meta = (spec.template as JsonObject).metadata as JsonObject;
      meta.annotations = mergeOverlay(meta.annotations, k.podAnnotations) as Json;
    }
  }
  const hpa = find(c.objects, 'HorizontalPodAutoscaler', c.workload);
  if (hpa && isObject(k.hpaSpec)) hpa.spec = strategicMerge(hpa.spec as Json, k.hpaSpec) as Json;
  const pdb = find(c.objects, 'PodDisruptionBudget', c.workload);
  if (pdb && isObject(k.podDisruptionBudget)) {
    const { selector: _ignored, ...rest } = k.podDisruptionBudget;
    const spec = strategicMerge(pdb.spec as Json, rest) as JsonObject;
    // A budget cannot have both: a maxUnavailable from the settings replaces the chart's minAvailable (as istioctl does).
    if ('maxUnavailable' in spec && 'minAvailable' in spec) delete spec.minAvailable;
    pdb.spec = spec;
  }
  const svc = find(c.objects, 'Service', c.workload);
  if (svc) {
    if (isObject(k.service)) svc.spec = strategicMerge(svc.spec as Json, k.service) as Json;
    if (isObject(k.serviceAnnotations)) svc.metadata.annotations = { ...svc.metadata.annotations, ...(k.serviceAnnotations as Record<string, string>) };
  }
  if (Array.isArray(k.overlays)) for (const [i, overlay] of k.overlays.entries()) applyOverlay(c, overlay, `${c.path}.k8s.overlays[${i}]`, [...c.specPath, 'k8s', 'overlays', i]);
}

/**
 * Applies one `overlays[]` entry: `{kind, name, apiVersion?, patches: [{path, value}]}`. A patch
 * without `value` deletes the node. Paths use the --set grammar; istioctl's `a.[key:value]` form is
 * accepted too.
 */
function applyOverlay(c: ComponentObjects, overlay: Json, where: string, at: readonly (string | number)[]): void {
  if (!isObject(overlay)) throw new ConfigValueError(`${where}: an overlay must be a map with kind, name and patches`, at);
  const target = c.objects.find((o) => o.kind === overlay.kind && o.metadata.name === overlay.name
    && (overlay.apiVersion === undefined || o.apiVersion === overlay.apiVersion));
  if (!target) {
    const names = c.objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ');
    throw new ConfigValueError(`${where}: no object ${String(overlay.kind ?? '(no kind)')}/${String(overlay.name ?? '(no name)')} in this component (it renders: ${names})`, at);
  }
  const patches = Array.isArray(overlay.patches) ? overlay.patches : [];
  for (const [i, p] of patches.entries()) {
    if (!isObject(p) || typeof p.path !== 'string') throw new ConfigValueError(`${where}.patches[${i}]: a patch needs a path`, [...at, 'patches', i]);
    const pathAt = [...at, 'patches', i, 'path'];
    let steps: OverlayStep[];
    try {
      steps = parseOverlayPath(p.path);
    } catch (e) {
      throw new ConfigValueError(`${where}.patches[${i}]: ${(e as Error).message}`, pathAt);
    }
    try {
      patchNode(target as unknown as JsonObject, steps, p.value, 'value' in p, `${where}.patches[${i}] (${p.path})`, c.readYaml);
    } catch (e) {
      throw e instanceof UsageError && !(e instanceof ConfigValueError) ? new ConfigValueError(e.message, pathAt) : e;
    }
  }
}

/**
 * Returns a patch value that is text holding a YAML map (one line with `: `, or several lines with `:`; JSON
 * text stays text) as that map, as istioctl's overlays read such values; anything else as it is.
 */
function mapFromText(value: Json | undefined, readYaml: YamlReader | undefined): Json | undefined {
  if (typeof value !== 'string') return value;
  const multiLine = value.includes('\n');
  if (!(multiLine ? value.includes(':') : value.includes(': '))) return value;
  try {
    if (isObject(JSON.parse(value))) return value;
  } catch {
    // not JSON
  }
  if (!readYaml) throw new NeedsYamlReader();
  try {
    const parsed = readYaml(value) as Json;
    return isObject(parsed) ? parsed : value;
  } catch {
    return value;
  }
}

/** A step of an overlay patch path: a `PathStep`, or `[value]` / `[:value]`, the element of a list of scalars matching `value`. */
type OverlayStep = PathStep | { kind: 'match'; pattern: string };

/**
 * Parses an overlay patch path as istioctl's overlays read it (operator/pkg/tpath): dot-separated, `\.` keeps a
 * dot in a key, a bracketed element `[N]` is an index, `[key:value]` selects the map element whose `key` equals
 * `value`, and `[value]` or `[:value]` selects the first element of a list of scalars that the regular expression
 * `value` matches (unanchored, as Go's regexp.MatchString). `a.[k:v]` and `a[k:v]` are the same.
 * Throws Error on an empty path or malformed brackets.
 */
function parseOverlayPath(path: string): OverlayStep[] {
  const steps: OverlayStep[] = [];
  const bracketed: OverlayStep[] = [];
  for (const step of parsePath(path.replaceAll('.[', '[').replace(/\[([^\]:]*|:[^\]]*)\]/g, (all, inner: string) => {
    if (/^\d+$/.test(inner)) return all;
    bracketed.push({ kind: 'match', pattern: inner.startsWith(':') ? inner.slice(1) : inner });
    return `[${MATCH_MARK}:${bracketed.length - 1}]`;
  }))) {
    steps.push(step.kind === 'select' && step.field === MATCH_MARK ? bracketed[Number(step.value)]! : step);
  }
  return steps;
}

/** Placeholder field name standing for a value match while the path goes through parsePath. */
const MATCH_MARK = '\u0000match';

function patchNode(root: JsonObject, steps: OverlayStep[], value: Json | undefined, hasValue: boolean, where: string, readYaml: YamlReader | undefined): void {
  let node: Json = root;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const last = i === steps.length - 1;
    let container: Json[] | JsonObject;
    let key: string | number;
    if (step.kind === 'key') {
      if (!isObject(node)) throw new UsageError(`${where}: cannot descend into a non-map at "${step.key}"`);
      container = node; key = step.key;
    } else if (step.kind === 'match') {
      if (!Array.isArray(node)) throw new UsageError(`${where}: expected a list before [${step.pattern}]`);
      let re: RegExp;
      try {
        re = new RegExp(step.pattern);
      } catch {
        throw new UsageError(`${where}: [${step.pattern}] is not a valid regular expression`);
      }
      container = node;
      key = node.findIndex((el) => !isObject(el) && !Array.isArray(el) && re.test(String(el)));
      if (key < 0) throw new UsageError(`${where}: no list element matching ${step.pattern}`);
    } else {
      if (!Array.isArray(node)) throw new UsageError(`${where}: expected a list before ${step.kind === 'index' ? `[${step.index}]` : `[${step.field}:${step.value}]`}`);
      container = node;
      key = step.kind === 'index' ? step.index : node.findIndex((el) => isObject(el) && String(el[step.field]) === step.value);
      if (key < 0) throw new UsageError(`${where}: no list element with ${step.kind === 'select' ? `${step.field}=${step.value}` : 'that index'}`);
    }
    if (last) {
      value = mapFromText(value, readYaml);
      if (!hasValue) {
        if (Array.isArray(container)) container.splice(key as number, 1);
        else delete container[key as string];
      } else if (Array.isArray(container)) container[key as number] = value ?? null;
      else container[key as string] = value ?? null;
      return;
    }
    let next: Json | undefined = Array.isArray(container) ? container[key as number] : container[key as string];
    if (next === undefined || next === null) {
      if (!hasValue) return;
      next = steps[i + 1]!.kind === 'key' ? {} : [];
      if (Array.isArray(container)) container[key as number] = next; else container[key as string] = next;
    }
    node = next;
  }
}
