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
 *
 * Field sets are tries of path segments internally (the FieldsV1 tree has that shape too), and
 * paths are matched against objects by walking both together: a CRD has thousands of leaf
 * paths, and encoding, hashing and resolving each one from the root dominated every write.
 */
import { isDeepStrictEqual } from 'node:util';
import { ApiError } from './status.js';
import { cloneJson, jsonEqual } from './store.js';
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

/** One node of a Paths trie; `member` when the path that leads here is in the set. */
interface PathNode {
  member: boolean;
  /** When the path joined the set: conflicts are reported in the order the paths were added. */
  seq: number;
  children?: Map<Segment, PathNode>;
}

/**
 * A set of paths as a trie of segments. Nodes may exist without members below them (they are
 * created on the way down); every operation looks at `member` flags only.
 */
class Paths {
  readonly root: PathNode = { member: false, seq: 0 };
  /** Number of member paths. */
  size = 0;
  private added = 0;

  /** Returns the child of `node` for `seg`, creating it. */
  child(node: PathNode, seg: Segment): PathNode {
    let c = node.children?.get(seg);
    if (c === undefined) {
      c = { member: false, seq: 0 };
      (node.children ??= new Map()).set(seg, c);
    }
    return c;
  }

  /** Makes the path that leads to `node` a member. */
  mark(node: PathNode): void {
    if (node.member) return;
    node.member = true;
    node.seq = this.added++;
    this.size++;
  }

  /** Returns the node at `path`, or undefined when no path of the set goes through it. */
  lookup(path: Segment[]): PathNode | undefined {
    let node: PathNode | undefined = this.root;
    for (const seg of path) {
      node = node.children?.get(seg);
      if (node === undefined) return undefined;
    }
    return node;
  }

  has(path: Segment[]): boolean {
    return this.lookup(path)?.member === true;
  }

  add(path: Segment[]): void {
    let node = this.root;
    for (const seg of path) node = this.child(node, seg);
    this.mark(node);
  }

  delete(path: Segment[]): void {
    const node = this.lookup(path);
    if (!node?.member) return;
    node.member = false;
    this.size--;
  }
}

/** Calls `fn` for each member below `node` in trie order; `path` is reused, so copy it to keep it. */
function forEachMember(node: PathNode, path: Segment[], fn: (member: PathNode, path: Segment[]) => void): void {
  if (!node.children) return;
  for (const [seg, child] of node.children) {
    path.push(seg);
    if (child.member) fn(child, path);
    forEachMember(child, path, fn);
    path.pop();
  }
}

/** Returns true when `node` or anything below it is a member. */
function hasMemberBelow(node: PathNode | undefined): boolean {
  if (node === undefined) return false;
  if (node.member) return true;
  if (node.children) for (const c of node.children.values()) if (hasMemberBelow(c)) return true;
  return false;
}

/** Returns the member paths as FieldSet entries, in the order they were added. */
function encodeAll(paths: Paths): FieldSet {
  const members: Array<{ seq: number; encoded: string }> = [];
  forEachMember(paths.root, [], (node, path) => members.push({ seq: node.seq, encoded: JSON.stringify(path) }));
  members.sort((a, b) => a.seq - b.seq);
  return new Set(members.map((m) => m.encoded));
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

/** Decoded `k:` segments (read-only), so that matching list items does not parse JSON each time. */
const parsedKeys = new Map<Segment, Record<string, Json>>();

/** Returns the key fields a `k:` segment names. Throws SyntaxError when they are not JSON. */
function parseKey(segment: Segment): Record<string, Json> {
  if (parsedKeys.has(segment)) return parsedKeys.get(segment)!;
  const key = JSON.parse(segment.slice(2)) as Record<string, Json>;
  // A bound on memory for a long-running server; the keys of one request are few.
  if (parsedKeys.size >= 10_000) parsedKeys.clear();
  parsedKeys.set(segment, key);
  return key;
}

/** Returns true when `item` has the key `segment` (a `k:` segment) names. */
function itemMatches(segment: Segment, item: Json): boolean {
  if (!isObject(item)) return false;
  const key = parseKey(segment);
  for (const [k, v] of Object.entries(key)) {
    const actual = item[k] ?? (k === 'protocol' ? 'TCP' : undefined);
    if (!(typeof v === 'object' && v !== null ? isDeepStrictEqual(actual, v) : Object.is(actual, v))) return false;
  }
  return true;
}

function collect(value: Json, field: string, node: PathNode, out: Paths): void {
  if (isObject(value)) {
    const entries = Object.entries(value);
    if (entries.length > 0) {
      for (const [k, v] of entries) {
        if (v === null || v === undefined) continue;
        collect(v, k, out.child(node, `f:${k}`), out);
      }
      return;
    }
  }
  if (Array.isArray(value)) {
    const keys = listKeyFields(field, value);
    if (keys) {
      for (const item of value as Array<Record<string, Json>>) {
        const itemNode = out.child(node, keySegment(keys, item));
        out.mark(out.child(itemNode, '.'));
        for (const [k, v] of Object.entries(item)) {
          if (v === null || v === undefined) continue;
          collect(v, k, out.child(itemNode, `f:${k}`), out);
        }
      }
      return;
    }
  }
  if (node !== out.root) out.mark(node);
}

const IGNORED_METADATA = ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'deletionTimestamp', 'selfLink'];

