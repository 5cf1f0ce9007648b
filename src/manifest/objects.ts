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
