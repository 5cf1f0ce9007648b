/**
 * Resources as analyzers see them: a Kubernetes object with its kind, namespace and name
 * resolved, and, for objects read from files, the document it came from so that findings can
 * point at `file:line:column`. A live-cluster source produces the same shape without `source`.
 */
import type { SourceDocument } from '../manifest/yaml-docs.js';

/** A path into an object: map keys and list indices (`['spec', 'ports', 0, 'name']`). */
export type ObjectPath = readonly (string | number)[];

/** A plain JSON object. */
export type JsonMap = Record<string, unknown>;

/**
 * A kind as `Kind` for the core group and `Kind.group` otherwise, as kubectl writes resource
 * types: `Service`, `Deployment.apps`, `Gateway.networking.istio.io`.
 */
export type KindKey = string;

/** Where a file-backed resource lives: its document and the path of the object inside it. */
export interface SourceRef {
  document: SourceDocument;
  /** `[]` for a top-level object, `['items', 3]` for an item of a `List`. */
  base: ObjectPath;
}

/** One object under analysis. */
export interface Resource {
  key: KindKey;
  group: string;
  /** API version as written, e.g. `v1beta1`. */
  version: string;
  kind: string;
  /** Resolved namespace; `''` for cluster-scoped kinds. */
  namespace: string;
  name: string;
  object: JsonMap;
  source?: SourceRef;
  /** Assumed to exist (the profile's ingress gateway in file mode); never reported on. */
  synthetic?: boolean;
}

/** Returns the kind key for an apiVersion and kind (`apps/v1`, `Deployment` → `Deployment.apps`). */
export function kindKey(apiVersion: string, kind: string): KindKey {
  const group = groupOf(apiVersion);
  return group ? `${kind}.${group}` : kind;
}

/** Returns the group of an apiVersion: `''` for `v1`, `apps` for `apps/v1`. */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * Returns istioctl's friendly name for a resource: `Kind namespace/name`, or `Kind name` for
 * cluster-scoped kinds and namespace-less test input.
 */
export function friendlyName(r: Pick<Resource, 'kind' | 'namespace' | 'name'>): string {
  return r.namespace ? `${r.kind} ${r.namespace}/${r.name}` : `${r.kind} ${r.name}`;
}

/** Returns `o[key]` when `o` is a plain object, else undefined. */
export function field(o: unknown, key: string): unknown {
  return o !== null && typeof o === 'object' && !Array.isArray(o) ? (o as JsonMap)[key] : undefined;
}

/** Returns the value at `path` inside `o`, or undefined when any step is missing. */
export function getAt(o: unknown, path: ObjectPath): unknown {
  let cur = o;
  for (const step of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[step];
  }
  return cur;
}

/** Returns `v` when it is a plain object, else an empty object. */
export function asMap(v: unknown): JsonMap {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as JsonMap) : {};
}

/** Returns `v` when it is an array, else an empty array. */
export function asList(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Returns the string values of a label-like map (non-string values are dropped). */
export function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(asMap(v))) if (typeof val === 'string') out[k] = val;
  return out;
}

/** Returns the labels of a resource's metadata. */
export function labelsOf(r: Resource): Record<string, string> {
  return stringMap(field(r.object.metadata, 'labels'));
}

/** Returns the annotations of a resource's metadata. */
export function annotationsOf(r: Resource): Record<string, string> {
  return stringMap(field(r.object.metadata, 'annotations'));
}
