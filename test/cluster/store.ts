/**
 * The in-memory object store of the test API server. It owns the metadata the real server owns
 * (uid, resourceVersion from one global counter, creationTimestamp, generation), cascades
 * deletes the way the garbage collector and namespace controller would (synchronously, so a GET
 * right after a DELETE is already 404), and notifies subscribers after every commit.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { groupOf } from './resources.js';
import type { KObject, ObjectStore, StoreEvent, StoreRef } from './types.js';

/** How a delete treats dependents (objects whose ownerReferences name the deleted uid). */
export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/** The metadata fields the server owns; writes cannot set them. */
export const SERVER_METADATA = ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields', 'deletionTimestamp', 'selfLink'] as const;

/**
 * Built-in kinds that carry `metadata.generation` (their registry strategies set and bump it).
 * Custom resources always do. Others (ConfigMap, Service, Namespace, Pod, ...) do not.
 */
const GENERATION_KINDS = new Set([
  'apps/Deployment', 'apps/DaemonSet', 'apps/ReplicaSet', 'apps/StatefulSet', 'batch/Job', 'policy/PodDisruptionBudget',
  'autoscaling/HorizontalPodAutoscaler', 'apiextensions.k8s.io/CustomResourceDefinition',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration', 'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
]);

/** Groups of built-in kinds; any other group is a custom resource. */
const BUILTIN_GROUPS = new Set(['', 'apps', 'batch', 'policy', 'autoscaling', 'apiextensions.k8s.io', 'admissionregistration.k8s.io',
  'rbac.authorization.k8s.io', 'authorization.k8s.io']);

/** Returns true when objects of this group/kind carry `metadata.generation`. */
export function hasGeneration(group: string, kind: string): boolean {
  return !BUILTIN_GROUPS.has(group) || GENERATION_KINDS.has(`${group}/${kind}`);
}

