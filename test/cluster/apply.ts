/**
 * Field ownership for the test API server: server-side apply (merge, conflicts, removal of fields
 * a manager stopped applying) and the `Update` entries that PUT, POST and merge patches record,
 * kept in `metadata.managedFields` with the FieldsV1 notation of sigs.k8s.io/structured-merge-diff
 * (`f:<field>`, `k:{"name":"x"}` for items of keyed lists, `.` for the item itself).
 *
 * Without OpenAPI schemas, list semantics are guessed from the data, close to what the
 * built-in schemas say: `ports` lists are keyed by containerPort or port plus protocol
 * (protocol defaults to TCP), `ownerReferences` by uid, lists whose items all have a string
 * `name` by name; every other list is atomic (owned and replaced as a whole).
 */
import { isDeepStrictEqual } from 'node:util';
import { ApiError } from './status.js';
import type { KObject } from './types.js';

/** One path segment: `f:<field>`, `k:<json of the key fields>` or `.` (the list item itself). */
export type Segment = string;

/** A set of owned paths; each entry is a JSON-encoded Segment array. */
export type FieldSet = Set<string>;

/** One `metadata.managedFields` entry. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The key fields of a list under `field` with these items, or undefined for an atomic list. */
function listKeyFields(field: string, items: Json[]): string[] | undefined {
  if (items.length === 0 || !items.every(isObject)) return undefined;
  const objs = items as Array<Record<string, Json>>;
  if (field === 'ports' && objs.every((i) => typeof i.containerPort === 'number')) return ['containerPort', 'protocol'];
  if (field === 'ports' && objs.every((i) => typeof i.port === 'number')) return ['port', 'protocol'];
  if (field === 'ownerReferences' && objs.every((i) => typeof i.uid === 'string')) return ['uid'];
  if (objs.every((i) => typeof i.name === 'string')) return ['name'];
  return undefined;
}

/** The key of one list item: its key fields, sorted by name; protocol defaults to TCP as the API does. */
function itemKey(keys: string[], item: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const k of [...keys].sort()) {
    const v = item[k] ?? (k === 'protocol' ? 'TCP' : undefined);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function keySegment(keys: string[], item: Record<string, Json>): Segment {
  return `k:${JSON.stringify(itemKey(keys, item))}`;
}

/** Returns true when `item` has the key `segment` (a `k:` segment) names. */
function itemMatches(segment: Segment, item: Json): boolean {
  if (!isObject(item)) return false;
  const key = JSON.parse(segment.slice(2)) as Record<string, Json>;
  return Object.entries(key).every(([k, v]) => isDeepStrictEqual(item[k] ?? (k === 'protocol' ? 'TCP' : undefined), v));
}

function collect(value: Json, field: string, path: Segment[], out: FieldSet): void {
  if (isObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) {
      if (v === null || v === undefined) continue;
      collect(v, k, [...path, `f:${k}`], out);
    }
    return;
  }
  if (Array.isArray(value)) {
    const keys = listKeyFields(field, value);
    if (keys) {
      for (const item of value as Array<Record<string, Json>>) {
        const itemPath = [...path, keySegment(keys, item)];
        out.add(JSON.stringify([...itemPath, '.']));
        for (const [k, v] of Object.entries(item)) {
          if (v === null || v === undefined) continue;
          collect(v, k, [...itemPath, `f:${k}`], out);
        }
      }
      return;
    }
  }
  if (path.length > 0) out.add(JSON.stringify(path));
}

const IGNORED_METADATA = ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'deletionTimestamp', 'selfLink'];

/**
 * Returns a copy of `obj` without what field management does not track: apiVersion, kind, the
 * identity and server-owned metadata, and `.status` when `withStatus` is false.
 */
