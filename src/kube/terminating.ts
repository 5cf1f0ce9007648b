/**
 * Why an object that is being deleted is still there. On a real API server a delete only marks
 * the object (`metadata.deletionTimestamp`) while anything in `metadata.finalizers` remains: the
 * garbage collector's `foregroundDeletion` until the object's dependents are gone, the
 * apiextensions server's `customresourcecleanup.apiextensions.k8s.io` until a CRD's custom
 * resources are deleted, any controller's own finalizer until that controller removes it; and a
 * Namespace stays `Terminating` until the namespace controller has deleted everything in it,
 * reporting what it waits for in the Namespace's status conditions. Shared by install (a
 * Terminating install namespace takes no new objects) and uninstall (waiting for its deletes).
 */
import { isObject, type Json, type JsonObject, type K8sObject } from '../manifest/objects.js';

/** Finalizer of a delete with foreground propagation, removed once the dependents are gone. */
const FOREGROUND = 'foregroundDeletion';
/** Finalizer of a CRD, removed once its custom resources are deleted. */
const CRD_CLEANUP = 'customresourcecleanup.apiextensions.k8s.io';
/** Finalizer of a Namespace (`spec.finalizers`), removed once its content is deleted. */
const NAMESPACE_FINALIZER = 'kubernetes';

/**
 * Namespace conditions the namespace controller sets to `True` when content, or a failure to
 * delete it, holds the namespace (k8s.io/api core/v1 NamespaceConditionType).
 */
const NAMESPACE_HOLDS = [
  'NamespaceDeletionDiscoveryFailure', 'NamespaceDeletionGroupVersionParsingFailure', 'NamespaceDeletionContentFailure',
  'NamespaceFinalizersRemaining', 'NamespaceContentRemaining',
];

function conditions(obj: K8sObject): JsonObject[] {
  const status = obj.status as Json | undefined;
  const list = isObject(status) ? status.conditions : undefined;
  return Array.isArray(list) ? list.filter(isObject) : [];
}

function text(v: Json | undefined): string {
  return typeof v === 'string' ? v : '';
}

/** True when the object has been deleted but is still there (its deletion has not finished). */
export function isTerminating(obj: K8sObject): boolean {
  return typeof obj.metadata.deletionTimestamp === 'string' && obj.metadata.deletionTimestamp !== '';
}

/**
 * Returns what keeps a deleted object in the cluster, for messages, e.g. `held by finalizer
 * example.com/hold, which nothing has removed yet` or, for a Namespace, its controller's
 * conditions (`Some content in the namespace has finalizers remaining: example.com/hold in 1
 * resource instances`). Returns undefined for an object that is not being deleted.
 */
export function terminationReason(obj: K8sObject): string | undefined {
  if (!isTerminating(obj)) return undefined;
  const parts: string[] = [];
  if (obj.kind === 'Namespace') {
    const holds = conditions(obj).filter((c) => c.status === 'True' && NAMESPACE_HOLDS.includes(text(c.type)) && text(c.message));
    // Finalizers first: they are what someone has to act on; the remaining content follows from them.
    holds.sort((a, b) => NAMESPACE_HOLDS.indexOf(text(a.type)) - NAMESPACE_HOLDS.indexOf(text(b.type)));
    parts.push(...holds.map((c) => text(c.message)));
    if (parts.length === 0) parts.push('its content is still being deleted');
  }
  const finalizers = (Array.isArray(obj.metadata.finalizers) ? obj.metadata.finalizers : []).filter((f): f is string => typeof f === 'string');
  if (finalizers.includes(FOREGROUND)) parts.push('its dependents (such as a Deployment\'s ReplicaSets and their Pods) are still being deleted');
  if (finalizers.includes(CRD_CLEANUP)) {
    const cleanup = conditions(obj).find((c) => c.type === 'Terminating' && c.status === 'True');
    parts.push(`its custom resources are still being deleted${cleanup && text(cleanup.message) ? ` (${text(cleanup.message)})` : ''}`);
  }
  const others = finalizers.filter((f) => f !== FOREGROUND && f !== CRD_CLEANUP && f !== NAMESPACE_FINALIZER);
  if (others.length) parts.push(`held by finalizer${others.length === 1 ? '' : 's'} ${others.join(', ')}, which nothing has removed yet`);
  return parts.join('; ') || 'its deletion is in progress';
}
