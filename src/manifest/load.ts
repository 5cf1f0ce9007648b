/** Kubernetes objects from YAML streams, with `kind: List` expanded and positions for errors. */
import { DataError } from '../errors.js';
import { isObject, type K8sObject } from './objects.js';
import { parseYamlDocuments, positionOf } from './yaml-docs.js';

/**
 * Returns the Kubernetes objects of a YAML/JSON stream. `List` items are expanded. Throws
 * DataError with `file:line:column` on syntax errors and on documents without apiVersion, kind
 * or metadata.name.
 */
export function loadObjects(text: string, file: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const src of parseYamlDocuments(text, file)) {
    const visit = (data: unknown, path: (string | number)[]) => {
      if (!isObject(data)) throw new DataError('expected a Kubernetes object (a map with apiVersion, kind and metadata)', positionOf(src, path));
      if (typeof data.kind === 'string' && /List$/.test(data.kind) && Array.isArray(data.items)) {
        data.items.forEach((item, i) => visit(item, [...path, 'items', i]));
        return;
      }
      for (const field of ['apiVersion', 'kind'] as const) {
        if (typeof data[field] !== 'string' || data[field] === '') throw new DataError(`object has no ${field}`, positionOf(src, path));
      }
      const missing = missingName(data, String(data.kind));
      if (missing) throw new DataError(missing.message, positionOf(src, [...path, ...missing.path]));
      out.push(data as unknown as K8sObject);
    };
    visit(src.data, []);
  }
  return out;
}

/**
 * Returns the problem of an object of `kind` without a non-empty string `metadata.name`, or
 * undefined when it has one: `Deployment has no metadata.name`, at `metadata` (at the object
 * itself when it has no metadata). One rule for every command that reads objects from files
 * (analyze, validate, manifest diff), so a file one of them refuses does not pass another.
 */
export function missingName(object: Record<string, unknown>, kind: string): { message: string; path: string[] } | undefined {
  const meta = object.metadata;
  if (isObject(meta) && typeof meta.name === 'string' && meta.name !== '') return undefined;
  return { message: `${kind} has no metadata.name`, path: meta === undefined ? [] : ['metadata'] };
}
