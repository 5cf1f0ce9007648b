/**
 * Strategic merge of an injection template's output onto a pod, the way istiod applies it
 * (k8s.io/apimachinery strategicpatch with corev1.Pod's patch metadata): maps merge key by key,
 * `null` deletes, lists with a merge key (containers by `name`, ports by `containerPort`...) merge
 * item by item, lists of scalars with the merge strategy are united, all other lists are replaced.
 * The `$patch: replace` and `$patch: delete` directives work on maps and list items.
 *
 * The order of a merged list is Kubernetes': the patch's items in the patch's order, with the
 * items only the original has slotted in where the original had them before a patch item it also
 * has. Items new to the pod therefore come before the pod's own unmatched items (istiod's injected
 * volumes and image pull secrets precede the pod's).
 *
 * Written here because no maintained JavaScript package implements Kubernetes' strategic merge
 * with the Pod schema's merge keys; only the part of the schema a pod template uses is listed.
 */
import { isObject, type Json, type JsonObject } from '../manifest/objects.js';

/** Merge keys of corev1/metav1 lists, by the name of the field holding the list (patchMergeKey tags). */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  schedulingGates: 'name',
  ownerReferences: 'uid',
  env: 'name',
  ports: 'containerPort',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
};

/** Scalar lists with the merge strategy: the result holds each value once, original first. */
const MERGED_SCALAR_LISTS: ReadonlySet<string> = new Set(['finalizers']);

const DIRECTIVE = '$patch';

/** The Pod's list merge keys (patchMergeKey tags), for callers that merge other kinds with a few changes. */
export const POD_MERGE_KEYS: Readonly<Record<string, string>> = MERGE_KEYS;

/** Returns the merge key of the list held by field `field`, if Kubernetes declares one. */
export function mergeKeyOf(field: string | number | undefined): string | undefined {
  return typeof field === 'string' ? MERGE_KEYS[field] : undefined;
}

/**
 * Returns `original` with `patch` strategically merged in. Neither argument is modified.
 * `mergeKeys` maps list field names to their merge keys; the Pod's by default, another object
 * kind's when its lists differ (a Service's `ports` merge by `port`).
 */
export function strategicMerge(original: JsonObject, patch: JsonObject, mergeKeys: Readonly<Record<string, string>> = MERGE_KEYS): JsonObject {
  const directive = patch[DIRECTIVE];
  if (directive === 'replace') return withoutDirectives(patch) as JsonObject;
  if (directive === 'delete') return {};
  const out: JsonObject = { ...original };
  // for...in rather than Object.entries: the same keys in the same order without an array per map
  // (the templates' output is merged twice per workload).
  for (const key in patch) {
    const value = patch[key]!;
    if (key.startsWith('$')) continue;
    if (value === null) {
      delete out[key];
      continue;
    }
    const prev = out[key];
    if (isObject(value)) {
      out[key] = isObject(prev) ? strategicMerge(prev, value, mergeKeys) : withoutDirectives(value);
    } else if (Array.isArray(value)) {
      const mergeKey = mergeKeys[key];
      if (mergeKey && Array.isArray(prev)) out[key] = mergeList(prev, value, mergeKey, mergeKeys);
      else if (MERGED_SCALAR_LISTS.has(key) && Array.isArray(prev)) out[key] = unite(prev, value);
      else out[key] = withoutDirectives(value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function unite(original: Json[], patch: Json[]): Json[] {
  const out: Json[] = [];
  for (const v of [...original, ...patch]) if (!out.includes(v)) out.push(v);
  return out;
}

/** Position of the item whose merge key equals `item`'s, or -1. */
function indexOfKey(items: readonly Json[], item: Json, mergeKey: string): number {
  if (!isObject(item)) return -1;
  return items.findIndex((o) => isObject(o) && o[mergeKey] === item[mergeKey]);
}

function mergeList(originalIn: Json[], patchIn: Json[], mergeKey: string, mergeKeys: Readonly<Record<string, string>>): Json[] {
  let original = originalIn.slice();
  const patch: Json[] = [];
  let replace = false;
  for (const item of patchIn) {
    const directive = isObject(item) ? item[DIRECTIVE] : undefined;
    if (directive === 'delete') {
      original = original.filter((o) => !(isObject(o) && isObject(item) && o[mergeKey] === item[mergeKey]));
    } else if (directive === 'replace') {
      replace = true;
    } else {
      patch.push(item);
    }
  }
  if (replace) return patch.map(withoutDirectives);

  const merged = original.slice();
  for (const item of patch) {
    const at = indexOfKey(merged, item, mergeKey);
    if (at >= 0 && isObject(item)) merged[at] = strategicMerge(merged[at] as JsonObject, item, mergeKeys);
    else merged.push(withoutDirectives(item));
  }

  // Kubernetes' normalizeElementOrder: patch items in patch order; items only the original has,
  // in its order, go before a patch item only when the original had them before that item.
  const patchItems = merged.filter((m) => indexOfKey(patch, m, mergeKey) >= 0)
    .sort((a, b) => indexOfKey(patch, a, mergeKey) - indexOfKey(patch, b, mergeKey));
  const serverOnly = merged.filter((m) => indexOfKey(patch, m, mergeKey) < 0);
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < patchItems.length) {
    if (i >= serverOnly.length) out.push(patchItems[j++]!);
    else if (j >= patchItems.length) out.push(serverOnly[i++]!);
    else {
      const li = indexOfKey(original, serverOnly[i]!, mergeKey);
      const ri = indexOfKey(original, patchItems[j]!, mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(serverOnly[i++]!);
      else out.push(patchItems[j++]!);
    }
  }
  return out;
}

/** New content from a patch: `null` means "absent" and directives say nothing. */
function withoutDirectives(value: Json): Json {
  if (Array.isArray(value)) {
    const out: Json[] = [];
    for (const v of value) if (!(isObject(v) && v[DIRECTIVE] !== undefined)) out.push(withoutDirectives(v));
    return out;
  }
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const k in value) {
    const v = value[k]!;
    if (v !== null && !k.startsWith('$')) out[k] = withoutDirectives(v);
  }
  return out;
}
