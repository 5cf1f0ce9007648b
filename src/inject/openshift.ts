/**
 * What istiod does differently when it runs on OpenShift (its PLATFORM setting is `openshift`;
 * Istio 1.30.3 pkg/kube/inject/webhook.go and openshift.go): the proxy runs with the highest uid
 * of the pod namespace's pre-allocated range and the highest gid of its first supplemental group
 * block, and a user's istio-proxy whose runAsUser equals the application's (which OpenShift
 * assigns to every container alike) loses its runAsUser/runAsGroup so that the proxy's own apply.
 */
import { isObject, type Json, type JsonObject } from '../manifest/objects.js';

/** The Namespace annotation holding OpenShift's pre-allocated uid block (`start/size` or `start-end`). */
export const UID_RANGE_ANNOTATION = 'openshift.io/sa.scc.uid-range';
/** The Namespace annotation holding OpenShift's supplemental group blocks, comma-separated. */
export const SUPPLEMENTAL_GROUPS_ANNOTATION = 'openshift.io/sa.scc.supplemental-groups';

/** The uid and gid istio-proxy runs as everywhere but on OpenShift (and there without a range). */
export const DEFAULT_PROXY_ID = 1337;

const UINT32_MAX = 0xffffffff;

/**
 * Returns the first and last id of an OpenShift id block, `start/size` (last = start + size - 1,
 * wrapping as Go's uint32 does) or `start-end`, or undefined when it does not read as one.
 * Leading spaces before each number are allowed and anything after the second number is
 * ignored, as Go's fmt.Sscanf reads it.
 */
export function parseIdBlock(text: string): { start: number; end: number } | undefined {
  const slash = text.includes('/');
  const m = (slash ? /^\s*(\d+)\/\s*(\d+)/ : /^\s*(\d+)-\s*(\d+)/).exec(text);
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = Number(m[2]);
  if (a > UINT32_MAX || b > UINT32_MAX) return undefined;
  return slash ? { start: a, end: (a + b - 1) >>> 0 } : { start: a, end: b };
}

/**
 * Returns the uid and gid the proxy runs as in a namespace with these annotations (istiod's
 * GetProxyIDs): the last id of the uid-range block, and the last id of the first supplemental
 * group block (the uid range standing in when the namespace has no supplemental groups
 * annotation); 1337 for whatever is missing or unreadable.
 */
export function proxyIdsForNamespace(annotations: Readonly<Record<string, string>> | undefined): { uid: number; gid: number } {
  const ids = { uid: DEFAULT_PROXY_ID, gid: DEFAULT_PROXY_ID };
  if (!annotations) return ids;
  const range = annotations[UID_RANGE_ANNOTATION];
  if (range) {
    const block = parseIdBlock(range);
    if (block) ids.uid = block.end;
  }
  const groups = annotations[SUPPLEMENTAL_GROUPS_ANNOTATION] ?? annotations[UID_RANGE_ANNOTATION];
  if (groups) {
    const blocks = groups.split(',').map(parseIdBlock);
    if (blocks.every((b) => b !== undefined)) ids.gid = blocks[0]!.end;
  }
  return ids;
}

const runAsUser = (c: JsonObject): Json | undefined => (isObject(c.securityContext) ? c.securityContext.runAsUser : undefined);

/**
 * Returns the pod spec with runAsUser and runAsGroup removed from a user's istio-proxy whose
 * runAsUser equals the application's (istiod's isSidecarUserMatchingAppUser: the last
 * application container, init containers included, that sets one; unset counts as 0), or the
 * spec itself when nothing changes. Only a proxy with a securityContext is looked at.
 */
export function withoutSidecarUserMatchingApp(spec: JsonObject): JsonObject {
  const all = [...(Array.isArray(spec.containers) ? spec.containers : []), ...(Array.isArray(spec.initContainers) ? spec.initContainers : [])].filter(isObject);
  let sidecarUser: Json = 0;
  let appUser: Json = 0;
  for (const c of all) {
    const user = runAsUser(c);
    if (user === undefined || user === null) continue;
    if (c.name === 'istio-proxy') sidecarUser = user;
    else if (c.name !== 'istio-validation' && c.name !== 'istio-init') appUser = user;
  }
  const proxyIn = (field: 'containers' | 'initContainers') => (Array.isArray(spec[field]) ? spec[field] : []).find((c) => isObject(c) && c.name === 'istio-proxy') as JsonObject | undefined;
  const field = proxyIn('containers') ? 'containers' : proxyIn('initContainers') ? 'initContainers' : undefined;
  if (!field || sidecarUser !== appUser) return spec;
  const proxy = proxyIn(field)!;
  if (!isObject(proxy.securityContext)) return spec;
  const { runAsUser: _user, runAsGroup: _group, ...securityContext } = proxy.securityContext;
  const list = (spec[field] as Json[]).map((c) => (c === proxy ? { ...proxy, securityContext } : c));
  return { ...spec, [field]: list };
}
