/**
 * The resource types the test server serves: a data table of built-in kinds plus the versions of
 * every Established CustomResourceDefinition in the store. Names, short names and categories
 * are those of Kubernetes 1.33 discovery (`kubectl api-resources`), since kubectl resolves
 * `deploy`, `crd` and friends from them.
 */
import type { KObject, ObjectStore } from './types.js';

/** One served resource in one group version. */
export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  /** URL name, e.g. `deployments`. */
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  /** Serves the `/status` subresource (and a write of the main resource ignores `.status`). */
  hasStatus: boolean;
  /** Defined by a CustomResourceDefinition. */
  custom: boolean;
}

/** Verbs of an ordinary resource, in the order the real server lists them. */
export const STANDARD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

type BuiltinRow = [group: string, version: string, plural: string, kind: string, namespaced: boolean, shortNames: string[], hasStatus: boolean, categories?: string[]];

const ALL = ['all'];

// Built-in kinds: group, version, plural, kind, namespaced, short names, status subresource, categories.
const BUILTIN_ROWS: BuiltinRow[] = [
  ['', 'v1', 'namespaces', 'Namespace', false, ['ns'], true],
  ['', 'v1', 'services', 'Service', true, ['svc'], true, ALL],
  ['', 'v1', 'configmaps', 'ConfigMap', true, ['cm'], false],
  ['', 'v1', 'secrets', 'Secret', true, [], false],
  ['', 'v1', 'serviceaccounts', 'ServiceAccount', true, ['sa'], false],
  ['', 'v1', 'pods', 'Pod', true, ['po'], true, ALL],
  ['', 'v1', 'events', 'Event', true, ['ev'], false],
  ['', 'v1', 'endpoints', 'Endpoints', true, ['ep'], false],
  ['', 'v1', 'nodes', 'Node', false, ['no'], true],
  ['apps', 'v1', 'deployments', 'Deployment', true, ['deploy'], true, ALL],
  ['apps', 'v1', 'daemonsets', 'DaemonSet', true, ['ds'], true, ALL],
  ['apps', 'v1', 'replicasets', 'ReplicaSet', true, ['rs'], true, ALL],
  ['apps', 'v1', 'statefulsets', 'StatefulSet', true, ['sts'], true, ALL],
  ['batch', 'v1', 'jobs', 'Job', true, [], true, ALL],
  ['rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true, [], false],
  ['rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true, [], false],
  ['rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false, [], false],
  ['rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false, [], false],
  ['admissionregistration.k8s.io', 'v1', 'mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', false, [], false, ['api-extensions']],
  ['admissionregistration.k8s.io', 'v1', 'validatingwebhookconfigurations', 'ValidatingWebhookConfiguration', false, [], false, ['api-extensions']],
  ['policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, ['pdb'], true],
  ['autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, ['hpa'], true, ALL],
  ['apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, ['crd', 'crds'], true, ['api-extensions']],
];

/** Returns the built-in resource types (a fresh array; callers may sort it). */
export function builtinTypes(): ResourceType[] {
  const types: ResourceType[] = BUILTIN_ROWS.map(([group, version, plural, kind, namespaced, shortNames, hasStatus, categories]) => ({
    group, version, plural, singular: kind.toLowerCase(), kind, namespaced, verbs: STANDARD_VERBS,
    ...(shortNames.length > 0 ? { shortNames } : {}),
    ...(categories ? { categories } : {}),
    hasStatus, custom: false,
  }));
  types.push({
    group: 'authorization.k8s.io', version: 'v1', plural: 'selfsubjectaccessreviews', singular: 'selfsubjectaccessreview',
    kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'], hasStatus: false, custom: false,
  });
  return types;
}

const BUILTINS = builtinTypes();

/** Returns the group of an apiVersion (`apps/v1` -> `apps`, `v1` -> ''). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** Returns the version of an apiVersion (`apps/v1` -> `v1`). */
export function versionOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
}

/** `group/version`, or the bare version for the core group. */
export function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** True when a CRD's `status.conditions` has Established=True. */
export function isEstablished(crd: KObject): boolean {
  const conditions = (crd.status as { conditions?: Array<{ type?: string; status?: string }> } | undefined)?.conditions ?? [];
  return conditions.some((c) => c.type === 'Established' && c.status === 'True');
}

interface CrdVersion { name?: string; served?: boolean; subresources?: { status?: unknown } }
interface CrdSpec {
  group?: string;
  scope?: string;
  names?: { plural?: string; singular?: string; kind?: string; shortNames?: string[]; categories?: string[] };
  versions?: CrdVersion[];
}

/** Returns the resource types (one per served version) a CRD defines, whether or not it is Established. */
export function crdTypes(crd: KObject): ResourceType[] {
  const spec = (crd.spec ?? {}) as CrdSpec;
  const names = spec.names ?? {};
  if (!spec.group || !names.plural || !names.kind) return [];
  return (spec.versions ?? []).filter((v) => v.served !== false && v.name).map((v) => ({
    group: spec.group!, version: v.name!, plural: names.plural!, singular: names.singular || names.kind!.toLowerCase(), kind: names.kind!,
    namespaced: spec.scope !== 'Cluster', verbs: STANDARD_VERBS,
    ...(names.shortNames?.length ? { shortNames: names.shortNames } : {}),
    ...(names.categories?.length ? { categories: names.categories } : {}),
    hasStatus: v.subresources?.status !== undefined, custom: true,
  }));
}

/**
 * Kubernetes version priority (`v1` > `v1beta2` > `v1beta1` > `v1alpha1` > non-Kubernetes names),
 * as the real server orders a group's versions; negative when `a` sorts first.
 */
export function compareVersionPriority(a: string, b: string): number {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0];
    const stability = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
    return [stability, -Number(m[1]), -Number(m[3] ?? 0)];
  };
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The types the server serves right now: built-ins plus the versions of Established CRDs. It
 * follows CRD changes through the store's notifications (delivered synchronously after each
 * commit), so a CRD counts from the moment its condition is set.
 */
export class Registry {
  /** Per CRD name: whether it is Established and the types it defines. */
  private readonly crds = new Map<string, { established: boolean; types: ResourceType[] }>();

  constructor(store: ObjectStore) {
    const track = (crd: KObject): void => {
      this.crds.set(crd.metadata.name, { established: isEstablished(crd), types: crdTypes(crd) });
    };
    for (const crd of store.list(CRD_GROUP, 'CustomResourceDefinition')) track(crd);
    store.subscribe((event) => {
      const obj = event.object;
      if (obj.kind !== 'CustomResourceDefinition' || groupOf(obj.apiVersion) !== CRD_GROUP) return;
      if (event.type === 'DELETED') this.crds.delete(obj.metadata.name);
      else track(obj);
    });
  }

  /** Returns every served type (built-ins first, then CRD versions in CRD name order). */
  all(): ResourceType[] {
    const names = [...this.crds.keys()].sort();
    const custom = names.flatMap((n) => (this.crds.get(n)!.established ? this.crds.get(n)!.types : []));
    return [...BUILTINS, ...custom];
  }

  /** Returns the type served at `/apis/<group>/<version>/<plural>`, or undefined. */
  byPath(group: string, version: string, plural: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.version === version && t.plural === plural);
  }

  /** Versions of the group, highest priority first; empty when the group is not served. */
  versions(group: string): string[] {
    const versions = [...new Set(this.all().filter((t) => t.group === group).map((t) => t.version))];
    return versions.sort(compareVersionPriority);
  }

  /** Served groups (not the core group): built-in groups first in table order, then CRD groups. */
  groups(): string[] {
    const seen = new Set<string>();
    for (const t of this.all()) if (t.group) seen.add(t.group);
    return [...seen];
  }
}

const CRD_GROUP = 'apiextensions.k8s.io';
