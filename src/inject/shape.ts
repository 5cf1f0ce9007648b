/**
 * The shape a workload must have before kube-inject touches it: every map on the way to the pod
 * template is a map, and the pod spec has a non-empty list of containers. Without this check a
 * `spec: "hello"`, `template: null` or `containers: null` reads as an empty pod, and injection
 * makes up a workload whose only container is istio-proxy. istioctl's decoder refuses the
 * wrong-typed cases (`cannot unmarshal string into Go struct field`); the API server refuses the
 * null and missing ones (`spec.template.spec.containers: Required value`).
 */
import { isObject, type Json, type JsonObject } from '../manifest/objects.js';
import type { WorkloadKind } from './kinds.js';

/** A reason a workload cannot be injected, at a path relative to the workload object. */
export interface ShapeProblem {
  /** Path of the offending node (or of the deepest node that exists, when a field is missing). */
  path: (string | number)[];
  message: string;
}

/** What the field at `path` (a prefix of a kind's pod spec path) holds, in the user's terms. */
function term(kind: WorkloadKind, path: readonly string[]): string {
  if (path.length === kind.podSpec.length) return 'the pod spec';
  const step = path[path.length - 1];
  if (step === 'template') return 'the pod template';
  if (step === 'jobTemplate') return 'the job template';
  return path.length === 1 ? `the ${kind.kind} spec` : 'the job spec';
}

function typeName(v: Json | undefined): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return 'a map';
}

function getPath(object: JsonObject, path: readonly string[]): Json | undefined {
  let cur: Json | undefined = object;
  for (const step of path) cur = isObject(cur) ? cur[step] : undefined;
  return cur;
}

const dotted = (path: readonly (string | number)[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

/**
 * Returns why a workload's pod template cannot be injected, or undefined when it can: a field on
 * the way to the pod spec (per `kind.podSpec`) or the pod metadata (per `kind.podMeta`) that is
 * not a map, a pod spec without containers, or `containers`/`initContainers` that are not lists of
 * maps. Missing or null metadata is accepted (injection creates it); a missing or null spec, pod
 * template or container list is not. Paths are relative to `object`.
 */
export function podTemplateProblem(kind: WorkloadKind, object: JsonObject): ShapeProblem | undefined {
  const wrongType = (path: (string | number)[], v: Json | undefined, want: string): ShapeProblem => ({
    path,
    message: `${dotted(path)} is ${typeName(v)}, but it must be ${want}; istioctl cannot decode this ${kind.kind} either`,
  });
  let cur: Json | undefined = object;
  for (let i = 0; i < kind.podSpec.length; i++) {
    const step = kind.podSpec[i]!;
    const path = kind.podSpec.slice(0, i + 1);
    const next: Json | undefined = (cur as JsonObject)[step];
    const what = term(kind, path);
    if (next === undefined) {
      return { path: kind.podSpec.slice(0, i), message: `${dotted(path)} is missing: a ${kind.kind} needs ${what}, and there is no pod to inject into without it` };
    }
    if (next === null) return { path, message: `${dotted(path)} is null, but it must be ${what} (a map); there is no pod to inject into without it` };
    if (!isObject(next)) return wrongType(path, next, `${what} (a map)`);
    cur = next;
  }
  const spec = cur as JsonObject;
  // The metadata injection labels and annotates: may be absent or null (injection creates it),
  // must be a map when present. The maps on the way to it were checked with the pod spec's.
  const meta = getPath(object, kind.podMeta);
  if (meta !== undefined && meta !== null && !isObject(meta)) return wrongType([...kind.podMeta], meta, 'a map (labels, annotations, ...)');
  const containersPath = [...kind.podSpec, 'containers'];
  const containers = spec.containers;
  if (containers === undefined || containers === null || (Array.isArray(containers) && containers.length === 0)) {
    const state = containers === undefined ? 'is missing' : containers === null ? 'is null' : 'is empty';
    return {
      path: containers === undefined ? [...kind.podSpec] : containersPath,
      message: `${dotted(containersPath)} ${state}: a pod needs at least one container, and the sidecar is not one`,
    };
  }
  for (const field of ['containers', 'initContainers']) {
    const items = spec[field];
    if (items === undefined || items === null) continue;
    const path = [...kind.podSpec, field];
    if (!Array.isArray(items)) return wrongType(path, items, 'a list of containers');
    const bad = items.findIndex((c) => !isObject(c));
    if (bad >= 0) return wrongType([...path, bad], items[bad], 'a container (a map with name and image)');
  }
  return undefined;
}
