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

/**
 * Returns a deep copy of a JSON value (what the store keeps and hands out). Plain objects,
 * arrays and primitives are copied directly, which is several times faster than structuredClone
 * for API objects of 100 KB. Anything else (a Date, a Map, a class instance) goes through
 * structuredClone, so for JSON data the result is what structuredClone would return.
 */
export function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return typeof value === 'function' ? structuredClone(value) : value;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return structuredClone(value);
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) if (i in value) out[i] = cloneJson(value[i] as unknown);
    return out as T;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    const v = cloneJson((value as Record<string, unknown>)[k]);
    // An own `__proto__` key (JSON.parse makes one) must stay a key, not set the prototype.
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  }
  return out as T;
}

/**
 * Returns true when two values are deeply and strictly equal, as util.isDeepStrictEqual decides.
 * Plain objects and arrays are compared directly (about ten times faster for large API objects);
 * other objects are left to isDeepStrictEqual.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // Primitives (and functions) compare as Object.is, as in isDeepStrictEqual.
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return Object.is(a, b);
  const protoA = Object.getPrototypeOf(a) as unknown;
  if (protoA !== Object.getPrototypeOf(b)) return false;
  if (protoA === Array.prototype) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) {
      if (!(i in x) || !(i in y)) return isDeepStrictEqual(a, b);
      if (!jsonEqual(x[i], y[i])) return false;
    }
    return Object.keys(x).length === x.length && Object.keys(y).length === y.length ? true : isDeepStrictEqual(a, b);
  }
  if (protoA !== Object.prototype && protoA !== null) return isDeepStrictEqual(a, b);
  if (Object.getOwnPropertySymbols(a).length > 0 || Object.getOwnPropertySymbols(b).length > 0) return isDeepStrictEqual(a, b);
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const k of keys) {
    if (!Object.prototype.propertyIsEnumerable.call(y, k) || !jsonEqual(x[k], y[k])) return false;
  }
  return true;
}

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

/**
 * A PreparedWrite whose `existing` copy is made only when someone reads it (the API layer never
 * does). `stored` is the stored object, which the store never changes in place.
 */
