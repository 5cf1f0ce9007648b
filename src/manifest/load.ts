/** Kubernetes objects from YAML streams, with `kind: List` expanded and positions for errors. */
import { DataError } from '../errors.js';
import { workloadKind } from '../inject/kinds.js';
import { podTemplateProblem } from '../inject/shape.js';
import { findNonJson, nonJsonMessage } from './json-data.js';
import { isObject, type JsonObject, type K8sObject } from './objects.js';
import { parseYamlDocuments, positionOf } from './yaml-docs.js';

/**
 * Returns the Kubernetes objects of a YAML/JSON stream. `List` items are expanded. Throws
 * DataError with `file:line:column` on syntax errors and on documents without apiVersion, kind
 * or metadata.name, or workloads without a pod template (see loadProblem).
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
      const problem = loadProblem(data, String(data.kind));
      if (problem) throw new DataError(problem.message, positionOf(src, [...path, ...problem.path]));
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

/**
 * Returns why an object of `kind` cannot be loaded, or undefined: no `metadata.name` (see
 * missingName), a value that is not JSON data (a YAML 1.1 tag's: see src/manifest/json-data.ts), or a workload (Deployment, Pod, CronJob, ... at the apiVersion src/inject/kinds.ts
 * registers; other versions are left unchecked, as validate leaves them) with a spec whose pod
 * template is not one: the pod template, pod spec or containers missing, null or of the wrong type,
 * or the spec itself not a map (src/inject/shape.ts podTemplateProblem, structure only). A
 * workload without a spec is accepted (a stub naming and labelling a workload). `path` is relative to the object.
 * One rule for every command that reads objects from files (analyze, validate, manifest diff, and
 * kube-inject, which checks the same structure), so a file one of them refuses does not pass another.
 */
export function loadProblem(object: Record<string, unknown>, kind: string): { message: string; path: (string | number)[] } | undefined {
  const missing = missingName(object, kind);
  if (missing) return missing;
  const tagged = findNonJson(object);
  if (tagged) {
    return { message: `${kind} "${String((object.metadata as Record<string, unknown>).name)}": ${nonJsonMessage(tagged)}`, path: tagged.path };
  }
  // An object without a spec is a stub that only names and labels a workload, as istioctl's own
  // analyzer test data uses Pods; the API schemas do not require a spec either. Once a spec is
  // given, the way to the pod spec and its containers must be there.
  const workload = workloadKind(kind);
  const stub = object.spec === undefined || object.spec === null;
  const problem = workload && !stub && object.apiVersion === workload.apiVersion
    ? podTemplateProblem(workload, object as JsonObject, { fields: false }) : undefined;
  return problem ? { message: `${kind} "${String((object.metadata as Record<string, unknown>).name)}": ${problem.message}`, path: problem.path } : undefined;
}
