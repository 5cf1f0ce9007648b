/** Object references: building them from objects, and the two string forms commands use. */
import { apiGroup, type K8sObject } from '../manifest/objects.js';
import type { ObjectRef } from './types.js';

/** Returns the ref of an object (namespace omitted for cluster-scoped objects). */
export function refOf(obj: Pick<K8sObject, 'apiVersion' | 'kind' | 'metadata'>): ObjectRef {
  const ref: ObjectRef = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name };
  if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
  return ref;
}

/** Returns `Kind/namespace/name` (or `Kind/name`), the form istioctl uses in wait messages. */
export function formatRef(ref: Pick<ObjectRef, 'kind' | 'name' | 'namespace'>): string {
  return ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}

/** Returns `group/Kind/namespace/name`: a map key that tells apart kinds of the same name in different groups. */
export function refKey(ref: ObjectRef): string {
  return `${apiGroup(ref.apiVersion)}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}