function preparedWrite(object: KObject, stored: KObject, changed: boolean): PreparedWrite {
  let copy: KObject | undefined;
  return {
    object,
    changed,
    get existing(): KObject {
      return (copy ??= cloneJson(stored));
    },
  };
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
  /** Subscribers in subscription order; true for those that take the stored objects themselves. */
  private readonly listeners = new Map<(event: StoreEvent) => void, boolean>();
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
    return obj && cloneJson(obj);
  }

  /**
   * Returns the stored object itself, not a copy, for callers that only read it (the API layer,
   * the CRD controller): copying a large object costs more than most requests. It must not be
   * changed; the store does not change it either (every write stores a new object).
   */
  peek(ref: StoreRef): KObject | undefined {
    return this.objects.get(keyOf(ref.group, ref.kind, ref.namespace, ref.name));
  }

  list(group: string, kind: string, namespace?: string): KObject[] {
    const out: KObject[] = [];
    for (const obj of this.objects.values()) {
      if (obj.kind !== kind || groupOf(obj.apiVersion) !== group) continue;
      if (namespace !== undefined && (obj.metadata.namespace ?? '') !== namespace) continue;
      out.push(cloneJson(obj));
    }
    return out.sort(compareObjects);
  }

  /** Every stored object (copies), for cascades and cross-kind lookups. */
  all(): KObject[] {
    return [...this.objects.values()].map((o) => cloneJson(o));
  }

  /** Refs of the stored objects `pick` selects; `pick` sees the stored objects and must not change them. */
  private refsWhere(pick: (obj: KObject) => boolean): StoreRef[] {
    const out: StoreRef[] = [];
    for (const obj of this.objects.values()) if (pick(obj)) out.push(refOf(obj));
    return out;
  }

  put(obj: KObject): KObject {
    return cloneJson(this.save(cloneJson(obj), false));
  }

  putStatus(ref: StoreRef, status: unknown): KObject | undefined {
    const existing = this.peek(ref);
    if (!existing) return undefined;
    // Stored objects never change, so the new one may share everything but metadata (which
    // save() fills in) and the status with the old one.
    return cloneJson(this.save({ ...existing, metadata: { ...existing.metadata }, status: cloneJson(status) }, false));
  }

  remove(ref: StoreRef): boolean {
    return this.delete(ref, 'Background') !== undefined;
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.set(listener, false);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Subscribes like subscribe(), but the events carry the stored objects themselves rather than
   * copies, for listeners that only read them (watches, the CRD controller). Returns the
   * unsubscribe function.
   */
  subscribeShared(listener: (event: StoreEvent) => void): () => void {
    this.listeners.set(listener, true);
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
    const { object, existing, changed } = this.prepareOwned(cloneJson(obj));
    if (!existing) return { object, existing: undefined, changed };
    return preparedWrite(changed ? object : cloneJson(existing), existing, changed);
  }

  /**
   * prepare() and, unless `dryRun`, commit() without their copies, for the API layer, whose
   * objects are its own. The store takes `obj` (the caller must not use it afterwards) and
   * returns the object as stored (or as it would be, in a dry run), which must only be read.
   */
  save(obj: KObject, dryRun: boolean): KObject {
    const { object, changed } = this.prepareOwned(obj);
    return dryRun || !changed ? object : this.store(object);
  }

  /**
   * What prepare() does, on `next` itself (its metadata is changed): returns the object to store
   * (the stored one when nothing changes), the stored object, and whether they differ.
   */
  private prepareOwned(next: KObject): { object: KObject; existing: KObject | undefined; changed: boolean } {
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
      else meta.generation = jsonEqual(generationContent(existing!), generationContent(next)) ? previous : previous + 1;
    } else {
      delete meta.generation;
    }
    if (existing) {
      const { resourceVersion: _rv, ...existingMeta } = existing.metadata;
      const changed = !jsonEqual({ ...existing, metadata: existingMeta }, next);
      if (!changed) return { object: existing, existing, changed };
      (next.metadata as Record<string, unknown>).resourceVersion = existing.metadata.resourceVersion;
      return { object: next, existing, changed };
    }
    return { object: next, existing: undefined, changed: true };
  }

  /** Stores a prepared write (bumping the resourceVersion) unless it changes nothing; returns the stored copy. */
  commit(write: PreparedWrite): KObject {
    if (!write.changed) return cloneJson(write.object);
    return cloneJson(this.store(cloneJson(write.object)));
  }

  /** Stores `obj` (now the store's) with the next resourceVersion, notifies, and returns it. */
  private store(obj: KObject): KObject {
    obj.metadata.resourceVersion = String(++this.revision);
    const ref = refOf(obj);
    const key = keyOf(ref.group, ref.kind, ref.namespace, ref.name);
    const type = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    this.objects.set(key, obj);
    // Stored objects are never changed in place, so the event can refer to this one: every
    // subscriber but the shared ones gets its own copy when it is delivered.
    this.notify({ type, object: obj });
    return obj;
  }

  /**
   * Deletes an object and handles its dependents per `policy`: deleted (Background: after the
   * owner; Foreground: before it) or kept with the owner reference removed (Orphan). Deleting a
   * Namespace deletes everything in it; deleting a CRD deletes its custom resources. Returns the
   * deleted object (with the resourceVersion of the deletion), or undefined when it did not exist.
   */
  delete(ref: StoreRef, policy: PropagationPolicy): KObject | undefined {
    const key = keyOf(ref.group, ref.kind, ref.namespace, ref.name);
    const stored = this.objects.get(key);
    if (!stored) return undefined;
    const uid = stored.metadata.uid as string;
    if (policy === 'Foreground') this.handleDependents(uid, policy);
    this.objects.delete(key);
    // A new object rather than a change to the stored one: events still waiting for delivery
    // (and prepared writes) may refer to it.
    const obj: KObject = { ...stored, metadata: { ...stored.metadata, resourceVersion: String(++this.revision) } };
    this.notify({ type: 'DELETED', object: obj });
    if (policy !== 'Foreground') this.handleDependents(uid, policy);
    if (ref.group === '' && ref.kind === 'Namespace') {
      for (const r of this.refsWhere((o) => o.metadata.namespace === ref.name)) this.delete(r, 'Background');
    }
    if (ref.group === 'apiextensions.k8s.io' && ref.kind === 'CustomResourceDefinition') {
      const spec = obj.spec as { group?: string; names?: { kind?: string } } | undefined;
      for (const r of this.refsWhere((o) => groupOf(o.apiVersion) === spec?.group && o.kind === spec?.names?.kind)) this.delete(r, 'Background');
    }
    return cloneJson(obj);
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
        for (const [listener, shared] of [...this.listeners]) {
          try {
            listener(shared ? next : cloneJson(next));
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