/** Returns the part of an object that moves its generation: everything but metadata and status. */
function generationContent(obj: KObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

/** RFC 3339 time with second precision, as Kubernetes timestamps are written. */
export function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function keyOf(group: string, kind: string, namespace: string | undefined, name: string): string {
  return `${group}\u0000${kind}\u0000${namespace ?? ''}\u0000${name}`;
}

/** Returns the store key parts of an object. */
export function refOf(obj: KObject): StoreRef {
  return { group: groupOf(obj.apiVersion), kind: obj.kind, namespace: obj.metadata.namespace || undefined, name: obj.metadata.name };
}

/** The result of preparing a write: the object as it would be stored, and whether it differs. */
export interface PreparedWrite {
  object: KObject;
  existing: KObject | undefined;
  /** False when the write would change nothing (then committing keeps the resourceVersion). */
  changed: boolean;
}

/**
 * The test server's store; implements the ObjectStore contract of types.ts and adds what the
 * HTTP layer needs (prepared writes for dry runs, deletes with a propagation policy, the
 * current resourceVersion for list metadata).
 */
export class MemoryStore implements ObjectStore {
  private readonly objects = new Map<string, KObject>();
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private revision = 0;
  private readonly pending: StoreEvent[] = [];
  private delivering = false;

  /** `now` is the clock for creationTimestamp and managedFields times. */
  constructor(readonly now: () => Date = () => new Date()) {}

  /** The resourceVersion of the last commit, as a string (what a List reports). */
  resourceVersion(): string {
    return String(this.revision);
  }

  get(ref: StoreRef): KObject | undefined {
    const obj = this.objects.get(keyOf(ref.group, ref.kind, ref.namespace, ref.name));
    return obj && structuredClone(obj);
  }

  list(group: string, kind: string, namespace?: string): KObject[] {
    const out: KObject[] = [];
    for (const obj of this.objects.values()) {
      if (obj.kind !== kind || groupOf(obj.apiVersion) !== group) continue;
      if (namespace !== undefined && (obj.metadata.namespace ?? '') !== namespace) continue;
      out.push(structuredClone(obj));
    }
    return out.sort(compareObjects);
  }

  /** Every stored object (copies), for cascades and cross-kind lookups. */
  all(): KObject[] {
    return [...this.objects.values()].map((o) => structuredClone(o));
  }

  /** Refs of the stored objects `pick` selects; `pick` sees the stored objects and must not change them. */
  private refsWhere(pick: (obj: KObject) => boolean): StoreRef[] {
    const out: StoreRef[] = [];
    for (const obj of this.objects.values()) if (pick(obj)) out.push(refOf(obj));
    return out;
  }

  put(obj: KObject): KObject {
    return this.commit(this.prepare(obj));
  }

  putStatus(ref: StoreRef, status: unknown): KObject | undefined {
    const existing = this.get(ref);
    if (!existing) return undefined;
    return this.put({ ...existing, status });
  }

  remove(ref: StoreRef): boolean {
    return this.delete(ref, 'Background') !== undefined;
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Returns `obj` as it would be stored: server-owned metadata filled in from the existing object
   * (uid, creationTimestamp; a new uid for a create), generation set or bumped when anything but
   * metadata and status changed. The managedFields of `obj` are kept as given. Stores nothing.
   */
  prepare(obj: KObject): PreparedWrite {
    const next = structuredClone(obj);
    const ref = refOf(next);
    if (!ref.name) throw new Error(`store: ${next.kind} without metadata.name`);
    const existing = this.objects.get(keyOf(ref.group, ref.kind, ref.namespace, ref.name));
    const meta = next.metadata as Record<string, unknown>;
    meta.uid = existing?.metadata.uid ?? meta.uid ?? randomUUID();
    meta.creationTimestamp = existing?.metadata.creationTimestamp ?? meta.creationTimestamp ?? timestamp(this.now());
    delete meta.resourceVersion;
    if (hasGeneration(ref.group, ref.kind)) {
      const previous = existing?.metadata.generation as number | undefined;
      if (previous === undefined) meta.generation = 1;
      else meta.generation = isDeepStrictEqual(generationContent(existing!), generationContent(next)) ? previous : previous + 1;
    } else {
      delete meta.generation;
    }
    if (existing) {
      const { resourceVersion: _rv, ...existingMeta } = existing.metadata;
      const changed = !isDeepStrictEqual({ ...existing, metadata: existingMeta }, next);
      if (!changed) return { object: structuredClone(existing), existing: structuredClone(existing), changed };
      (next.metadata as Record<string, unknown>).resourceVersion = existing.metadata.resourceVersion;
      return { object: next, existing: structuredClone(existing), changed };
    }
    return { object: next, existing: undefined, changed: true };
  }

  /** Stores a prepared write (bumping the resourceVersion) unless it changes nothing; returns the stored copy. */
  commit(write: PreparedWrite): KObject {
    if (!write.changed) return structuredClone(write.object);
    const obj = structuredClone(write.object);
    obj.metadata.resourceVersion = String(++this.revision);
    const ref = refOf(obj);
    const key = keyOf(ref.group, ref.kind, ref.namespace, ref.name);
    const type = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    this.objects.set(key, obj);
    this.notify({ type, object: structuredClone(obj) });
    return structuredClone(obj);
  }

  /**
   * Deletes an object and handles its dependents per `policy`: deleted (Background: after the
   * owner; Foreground: before it) or kept with the owner reference removed (Orphan). Deleting a
   * Namespace deletes everything in it; deleting a CRD deletes its custom resources. Returns the
   * deleted object (with the resourceVersion of the deletion), or undefined when it did not exist.
   */
  delete(ref: StoreRef, policy: PropagationPolicy): KObject | undefined {
    const key = keyOf(ref.group, ref.kind, ref.namespace, ref.name);
    const obj = this.objects.get(key);
    if (!obj) return undefined;
    const uid = obj.metadata.uid as string;
    if (policy === 'Foreground') this.handleDependents(uid, policy);
    this.objects.delete(key);
    obj.metadata.resourceVersion = String(++this.revision);
    this.notify({ type: 'DELETED', object: structuredClone(obj) });
    if (policy !== 'Foreground') this.handleDependents(uid, policy);
    if (ref.group === '' && ref.kind === 'Namespace') {
      for (const r of this.refsWhere((o) => o.metadata.namespace === ref.name)) this.delete(r, 'Background');
    }
    if (ref.group === 'apiextensions.k8s.io' && ref.kind === 'CustomResourceDefinition') {
      const spec = obj.spec as { group?: string; names?: { kind?: string } } | undefined;
      for (const r of this.refsWhere((o) => groupOf(o.apiVersion) === spec?.group && o.kind === spec?.names?.kind)) this.delete(r, 'Background');
    }
    return structuredClone(obj);
  }

  private handleDependents(ownerUid: string, policy: PropagationPolicy): void {
    const owned = (o: KObject): boolean => ((o.metadata.ownerReferences ?? []) as Array<{ uid?: string }>).some((r) => r.uid === ownerUid);
    for (const ref of this.refsWhere(owned)) {
      const dependent = this.get(ref);
      if (!dependent) continue;
      if (policy === 'Orphan') {
        const rest = (dependent.metadata.ownerReferences as Array<{ uid?: string }>).filter((r) => r.uid !== ownerUid);
        if (rest.length > 0) dependent.metadata.ownerReferences = rest;
        else delete dependent.metadata.ownerReferences;
        this.put(dependent);
      } else {
        this.delete(ref, policy);
      }
    }
  }

  /**
   * Delivers events in commit order: a subscriber that writes while being notified (a controller
   * reacting to a change) queues its event behind the one being delivered.
   */
  private notify(event: StoreEvent): void {
    this.pending.push(event);
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let next = this.pending.shift(); next; next = this.pending.shift()) {
        for (const listener of [...this.listeners]) {
          try {
            listener(structuredClone(next));
          } catch {
            // A failing subscriber must not break the write that notified it.
          }
        }
      }
    } finally {
      this.delivering = false;
    }
  }
}

/** Orders objects by namespace, then name (the order the real server's lists use). */
export function compareObjects(a: KObject, b: KObject): number {
  const na = a.metadata.namespace ?? '';
  const nb = b.metadata.namespace ?? '';
  if (na !== nb) return na < nb ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}
