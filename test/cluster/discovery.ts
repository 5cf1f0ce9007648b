/**
 * Legacy (unaggregated) discovery documents: `/api`, `/apis`, `/apis/<group>` and the
 * `APIResourceList` of a group version. kubectl first asks for aggregated discovery
 * (`apidiscovery.k8s.io/v2` in its Accept header) and falls back to these when the answer is a
 * plain `application/json` document, so serving only the legacy shapes is enough for it and for
 * client-node.
 */
import type { Registry, ResourceType } from './resources.js';
import { groupVersion } from './resources.js';

/** Returns the `/api` document (`APIVersions`). `serverAddress` is host:port of the server. */
export function apiVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** Returns one group's `APIGroup` entry (versions highest priority first, the first preferred). */
function apiGroup(registry: Registry, group: string): object {
  const versions = registry.versions(group).map((version) => ({ groupVersion: groupVersion(group, version), version }));
  return { name: group, versions, preferredVersion: versions[0] };
}

/** Returns the `/apis` document (`APIGroupList`). */
export function apiGroupList(registry: Registry): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: registry.groups().map((g) => apiGroup(registry, g)) };
}

/** Returns the `/apis/<group>` document (`APIGroup`), or undefined when the group is not served. */
export function apiGroupDocument(registry: Registry, group: string): object | undefined {
  if (registry.versions(group).length === 0) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(registry, group) };
}

/** Returns the `APIResource` entries of one type: the resource and, when served, `<plural>/status`. */
function apiResources(t: ResourceType): object[] {
  const main = {
    name: t.plural,
    singularName: t.singular,
    namespaced: t.namespaced,
    kind: t.kind,
    verbs: t.verbs,
    ...(t.shortNames ? { shortNames: t.shortNames } : {}),
    ...(t.categories ? { categories: t.categories } : {}),
  };
  if (!t.hasStatus) return [main];
  return [main, { name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] }];
}

/**
 * Returns the `APIResourceList` of `/api/v1` or `/apis/<group>/<version>`, or undefined when
 * that group version is not served.
 */
export function apiResourceList(registry: Registry, group: string, version: string): object | undefined {
  const types = registry.all().filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersion(group, version),
    resources: types.flatMap(apiResources),
  };
}
