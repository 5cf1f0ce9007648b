/** Kubernetes object shapes and small helpers shared by the engines. */

/** A JSON-compatible value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
/** A JSON object (map). */
export type JsonObject = { [key: string]: Json };

/** Any Kubernetes object as plain JSON data. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: Json | undefined;
  };
  [key: string]: Json | undefined | K8sObject['metadata'];
}

/** Returns true for a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns the API group of an apiVersion (`""` for the core group). */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** Returns `Kind/namespace/name` (or `Kind/name` for cluster-scoped objects), the key used in diffs and reports. */
export function objectKey(obj: Pick<K8sObject, 'kind' | 'metadata'>): string {
  const ns = obj.metadata.namespace;
  return ns ? `${obj.kind}/${ns}/${obj.metadata.name}` : `${obj.kind}/${obj.metadata.name}`;
}

/** Returns a deep copy of JSON data. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

/**
 * Returns a deep copy of JSON data equal to what `structuredClone` returns: lists and plain maps
 * are copied, a map or list reached twice (a YAML alias) is copied once and shared in the copy as
 * in the original, and any other object (a Date, bytes) is handed to `structuredClone`. Several
 * times faster than `structuredClone` on the small trees of a pod template, which kube-inject
 * copies a few times per workload.
 */
export function copyJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  return copyObject(value, new Map()) as T;
}

function copyValue(value: unknown, seen: Map<object, unknown>): unknown {
  return value === null || typeof value !== 'object' ? value : copyObject(value, seen);
}

function copyObject(value: object, seen: Map<object, unknown>): unknown {
  const done = seen.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value as unknown[]) out.push(copyValue(item, seen));
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const out: unknown = structuredClone(value);
    seen.set(value, out);
    return out;
  }
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const key of Object.keys(value)) {
    const item = copyValue((value as Record<string, unknown>)[key], seen);
    // An own "__proto__" key stays a key, as structuredClone keeps it.
    if (key === '__proto__') Object.defineProperty(out, key, { value: item, writable: true, enumerable: true, configurable: true });
    else out[key] = item;
  }
  return out;
}
