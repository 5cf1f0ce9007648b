/**
 * `components.<c>.k8s` settings, applied to the rendered objects after the components render, as
 * istioctl applies them (operator/pkg/render/postprocess.go): Deployment and pod fields, HPA,
 * PodDisruptionBudget and Service patches, then `overlays` with path patches.
 *
 * Merge semantics follow Kubernetes strategic merge for the fields involved: lists of containers,
 * env vars, volumes and volume mounts merge by `name`, Service ports by `port`; other lists are
 * replaced. Written here because no maintained JS library implements strategic merge patch.
 */
import { DataError, UsageError } from '../errors.js';
import { isObject, type Json, type JsonObject, type K8sObject } from '../manifest/objects.js';
import { mergeOverlay, parsePath, type PathStep } from './tree.js';

/** The objects one component instance rendered and its `k8s` settings. */
export interface ComponentObjects {
  /** Name of the main workload (Deployment) of the component. */
  workload: string;
  /** Container in the workload the container-level settings apply to. */
  container: string;
  objects: K8sObject[];
  k8s: JsonObject;
  /** For messages: `components.pilot`, `components.ingressGateways[name:istio-ingressgateway]`. */
  path: string;
}

const MERGE_KEYS: Record<string, string> = { containers: 'name', initContainers: 'name', env: 'name', volumes: 'name', volumeMounts: 'name', ports: 'port', imagePullSecrets: 'name' };

/** Returns `base` strategically merged with `patch` (lists of known keys merge by their key). */
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
  const key = MERGE_KEYS[field];
  if (key && Array.isArray(base) && Array.isArray(patch)) {
    const out = structuredClone(base);
    for (const item of patch) {
      const idx = isObject(item) ? out.findIndex((el) => isObject(el) && el[key] === item[key]) : -1;
      if (idx >= 0) out[idx] = strategicMerge(out[idx], item, '') as Json;
      else out.push(structuredClone(item));
    }
    return out;
  }
  return structuredClone(patch);
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

function podSpec(dep: K8sObject): JsonObject {
  const spec = dep.spec as JsonObject;
  const template = spec.template as JsonObject;
  return template.spec as JsonObject;
}

/** Applies the `k8s` settings of one component to its objects, in place. Throws UsageError on overlays that match nothing. */
export function applyK8sSettings(c: ComponentObjects): void {
  const k = c.k8s;
  const dep = find(c.objects, 'Deployment', c.workload);
  if (dep) {
    const spec = dep.spec as JsonObject;
    const pod = podSpec(dep);
    const containers = (pod.containers as JsonObject[]);
    const container = containers.find((ct) => ct.name === c.container) ?? containers[0]!;
    if (k.replicaCount !== undefined) spec.replicas = k.replicaCount;
    if (k.strategy !== undefined) spec.strategy = strategicMerge(spec.strategy, k.strategy) as Json;
    if (k.resources !== undefined) container.resources = k.resources;
    if (k.env !== undefined) container.env = strategicMerge(container.env, k.env, 'env') as Json;
    if (k.readinessProbe !== undefined) container.readinessProbe = k.readinessProbe;
    if (k.imagePullPolicy !== undefined) container.imagePullPolicy = k.imagePullPolicy;
    if (k.volumeMounts !== undefined) container.volumeMounts = strategicMerge(container.volumeMounts, k.volumeMounts, 'volumeMounts') as Json;
    if (k.volumes !== undefined) pod.volumes = strategicMerge(pod.volumes, k.volumes, 'volumes') as Json;
    for (const field of ['nodeSelector', 'tolerations', 'affinity', 'priorityClassName'] as const) {
      if (k[field] !== undefined) pod[field] = k[field]!;
    }
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
    pdb.spec = strategicMerge(pdb.spec as Json, rest) as Json;
  }
  const svc = find(c.objects, 'Service', c.workload);
  if (svc) {
    if (isObject(k.service)) svc.spec = strategicMerge(svc.spec as Json, k.service) as Json;
    if (isObject(k.serviceAnnotations)) svc.metadata.annotations = { ...svc.metadata.annotations, ...(k.serviceAnnotations as Record<string, string>) };
  }
  if (Array.isArray(k.overlays)) for (const [i, overlay] of k.overlays.entries()) applyOverlay(c, overlay, `${c.path}.k8s.overlays[${i}]`);
}

/**
 * Applies one `overlays[]` entry: `{kind, name, apiVersion?, patches: [{path, value}]}`. A patch
 * without `value` deletes the node. Paths use the --set grammar; istioctl's `a.[key:value]` form is
 * accepted too.
 */
function applyOverlay(c: ComponentObjects, overlay: Json, where: string): void {
  if (!isObject(overlay)) throw new DataError(`${where}: an overlay must be a map with kind, name and patches`);
  const target = c.objects.find((o) => o.kind === overlay.kind && o.metadata.name === overlay.name
    && (overlay.apiVersion === undefined || o.apiVersion === overlay.apiVersion));
  if (!target) {
    const names = c.objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ');
    throw new UsageError(`${where}: no object ${String(overlay.kind)}/${String(overlay.name)} in this component (it renders: ${names})`);
  }
  const patches = Array.isArray(overlay.patches) ? overlay.patches : [];
  for (const [i, p] of patches.entries()) {
    if (!isObject(p) || typeof p.path !== 'string') throw new DataError(`${where}.patches[${i}]: a patch needs a path`);
    let steps: PathStep[];
    try {
      steps = parsePath(p.path.replaceAll('.[', '['));
    } catch (e) {
      throw new UsageError(`${where}.patches[${i}]: ${(e as Error).message}`);
    }
    patchNode(target as unknown as JsonObject, steps, p.value, 'value' in p, `${where}.patches[${i}] (${p.path})`);
  }
}

function patchNode(root: JsonObject, steps: PathStep[], value: Json | undefined, hasValue: boolean, where: string): void {
  let node: Json = root;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const last = i === steps.length - 1;
    let container: Json[] | JsonObject;
    let key: string | number;
    if (step.kind === 'key') {
      if (!isObject(node)) throw new UsageError(`${where}: cannot descend into a non-map at "${step.key}"`);
      container = node; key = step.key;
    } else {
      if (!Array.isArray(node)) throw new UsageError(`${where}: expected a list before ${step.kind === 'index' ? `[${step.index}]` : `[${step.field}:${step.value}]`}`);
      container = node;
      key = step.kind === 'index' ? step.index : node.findIndex((el) => isObject(el) && String(el[step.field]) === step.value);
      if (key < 0) throw new UsageError(`${where}: no list element with ${step.kind === 'select' ? `${step.field}=${step.value}` : 'that index'}`);
    }
    if (last) {
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
