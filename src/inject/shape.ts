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
 * maps, or a field the injection reads with the wrong type (a container's ports, env, command,
 * name or image; the pod's service account, host network, name and namespace: see
 * CONTAINER_FIELDS, POD_SPEC_FIELDS, POD_META_FIELDS). Missing or null metadata is accepted
 * (injection creates it); a missing or null spec, pod template or container list is not. Paths
 * are relative to `object`. With `options.fields` false only the structure is checked (the maps
 * down to the pod spec, the container lists and their items): what every command that reads
 * workloads from files needs (see src/manifest/load.ts loadProblem); field types are left to
 * schema validation.
 */
export function podTemplateProblem(kind: WorkloadKind, object: JsonObject, options: { fields?: boolean } = {}): ShapeProblem | undefined {
  const fields = options.fields !== false;
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
      return { path: kind.podSpec.slice(0, i), message: `${dotted(path)} is missing: a ${kind.kind} needs ${what}, and without it there is no pod` };
    }
    if (next === null) return { path, message: `${dotted(path)} is null, but it must be ${what} (a map); without it there is no pod` };
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
      message: `${dotted(containersPath)} ${state}: a pod needs at least one container`,
    };
  }
  for (const field of ['containers', 'initContainers']) {
    const items = spec[field];
    if (items === undefined || items === null) continue;
    const path = [...kind.podSpec, field];
    if (!Array.isArray(items)) return wrongType(path, items, 'a list of containers');
    const bad = items.findIndex((c) => !isObject(c));
    if (bad >= 0) return wrongType([...path, bad], items[bad], 'a container (a map with name and image)');
    if (!fields) continue;
    for (const [i, container] of (items as JsonObject[]).entries()) {
      const problem = fieldProblem(CONTAINER_FIELDS, container, [...path, i], wrongType);
      if (problem) return problem;
    }
  }
  if (!fields) return undefined;
  return fieldProblem(POD_SPEC_FIELDS, spec, [...kind.podSpec], wrongType)
    ?? (isObject(meta) ? fieldProblem(POD_META_FIELDS, meta, [...kind.podMeta], wrongType) : undefined);
}

/** What a field must hold, in the user's terms (`want`) and as a test. */
interface FieldRule {
  want: string;
  test: (v: Json) => boolean;
  /** For a list: what each element must hold (null elements are left to the API server). */
  item?: { want: string; test: (v: Json) => boolean; fields?: Readonly<Record<string, FieldRule>> };
}

const isText = (v: Json): boolean => typeof v === 'string';
const TEXT: FieldRule = { want: 'text', test: isText };
const BOOL: FieldRule = { want: 'true or false', test: (v) => typeof v === 'boolean' };
const INT32: FieldRule = { want: 'a whole number', test: (v) => typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 2 ** 31 };
const MAP: FieldRule = { want: 'a map', test: isObject };
const TEXT_LIST: FieldRule = { want: 'a list of text', test: Array.isArray, item: { want: 'text', test: isText } };
const mapList = (plural: string, singular: string, fields?: Record<string, FieldRule>): FieldRule =>
  ({ want: `a list of ${plural}`, test: Array.isArray, item: { want: `${singular} (a map)`, test: isObject, ...(fields ? { fields } : {}) } });

/**
 * Container fields by lower-cased name (Go's JSON decoder, which istioctl and the injection
 * templates use, matches names case-insensitively). A wrong type here is a workload istioctl cannot
 * decode (corev1.Container, Kubernetes 1.34), and the templates read several of them.
 */
const CONTAINER_FIELDS: Readonly<Record<string, FieldRule>> = {
  name: TEXT, image: TEXT, imagepullpolicy: TEXT, workingdir: TEXT, terminationmessagepath: TEXT, terminationmessagepolicy: TEXT,
  stdin: BOOL, stdinonce: BOOL, tty: BOOL,
  command: TEXT_LIST, args: TEXT_LIST,
  ports: mapList('ports', 'a port', { name: TEXT, protocol: TEXT, hostip: TEXT, containerport: INT32, hostport: INT32 }),
  env: mapList('environment variables', 'an environment variable', { name: TEXT, value: TEXT }),
  envfrom: mapList('sources', 'a source'), volumemounts: mapList('volume mounts', 'a volume mount'),
  volumedevices: mapList('volume devices', 'a volume device'), resizepolicy: mapList('resize policies', 'a resize policy'),
  resources: MAP, securitycontext: MAP, livenessprobe: MAP, readinessprobe: MAP, startupprobe: MAP, lifecycle: MAP,
};

/** Pod spec fields the injection templates read (corev1.PodSpec). */
const POD_SPEC_FIELDS: Readonly<Record<string, FieldRule>> = {
  serviceaccountname: TEXT, nodename: TEXT, hostnetwork: BOOL,
};

/** Pod metadata fields the injection templates read (metav1.ObjectMeta; labels and annotations are checked with injection's own rules). */
const POD_META_FIELDS: Readonly<Record<string, FieldRule>> = {
  name: TEXT, generatename: TEXT, namespace: TEXT, uid: TEXT,
};

/** Returns the first field of `map` (at `path`) that breaks its rule, at the offending node; null means unset. */
function fieldProblem(
  rules: Readonly<Record<string, FieldRule>>, map: JsonObject, path: (string | number)[],
  wrongType: (path: (string | number)[], v: Json | undefined, want: string) => ShapeProblem,
): ShapeProblem | undefined {
  for (const [key, value] of Object.entries(map)) {
    const rule = rules[key.toLowerCase()];
    if (!rule || value === null) continue;
    const at = [...path, key];
    if (!rule.test(value)) return wrongType(at, value, rule.want);
    if (!rule.item || !Array.isArray(value)) continue;
    for (const [i, item] of value.entries()) {
      if (item === null) continue;
      if (!rule.item.test(item)) return wrongType([...at, i], item, rule.item.want);
      const problem = rule.item.fields && isObject(item) ? fieldProblem(rule.item.fields, item, [...at, i], wrongType) : undefined;
      if (problem) return problem;
    }
  }
  return undefined;
}