export function trackedContent(obj: KObject | Record<string, Json>, withStatus: boolean): Record<string, Json> {
  const { apiVersion: _a, kind: _k, ...rest } = structuredClone(obj) as Record<string, Json>;
  if (!withStatus) delete rest.status;
  if (isObject(rest.metadata)) {
    for (const f of IGNORED_METADATA) delete rest.metadata[f];
    if (Object.keys(rest.metadata).length === 0) delete rest.metadata;
  }
  return rest;
}

/** Returns the leaf paths (and list-item paths) of `value`. */
export function fieldSetOf(value: Record<string, Json>): FieldSet {
  const out: FieldSet = new Set();
  collect(value, '', [], out);
  return out;
}

/** Returns the value at `path` (a `.` segment stands for the item the previous segment selected). */
export function valueAt(root: Json, path: Segment[]): { found: boolean; value?: Json } {
  let current: Json = root;
  for (const seg of path) {
    if (seg === '.') continue;
    if (seg.startsWith('f:')) {
      if (!isObject(current) || !(seg.slice(2) in current)) return { found: false };
      current = current[seg.slice(2)];
    } else if (seg.startsWith('k:')) {
      if (!Array.isArray(current)) return { found: false };
      const item = current.find((i) => itemMatches(seg, i));
      if (item === undefined) return { found: false };
      current = item;
    } else {
      return { found: false };
    }
  }
  return { found: true, value: current };
}

/** Deletes the field or list item at `path`; returns false when it was not there. */
function deleteAt(root: Json, path: Segment[]): boolean {
  const last = path[path.length - 1];
  if (last === '.') {
    const itemSeg = path[path.length - 2]!;
    const list = valueAt(root, path.slice(0, -2));
    if (!list.found || !Array.isArray(list.value)) return false;
    const index = list.value.findIndex((i) => itemMatches(itemSeg, i));
    if (index < 0) return false;
    list.value.splice(index, 1);
    return true;
  }
  const parent = valueAt(root, path.slice(0, -1));
  if (!parent.found || !isObject(parent.value) || !last?.startsWith('f:')) return false;
  const field = last.slice(2);
  if (!(field in parent.value)) return false;
  delete parent.value[field];
  return true;
}

/** True for a key field of a keyed list item (`k:{"name":"x"}` then `f:name`): it goes only with its item. */
function isKeyField(path: Segment[]): boolean {
  const item = path[path.length - 2];
  const last = path[path.length - 1];
  if (!item?.startsWith('k:') || !last?.startsWith('f:')) return false;
  return last.slice(2) in (JSON.parse(item.slice(2)) as Record<string, Json>);
}

function isEmpty(v: Json): boolean {
  return (isObject(v) && Object.keys(v).length === 0) || (Array.isArray(v) && v.length === 0);
}

