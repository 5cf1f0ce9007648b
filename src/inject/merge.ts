/**
 * Strategic merge of an injection template's output onto a pod, the way istiod applies it
 * (k8s.io/apimachinery strategicpatch with corev1.Pod's patch metadata): maps merge key by key,
 * `null` deletes, lists with a merge key (containers by `name`, ports by `containerPort`...) merge
 * item by item with new items appended, all other lists are replaced.
 *
 * Written here because no maintained JavaScript package implements Kubernetes' strategic merge
 * with the Pod schema's merge keys; only the part of the schema a pod template uses is listed.
 */
import { isObject, type Json, type JsonObject } from '../manifest/objects.js';

/** Merge keys of corev1 lists, by the name of the field holding the list (from the Pod's patchMergeKey tags). */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  resourceClaims: 'name',
  schedulingGates: 'name',
  env: 'name',
  ports: 'containerPort',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  resizePolicy: 'resourceName',
};

/** Returns the merge key of the list held by field `field`, if Kubernetes declares one. */
export function mergeKeyOf(field: string | number | undefined): string | undefined {
  return typeof field === 'string' ? MERGE_KEYS[field] : undefined;
}

/** Returns `original` with `patch` strategically merged in. Neither argument is modified. */
export function strategicMerge(original: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...original };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[key];
      continue;
    }
    const prev = out[key];
    if (isObject(value)) {
      out[key] = isObject(prev) ? strategicMerge(prev, value) : stripNulls(value);
    } else if (Array.isArray(value)) {
      const mergeKey = MERGE_KEYS[key];
      out[key] = mergeKey && Array.isArray(prev) ? mergeList(prev, value, mergeKey) : value.map(stripNulls);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function mergeList(original: Json[], patch: Json[], mergeKey: string): Json[] {
  const out = original.slice();
  for (const item of patch) {
    if (!isObject(item)) {
      out.push(item);
      continue;
    }
    const at = out.findIndex((o) => isObject(o) && o[mergeKey] === item[mergeKey]);
    if (at >= 0) out[at] = strategicMerge(out[at] as JsonObject, item);
    else out.push(stripNulls(item));
  }
  return out;
}

/** A null in a patch deletes; in newly added content it simply means "absent". */
function stripNulls(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripNulls);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = stripNulls(v);
  return out;
}
