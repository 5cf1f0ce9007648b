/**
 * What an apply would change: live object versus the server's dry-run answer, as a unified diff
 * that leaves out what the server fills in by itself (so a diff shows only what the user's
 * configuration changes, not bookkeeping such as managedFields or resourceVersion).
 */
import { createTwoFilesPatch } from 'diff';
import { isObject, objectKey, type Json, type JsonObject, type K8sObject } from '../manifest/objects.js';
import { toYaml } from '../manifest/serialize.js';

/** metadata fields the server sets; never part of a user's intent. */
const SERVER_METADATA = ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'selfLink', 'deletionGracePeriodSeconds'];

/** Annotations controllers or kubectl maintain on their own. */
const SERVER_ANNOTATIONS = [
  'deprecated.daemonset.template.generation',
  'deployment.kubernetes.io/revision',
  'kubectl.kubernetes.io/last-applied-configuration',
];

/**
 * Returns a copy of `obj` without server-populated fields: `status`, metadata managedFields,
 * resourceVersion, uid, creationTimestamp, generation, selfLink, and controller/kubectl
 * bookkeeping annotations (an emptied annotations map is removed). Undefined in, undefined out.
 */
export function withoutServerFields(obj: K8sObject | undefined): K8sObject | undefined {
  if (!obj) return undefined;
  const copy = structuredClone(obj);
  delete copy.status;
  const meta = copy.metadata as JsonObject;
  for (const f of SERVER_METADATA) delete meta[f];
  if (isObject(meta.annotations)) {
    const ann = meta.annotations;
    for (const a of SERVER_ANNOTATIONS) delete ann[a];
    if (Object.keys(ann).length === 0) delete meta.annotations;
  }
  return copy;
}

/** What applying one object would do. */
export type LiveChange = 'create' | 'change' | 'unchanged' | 'prune';

/** One object's planned change with its diff. */
export interface LiveDiff {
  /** `Kind/namespace/name` (or `Kind/name`). */
  key: string;
  change: LiveChange;
  /** Unified diff (live -> after), '' when unchanged. */
  patch: string;
}

function yamlOf(obj: K8sObject | undefined): string {
  return obj ? toYaml(obj as unknown as Json) : '';
}

/**
 * Compares the live object (undefined when absent) with what the cluster would hold after the
 * apply (`after`, the dry-run answer; undefined when the object is to be pruned). Both sides are
 * stripped of server-populated fields and printed as YAML with sorted keys, so the diff shows only
 * changed fields. The diff's file names are `live/<key>` and `after/<key>` (`/dev/null` for a
 * missing side), with 3 lines of context.
 */
export function diffLive(live: K8sObject | undefined, after: K8sObject | undefined): LiveDiff {
  const ref = after ?? live;
  if (!ref) throw new Error('diffLive needs at least one side');
  const key = objectKey(ref);
  const a = yamlOf(withoutServerFields(live));
  const b = yamlOf(withoutServerFields(after));
  const change: LiveChange = !live ? 'create' : !after ? 'prune' : a === b ? 'unchanged' : 'change';
  if (change === 'unchanged') return { key, change, patch: '' };
  const patch = createTwoFilesPatch(live ? `live/${key}` : '/dev/null', after ? `after/${key}` : '/dev/null', a, b, undefined, undefined, { context: 3 });
  // The library's first line is a `====` separator meant for multi-file output; a unified diff starts at `---`.
  return { key, change, patch: patch.replace(/^=+\n/, '') };
}