/** Converts a FieldSet to the FieldsV1 tree (`.` first, then keys in sorted order). */
export function toFieldsV1(set: FieldSet): Record<string, unknown> {
  const root: Record<string, Record<string, unknown>> = {};
  for (const encoded of set) {
    let node = root;
    for (const seg of JSON.parse(encoded) as Segment[]) {
      node[seg] ??= {};
      node = node[seg] as Record<string, Record<string, unknown>>;
    }
  }
  const sortTree = (node: Record<string, unknown>): Record<string, unknown> => {
    const keys = Object.keys(node).sort((a, b) => (a === '.' ? -1 : b === '.' ? 1 : a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(keys.map((k) => [k, sortTree(node[k] as Record<string, unknown>)]));
  };
  return sortTree(root);
}

/** Converts a FieldsV1 tree back to a FieldSet. */
export function fromFieldsV1(tree: unknown): FieldSet {
  const out: FieldSet = new Set();
  const walk = (node: unknown, path: Segment[]): void => {
    if (!isObject(node)) return;
    for (const [k, child] of Object.entries(node)) {
      if (k === '.') out.add(JSON.stringify([...path, '.']));
      else if (!isObject(child) || Object.keys(child).length === 0) out.add(JSON.stringify([...path, k]));
      else walk(child, [...path, k]);
    }
  };
  walk(tree, []);
  return out;
}

/** `.spec.template.spec.containers[name="x"].image`, the path notation of conflict messages. */
export function pathString(path: Segment[]): string {
  let out = '';
  for (const seg of path) {
    if (seg.startsWith('f:')) out += `.${seg.slice(2)}`;
    else if (seg.startsWith('k:')) {
      const key = JSON.parse(seg.slice(2)) as Record<string, Json>;
      out += `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
    }
  }
  return out;
}

/** Merges an applied configuration into the live value: maps by key, keyed lists by item key, the rest replaced. */
function mergeApplied(live: Json, config: Json, field: string): Json {
  if (isObject(config) && isObject(live)) {
    const out: Record<string, Json> = { ...live };
    for (const [k, v] of Object.entries(config)) {
      if (v === null || v === undefined) continue;
      out[k] = mergeApplied(live[k], v, k);
    }
    return out;
  }
  if (Array.isArray(config) && Array.isArray(live)) {
    const keys = listKeyFields(field, [...config, ...live]);
    if (keys) {
      const out = [...live];
      for (const item of config as Array<Record<string, Json>>) {
        const seg = keySegment(keys, item);
        const index = out.findIndex((i) => itemMatches(seg, i));
        if (index >= 0) out[index] = mergeApplied(out[index], item, '');
        else out.push(mergeApplied(undefined, item, ''));
      }
      return out;
    }
  }
  if (isObject(config)) return mergeApplied({}, config, field);
  return structuredClone(config);
}

interface Ownership {
  entry: ManagedFieldsEntry;
  set: FieldSet;
}

function readEntries(obj: KObject | undefined): Ownership[] {
  const entries = (obj?.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  return entries.map((entry) => ({ entry: structuredClone(entry), set: fromFieldsV1(entry.fieldsV1) }));
}

function sameEntry(a: ManagedFieldsEntry, manager: string, operation: string, subresource: string | undefined): boolean {
  return a.manager === manager && a.operation === operation && (a.subresource ?? '') === (subresource ?? '');
}

/** How a conflict names a manager, as apimachinery's conflict errors print it. */
function printManager(entry: ManagedFieldsEntry): string {
  let out = JSON.stringify(entry.manager);
  if (entry.subresource) out += ` with subresource ${JSON.stringify(entry.subresource)}`;
  if (entry.operation === 'Update') out += entry.time ? ` using ${entry.apiVersion} at ${entry.time}` : ` using ${entry.apiVersion}`;
  return out;
}

/** The 409 of an apply that conflicts, with the real server's message and FieldManagerConflict causes. */
function conflictError(kind: string, name: string, conflicts: Array<{ entry: ManagedFieldsEntry; path: Segment[] }>): ApiError {
  const causes = conflicts.map((c) => ({ type: 'FieldManagerConflict', message: `conflict with ${printManager(c.entry)}`, field: pathString(c.path) }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0]!.entry)}: ${pathString(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const key = printManager(c.entry);
      byManager.set(key, [...(byManager.get(key) ?? []), pathString(c.path)]);
    }
    const lines = [...byManager.keys()].sort().flatMap((m) => [`conflicts with ${m}:`, ...byManager.get(m)!.map((p) => `- ${p}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { name, kind, causes });
}

/** Keeps in each set only the paths that exist in `obj`; drops entries left empty. */
function finishEntries(owners: Ownership[], obj: Json): ManagedFieldsEntry[] {
  const out: ManagedFieldsEntry[] = [];
  for (const o of owners) {
    const kept: FieldSet = new Set([...o.set].filter((p) => valueAt(obj, JSON.parse(p) as Segment[]).found));
    if (kept.size === 0) continue;
    out.push({ ...o.entry, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(kept) });
  }
  return out;
}

function setsEqual(a: FieldSet, b: FieldSet): boolean {
  return a.size === b.size && [...a].every((p) => b.has(p));
}

/** Input of a server-side apply. */
export interface ApplyRequest {
  /** The stored object, or undefined when the apply creates it. */
  live: KObject | undefined;
  /** The applied configuration (already checked to name the same object). */
  config: KObject;
  manager: string;
  force: boolean;
  /** apiVersion of the request, recorded in the manager's entry. */
  apiVersion: string;
  /** RFC 3339 time for entries that change. */
  now: string;
  /** `status` when applying to the status subresource. */
  subresource?: 'status';
  /** True for a main-resource apply of a kind with a status subresource: `.status` is not applied. */
  ignoreStatus: boolean;
}

/**
 * Returns the object after a server-side apply: the configuration merged into the live object,
 * fields this manager applied before and omits now removed (unless another manager owns them),
 * and `metadata.managedFields` updated (operation Apply). When nothing changes, the result
 * equals the live object (same entry times), so storing it keeps the resourceVersion.
 * Throws ApiError 409 Conflict when a field whose live value differs is owned by another
 * manager and `force` is false; with `force` the ownership moves to this manager.
 */
export function serverSideApply(req: ApplyRequest): KObject {
  const { live, manager, force } = req;
  const scoped: Record<string, Json> = req.subresource === 'status'
    ? (req.config.status === undefined ? {} : { status: structuredClone(req.config.status) })
    : trackedContent(req.config, !req.ignoreStatus);
  const newSet = fieldSetOf(scoped);
  const owners = readEntries(live);
  let mine = owners.find((o) => sameEntry(o.entry, manager, 'Apply', req.subresource));
  const oldSet: FieldSet = mine ? new Set(mine.set) : new Set();
  const others = owners.filter((o) => o !== mine);

  if (live) {
    const conflicts: Array<{ entry: ManagedFieldsEntry; path: Segment[]; owner: Ownership; encoded: string }> = [];
    for (const owner of others) {
      for (const encoded of newSet) {
        if (!owner.set.has(encoded)) continue;
        const path = JSON.parse(encoded) as Segment[];
        if (path[path.length - 1] === '.') continue;
        const liveValue = valueAt(live, path);
        if (liveValue.found && !isDeepStrictEqual(liveValue.value, valueAt(scoped, path).value)) {
          conflicts.push({ entry: owner.entry, path, owner, encoded });
        }
      }
    }
    if (conflicts.length > 0 && !force) throw conflictError(req.config.kind, req.config.metadata.name, conflicts);
    for (const c of conflicts) c.owner.set.delete(c.encoded);
  }

  const base: KObject = live ? structuredClone(live) : {
    apiVersion: req.config.apiVersion, kind: req.config.kind,
    metadata: { name: req.config.metadata.name, ...(req.config.metadata.namespace ? { namespace: req.config.metadata.namespace } : {}) },
  };
  const merged = mergeApplied(base, scoped, '') as KObject;
  if (req.subresource !== 'status') merged.apiVersion = req.config.apiVersion;

  // Fields this manager no longer applies go away unless someone else still owns them (or, for
  // a list item, anything inside it).
  const ownedByOthers = (encoded: string): boolean => {
    const path = JSON.parse(encoded) as Segment[];
    const prefix = path[path.length - 1] === '.' ? JSON.stringify(path.slice(0, -1)).slice(0, -1) : undefined;
    return others.some((o) => o.set.has(encoded) || (prefix !== undefined && [...o.set].some((p) => p.startsWith(prefix))));
  };
  const removed = [...oldSet].filter((p) => !newSet.has(p) && !ownedByOthers(p) && !isKeyField(JSON.parse(p) as Segment[]));
  // Whole list items first (outermost first), then single fields deepest first, so that
  // emptied parents are pruned after their last child went.
  const rank = (p: string): number => (p.endsWith('"."]') ? -1e6 + p.length : -p.length);
  removed.sort((a, b) => rank(a) - rank(b));
  for (const encoded of removed) {
    const path = JSON.parse(encoded) as Segment[];
    if (!deleteAt(merged, path)) continue;
    // Prune maps and lists the removal emptied (metadata and spec stay, as typed objects keep
    // them), unless someone (this manager included) owns the emptied value itself.
    let parentPath = path[path.length - 1] === '.' ? path.slice(0, -2) : path.slice(0, -1);
    while (parentPath.length >= 2 || (parentPath.length === 1 && !['f:metadata', 'f:spec'].includes(parentPath[0]!))) {
      const parent = valueAt(merged, parentPath);
      if (!parent.found || !isEmpty(parent.value)) break;
      const encodedParent = JSON.stringify(parentPath);
      if (newSet.has(encodedParent) || others.some((o) => o.set.has(encodedParent))) break;
      deleteAt(merged, parentPath[parentPath.length - 1]!.startsWith('k:') ? [...parentPath, '.'] : parentPath);
      parentPath = parentPath.slice(0, -1);
    }
  }

  const contentChanged = !live || !isDeepStrictEqual(trackedContent(live, true), trackedContent(merged, true));
  if (!mine) {
    mine = { entry: { manager, operation: 'Apply', apiVersion: req.apiVersion, time: req.now, fieldsType: 'FieldsV1', fieldsV1: {} }, set: newSet };
    if (req.subresource) mine.entry.subresource = req.subresource;
    owners.push(mine);
  } else {
    const changed = contentChanged || !setsEqual(oldSet, newSet) || mine.entry.apiVersion !== req.apiVersion;
    mine.set = newSet;
    if (changed) mine.entry = { ...mine.entry, apiVersion: req.apiVersion, time: req.now };
  }
  const entries = finishEntries(owners, merged);
  if (entries.length > 0) merged.metadata.managedFields = entries;
  else delete merged.metadata.managedFields;
  return merged;
}

/** Input of recording an Update operation (create, PUT, PATCH other than apply). */
export interface UpdateRequest {
  live: KObject | undefined;
  /** The object as it will be stored (server metadata aside). */
  next: KObject;
  manager: string;
  apiVersion: string;
  now: string;
  subresource?: 'status';
}

/**
 * Returns `next` with `metadata.managedFields` updated for an Update by `manager`: fields it
 * added or changed become its own (taken from other managers, as updates always force), fields
 * that disappeared leave every set. Entries whose sets end up empty are dropped.
 */
export function recordUpdate(req: UpdateRequest): KObject {
  const next = structuredClone(req.next);
  const oldContent = req.live ? trackedContent(req.live, true) : {};
  const newContent = trackedContent(next, true);
  const oldLeaves = fieldSetOf(oldContent);
  const newLeaves = fieldSetOf(newContent);
  const changed: FieldSet = new Set([...newLeaves].filter((encoded) => {
    if (!oldLeaves.has(encoded)) return true;
    const path = JSON.parse(encoded) as Segment[];
    if (path[path.length - 1] === '.') return false;
    return !isDeepStrictEqual(valueAt(oldContent, path).value, valueAt(newContent, path).value);
  }));
  const owners = readEntries(req.live);
  let mine = owners.find((o) => sameEntry(o.entry, req.manager, 'Update', req.subresource));
  for (const o of owners) {
    if (o === mine) continue;
    for (const p of changed) o.set.delete(p);
  }
  if (changed.size > 0) {
    if (!mine) {
      mine = { entry: { manager: req.manager, operation: 'Update', apiVersion: req.apiVersion, time: req.now, fieldsType: 'FieldsV1', fieldsV1: {} }, set: new Set() };
      if (req.subresource) mine.entry.subresource = req.subresource;
      owners.push(mine);
    }
    for (const p of changed) mine.set.add(p);
    mine.entry = { ...mine.entry, apiVersion: req.apiVersion, time: req.now };
  }
  next.metadata.managedFields = finishEntries(owners, newContent);
  if ((next.metadata.managedFields as unknown[]).length === 0) delete next.metadata.managedFields;
  return next;
}
