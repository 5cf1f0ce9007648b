/**
 * Where resources come from. A source yields resources and the problems met while reading them;
 * the file source here turns YAML/JSON documents into resources, and a cluster source produces
 * the same shape, so analysis does not care which one ran (files overlay the cluster when both do).
 */
import type { SourcePosition } from '../errors.js';
import { loadProblem } from '../manifest/load.js';
import { positionOf, type SourceDocument } from '../manifest/yaml-docs.js';
import { IGNORED_NAMESPACES } from '../inject/kinds.js';
import { ANALYZED_KINDS, isClusterScoped } from './kinds.js';
import { asList, asMap, groupOf, kindKey, type ObjectPath, type Resource, type SourceRef } from './resource.js';

/** Something wrong with an input that is not a finding: unreadable file, bad YAML, no kind. */
export interface InputProblem {
  file: string;
  position?: SourcePosition;
  message: string;
}

/** What a source produced. */
export interface SourceResult {
  resources: Resource[];
  problems: InputProblem[];
  /** Documents of kinds no analyzer reads, skipped as istioctl skips them. */
  skipped: number;
}

/** How namespace-less objects are placed. */
export interface FileSourceOptions {
  /** Namespace for namespaced objects that give none (`-n`, else `default`). */
  defaultNamespace: string;
  /** Keep every kind (validate) instead of only the kinds analyzers read. */
  allKinds?: boolean;
}

/**
 * Returns the resources of parsed documents. `List` and `*List` documents contribute their items.
 * Objects in kube-system, kube-public, kube-node-lease and local-path-storage are dropped, as
 * istioctl drops them. A document that is not a map, lacks a string `apiVersion`, `kind` or
 * `metadata.name`, or is a workload without a pod template (src/manifest/load.ts loadProblem), is a
 * problem with the position of the offending node. `docs` may be a stream (compactYamlDocuments):
 * each document is converted while its tree is alive.
 */
export function resourcesFromDocuments(docs: Iterable<SourceDocument>, options: FileSourceOptions): SourceResult {
  const out: SourceResult = { resources: [], problems: [], skipped: 0 };
  for (const document of docs) addObject(out, document, document.data, [], options);
  return out;
}

function addObject(out: SourceResult, document: SourceDocument, data: unknown, base: ObjectPath, options: FileSourceOptions): void {
  const problem = (message: string, path: ObjectPath, key = false): void => {
    out.problems.push({ file: document.file, position: positionOf(document, [...base, ...path], key), message });
  };
  // An empty document (`---` at the end of a file) holds nothing, as kubectl sees it.
  if (data === null || data === undefined) return;
  if (typeof data !== 'object' || Array.isArray(data)) {
    problem(`expected a Kubernetes object (a map with apiVersion and kind), found ${Array.isArray(data) ? 'a list' : `a ${typeof data}`}`, []);
    return;
  }
  const object = data as Record<string, unknown>;
  const { apiVersion, kind } = object;
  if (typeof kind !== 'string' || kind === '') return problem('object has no kind', kind === undefined ? [] : ['kind']);
  if (typeof apiVersion !== 'string' || apiVersion === '') return problem(`${kind} has no apiVersion`, apiVersion === undefined ? [] : ['apiVersion']);
  if (kind.endsWith('List') && Array.isArray(object.items)) {
    asList(object.items).forEach((item, i) => addObject(out, document, item, [...base, 'items', i], options));
    return;
  }
  const key = kindKey(apiVersion, kind);
  if (!options.allKinds && !ANALYZED_KINDS.has(key)) {
    out.skipped++;
    return;
  }
  const unloadable = loadProblem(object, kind);
  if (unloadable) return problem(unloadable.message, unloadable.path);
  const meta = asMap(object.metadata);
  const name = meta.name as string;
  const cluster = isClusterScoped(key);
  const given = typeof meta.namespace === 'string' ? meta.namespace : '';
  const namespace = cluster ? '' : given || options.defaultNamespace;
  if (IGNORED_NAMESPACES.includes(namespace) || (key === 'Namespace' && IGNORED_NAMESPACES.includes(name))) {
    out.skipped++;
    return;
  }
  out.resources.push(resourceOf(object, apiVersion, kind, name, namespace, { document, base }));
}

/**
 * Returns a resource for an object whose apiVersion, kind, name and resolved namespace are known
 * (`''` namespace for cluster-scoped kinds), read from `source` when given.
 */
export function resourceOf(object: Record<string, unknown>, apiVersion: string, kind: string, name: string, namespace: string, source?: SourceRef): Resource {
  const slash = apiVersion.indexOf('/');
  return {
    key: kindKey(apiVersion, kind), group: groupOf(apiVersion), version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1), kind,
    namespace, name, object, ...(source ? { source } : {}),
  };
}

/**
 * Returns the resources with one object per kind, namespace and name: the last one read, as a
 * later `kubectl apply` of the same object replaces the earlier one (and as istioctl keeps it).
 */
export function lastOfEach(resources: readonly Resource[]): Resource[] {
  const last = new Map<string, Resource>();
  for (const r of resources) last.set(`${r.key}\u0000${r.namespace}\u0000${r.name}`, r);
  return last.size === resources.length ? [...resources] : resources.filter((r) => last.get(`${r.key}\u0000${r.namespace}\u0000${r.name}`) === r);
}