/**
 * Returns what field management tracks of `obj`, without copying it: a new top level (and
 * metadata) without apiVersion, kind, the identity and server-owned metadata, and `.status`
 * when `withStatus` is false. Everything below is shared with `obj`, so the result must only
 * be read.
 */
function trackedView(obj: KObject | Record<string, Json>, withStatus: boolean): Record<string, Json> {
  const { apiVersion: _a, kind: _k, ...rest } = obj as Record<string, Json>;
  if (!withStatus) delete rest.status;
  if (isObject(rest.metadata)) {
    const metadata = { ...rest.metadata };
    for (const f of IGNORED_METADATA) delete metadata[f];
    if (Object.keys(metadata).length === 0) delete rest.metadata;
    else rest.metadata = metadata;
  }
  return rest;
}

/**
 * Returns a copy of `obj` without what field management does not track: apiVersion, kind, the
 * identity and server-owned metadata, and `.status` when `withStatus` is false.
 */
export function trackedContent(obj: KObject | Record<string, Json>, withStatus: boolean): Record<string, Json> {
  return cloneJson(trackedView(obj, withStatus));
}

/** Returns the leaf paths (and list-item paths) of `value`. */
function pathsOf(value: Record<string, Json>): Paths {
  const out = new Paths();
  collect(value, '', out.root, out);
  return out;
}

/** Returns the leaf paths (and list-item paths) of `value`. */
export function fieldSetOf(value: Record<string, Json>): FieldSet {
  return encodeAll(pathsOf(value));
}

/** Where a path leads in an object: whether it is there, and the value. */
interface Resolved {
  found: boolean;
  value?: Json;
}

const NOT_FOUND: Resolved = Object.freeze({ found: false });

/** Resolves one segment (not `.`) below `current`. */
function step(current: Json, seg: Segment): Resolved {
  if (seg.startsWith('f:')) {
    const field = seg.slice(2);
    if (!isObject(current) || !(field in current)) return NOT_FOUND;
    return { found: true, value: current[field] };
  }
  if (seg.startsWith('k:')) {
    if (!Array.isArray(current)) return NOT_FOUND;
    const item = current.find((i) => itemMatches(seg, i));
    return item === undefined ? NOT_FOUND : { found: true, value: item };
  }
  return NOT_FOUND;
}

/** Resolves `seg` below an already resolved path, as valueAt does (`.` stays where it is). */
function below(at: Resolved, seg: Segment): Resolved {
  if (!at.found) return NOT_FOUND;
  return seg === '.' ? at : step(at.value, seg);
}

/** Returns the value at `path` (a `.` segment stands for the item the previous segment selected). */
export function valueAt(root: Json, path: Segment[]): { found: boolean; value?: Json } {
  let current: Json = root;
  for (const seg of path) {
    if (seg === '.') continue;
    const next = step(current, seg);
    if (!next.found) return { found: false };
    current = next.value;
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
  return last.slice(2) in parseKey(item);
}

function isEmpty(v: Json): boolean {
  return (isObject(v) && Object.keys(v).length === 0) || (Array.isArray(v) && v.length === 0);
}

/** FieldsV1 order: `.` first, then keys in code-unit order. */
function compareKeys(a: string, b: string): number {
  return a === '.' ? -1 : b === '.' ? 1 : a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Returns the FieldsV1 tree of the members below `node` (`.` first, then keys in sorted order),
 * keeping only the paths found in the object `at` resolves (all of them when `at` is
 * undefined); undefined when none is kept.
 */
function keptTree(node: PathNode, at: Resolved | undefined): Record<string, unknown> | undefined {
  if (!node.children) return undefined;
  const entries: Array<[string, Record<string, unknown>]> = [];
  for (const [seg, child] of node.children) {
    const next = at === undefined ? undefined : below(at, seg);
    if (next !== undefined && !next.found) continue;
    const sub = keptTree(child, next);
    if (sub !== undefined) entries.push([seg, sub]);
    else if (child.member) entries.push([seg, {}]);
  }
  if (entries.length === 0) return undefined;
  entries.sort((a, b) => compareKeys(a[0], b[0]));
  return Object.fromEntries(entries);
}

/** Converts a FieldSet to the FieldsV1 tree (`.` first, then keys in sorted order). */
export function toFieldsV1(set: FieldSet): Record<string, unknown> {
  const paths = new Paths();
  for (const encoded of set) paths.add(JSON.parse(encoded) as Segment[]);
  return keptTree(paths.root, undefined) ?? {};
}

/** Returns the paths of a FieldsV1 tree. */
function pathsFromTree(tree: unknown): Paths {
  const out = new Paths();
  const walk = (node: unknown, at: PathNode): void => {
    if (!isObject(node)) return;
    for (const [k, child] of Object.entries(node)) {
      if (k === '.' || !isObject(child) || Object.keys(child).length === 0) out.mark(out.child(at, k));
      else walk(child, out.child(at, k));
    }
  };
  walk(tree, out.root);
  return out;
}

/** Converts a FieldsV1 tree back to a FieldSet. */
export function fromFieldsV1(tree: unknown): FieldSet {
  return encodeAll(pathsFromTree(tree));
}

/** `.spec.template.spec.containers[name="x"].image`, the path notation of conflict messages. */
export function pathString(path: Segment[]): string {
  let out = '';
  for (const seg of path) {
    if (seg.startsWith('f:')) out += `.${seg.slice(2)}`;
    else if (seg.startsWith('k:')) {
      const key = parseKey(seg);
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
  return cloneJson(config);
}

interface Ownership {
  entry: ManagedFieldsEntry;
  set: Paths;
}

function readEntries(obj: KObject | undefined): Ownership[] {
  const entries = (obj?.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  // A shallow copy of the entry is enough: its fieldsV1 is always replaced, never changed.
  return entries.map((entry) => ({ entry: { ...entry }, set: pathsFromTree(entry.fieldsV1) }));
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

/**
 * Finds the paths applied now (below `applied`) that another manager owns (below `owned`) and
 * whose live value differs from the applied one; `live` and `config` are where the current path
 * leads in the live object and in the applied configuration.
 */
function findConflicts(
  applied: PathNode, owned: PathNode, live: Resolved, config: Resolved, path: Segment[], out: Array<{ path: Segment[]; seq: number }>,
): void {
  if (!applied.children || !owned.children) return;
  for (const [seg, child] of applied.children) {
    const ownedChild = owned.children.get(seg);
    if (ownedChild === undefined) continue;
    const liveChild = below(live, seg);
    // Nothing below a path the live object lacks can conflict.
    if (!liveChild.found) continue;
    const configChild = below(config, seg);
    path.push(seg);
    if (child.member && ownedChild.member && seg !== '.' && !jsonEqual(liveChild.value, configChild.value)) {
      out.push({ path: [...path], seq: child.seq });
    }
    findConflicts(child, ownedChild, liveChild, configChild, path, out);
    path.pop();
  }
}

/** Keeps in each set only the paths that exist in `obj`; drops entries left empty. */
function finishEntries(owners: Ownership[], obj: Json): ManagedFieldsEntry[] {
  const out: ManagedFieldsEntry[] = [];
  const root: Resolved = { found: true, value: obj };
  for (const o of owners) {
    const tree = keptTree(o.set.root, root);
    if (tree === undefined) continue;
    out.push({ ...o.entry, fieldsType: 'FieldsV1', fieldsV1: tree });
  }
  return out;
}

/** Returns true when both sets have the same member paths. */
function setsEqual(a: Paths, b: Paths): boolean {
  if (a.size !== b.size) return false;
  const contains = (x: PathNode, y: PathNode): boolean => {
    if (!x.children) return true;
    for (const [seg, cx] of x.children) {
      const cy = y.children?.get(seg);
      if (cy === undefined) {
        if (hasMemberBelow(cx)) return false;
        continue;
      }
      if (cx.member && !cy.member) return false;
      if (!contains(cx, cy)) return false;
    }
    return true;
  };
  return contains(a.root, b.root);
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
  // Only read below (the merge copies what it takes), so a view of the configuration will do.
  const scoped: Record<string, Json> = req.subresource === 'status'
    ? (req.config.status === undefined ? {} : { status: req.config.status })
    : trackedView(req.config, !req.ignoreStatus);
  const newSet = pathsOf(scoped);
  const owners = readEntries(live);
  let mine = owners.find((o) => sameEntry(o.entry, manager, 'Apply', req.subresource));
  // Never changed below (conflicts only take paths from the other managers' sets).
  const oldSet = mine ? mine.set : new Paths();
  const others = owners.filter((o) => o !== mine);

  if (live) {
    const conflicts: Array<{ entry: ManagedFieldsEntry; path: Segment[]; owner: Ownership }> = [];
    for (const owner of others) {
      const found: Array<{ path: Segment[]; seq: number }> = [];
      findConflicts(newSet.root, owner.set.root, { found: true, value: live }, { found: true, value: scoped }, [], found);
      // In the order the applied paths were collected, as a real server lists them.
      found.sort((a, b) => a.seq - b.seq);
      for (const f of found) conflicts.push({ entry: owner.entry, path: f.path, owner });
    }
    if (conflicts.length > 0 && !force) throw conflictError(req.config.kind, req.config.metadata.name, conflicts);
    for (const c of conflicts) c.owner.set.delete(c.path);
  }

  const base: KObject = live ? cloneJson(live) : {
    apiVersion: req.config.apiVersion, kind: req.config.kind,
    metadata: { name: req.config.metadata.name, ...(req.config.metadata.namespace ? { namespace: req.config.metadata.namespace } : {}) },
  };
  const merged = mergeApplied(base, scoped, '') as KObject;
  if (req.subresource !== 'status') merged.apiVersion = req.config.apiVersion;

  // Fields this manager no longer applies go away unless someone else still owns them (or, for
  // a list item, anything inside it).
  const ownedByOthers = (path: Segment[]): boolean => {
    const item = path[path.length - 1] === '.' ? path.slice(0, -1) : undefined;
    return others.some((o) => o.set.has(path) || (item !== undefined && hasMemberBelow(o.set.lookup(item))));
  };
  const removed: Array<{ path: Segment[]; encoded: string }> = [];
  const collectRemoved = (node: PathNode, applied: PathNode | undefined, path: Segment[]): void => {
    if (!node.children) return;
    for (const [seg, child] of node.children) {
      const appliedChild = applied?.children?.get(seg);
      path.push(seg);
      if (child.member && !appliedChild?.member && !ownedByOthers(path) && !isKeyField(path)) {
        removed.push({ path: [...path], encoded: JSON.stringify(path) });
      }
      collectRemoved(child, appliedChild, path);
      path.pop();
    }
  };
  collectRemoved(oldSet.root, newSet.root, []);
  // Whole list items first (outermost first), then single fields deepest first, so that
  // emptied parents are pruned after their last child went.
  const rank = (p: string): number => (p.endsWith('"."]') ? -1e6 + p.length : -p.length);
  removed.sort((a, b) => rank(a.encoded) - rank(b.encoded));
  for (const { path } of removed) {
    if (!deleteAt(merged, path)) continue;
    // Prune maps and lists the removal emptied (metadata and spec stay, as typed objects keep
    // them), unless someone (this manager included) owns the emptied value itself.
    let parentPath = path[path.length - 1] === '.' ? path.slice(0, -2) : path.slice(0, -1);
    while (parentPath.length >= 2 || (parentPath.length === 1 && !['f:metadata', 'f:spec'].includes(parentPath[0]!))) {
      const parent = valueAt(merged, parentPath);
      if (!parent.found || !isEmpty(parent.value)) break;
      if (newSet.has(parentPath) || others.some((o) => o.set.has(parentPath))) break;
      deleteAt(merged, parentPath[parentPath.length - 1]!.startsWith('k:') ? [...parentPath, '.'] : parentPath);
      parentPath = parentPath.slice(0, -1);
    }
  }

  const contentChanged = !live || !jsonEqual(trackedView(live, true), trackedView(merged, true));
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
  const next = cloneJson(req.next);
  // Views, only read: `next` is not changed until its entries are computed.
  const oldContent = req.live ? trackedView(req.live, true) : {};
  const newContent = trackedView(next, true);
  const oldLeaves = pathsOf(oldContent);
  const newLeaves = pathsOf(newContent);
  // Leaves that are new, or whose value changed (list items count as changed only when new).
  const changed: Segment[][] = [];
  const collectChanged = (node: PathNode, oldNode: PathNode | undefined, oldAt: Resolved, newAt: Resolved, path: Segment[]): void => {
    if (!node.children) return;
    for (const [seg, child] of node.children) {
      const oldChild = oldNode?.children?.get(seg);
      const oldValue = below(oldAt, seg);
      const newValue = below(newAt, seg);
      path.push(seg);
      if (child.member && (!oldChild?.member || (seg !== '.' && !jsonEqual(oldValue.value, newValue.value)))) changed.push([...path]);
      collectChanged(child, oldChild, oldValue, newValue, path);
      path.pop();
    }
  };
  collectChanged(newLeaves.root, oldLeaves.root, { found: true, value: oldContent }, { found: true, value: newContent }, []);
  const owners = readEntries(req.live);
  let mine = owners.find((o) => sameEntry(o.entry, req.manager, 'Update', req.subresource));
  for (const o of owners) {
    if (o === mine) continue;
    for (const p of changed) o.set.delete(p);
  }
  if (changed.length > 0) {
    if (!mine) {
      mine = { entry: { manager: req.manager, operation: 'Update', apiVersion: req.apiVersion, time: req.now, fieldsType: 'FieldsV1', fieldsV1: {} }, set: new Paths() };
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
