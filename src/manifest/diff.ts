/**
 * Object-by-object comparison of two manifests: which objects were added or removed, and which
 * fields changed inside the objects both have.
 */
import { diffLines } from 'diff';
import { isObject, objectKey, type Json, type K8sObject } from './objects.js';

/** One changed field: its path in the object and the values on each side (undefined = absent). */
export interface FieldChange {
  path: string;
  before: Json | undefined;
  after: Json | undefined;
  /** For multi-line text (an embedded config file): the removed (`- `) and added (`+ `) lines. */
  lines?: string[];
}

/** The difference between two manifests. Keys are `Kind/namespace/name`. */
export interface ManifestDiff {
  added: string[];
  removed: string[];
  changed: { key: string; fields: FieldChange[] }[];
  /** Number of objects equal on both sides. */
  unchanged: number;
}

/**
 * Compares two lists of objects by `Kind/namespace/name`. List elements that are maps with a
 * `name` are matched by name (containers, env, ports), so reordering is not reported as change;
 * other lists are compared by position. Returns keys sorted.
 */
export function diffManifests(before: readonly K8sObject[], after: readonly K8sObject[]): ManifestDiff {
  const a = new Map(before.map((o) => [objectKey(o), o]));
  const b = new Map(after.map((o) => [objectKey(o), o]));
  const result: ManifestDiff = { added: [], removed: [], changed: [], unchanged: 0 };
  for (const key of [...a.keys()].sort()) if (!b.has(key)) result.removed.push(key);
  for (const key of [...b.keys()].sort()) {
    const old = a.get(key);
    if (!old) { result.added.push(key); continue; }
    const fields: FieldChange[] = [];
    diffValues(old as unknown as Json, b.get(key) as unknown as Json, '', fields);
    if (fields.length) result.changed.push({ key, fields });
    else result.unchanged++;
  }
  return result;
}

function named(list: Json[]): boolean {
  const names = list.map((el) => (isObject(el) && typeof el.name === 'string' ? el.name : undefined));
  return list.length > 0 && names.every((n) => n !== undefined) && new Set(names).size === names.length;
}

function join(path: string, key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`;
}

function diffValues(x: Json | undefined, y: Json | undefined, path: string, out: FieldChange[]): void {
  if (isObject(x) && isObject(y)) {
    for (const k of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) diffValues(x[k], y[k], join(path, k), out);
    return;
  }
  if (Array.isArray(x) && Array.isArray(y)) {
    if (named(x) && named(y)) {
      const byName = (l: Json[]) => new Map(l.map((el) => [(el as { name: string }).name, el]));
      const mx = byName(x), my = byName(y);
      for (const n of [...new Set([...mx.keys(), ...my.keys()])]) diffValues(mx.get(n), my.get(n), `${path}[name=${n}]`, out);
      return;
    }
    for (let i = 0; i < Math.max(x.length, y.length); i++) diffValues(x[i], y[i], `${path}[${i}]`, out);
    return;
  }
  if (typeof x === 'string' && typeof y === 'string' && x !== y && (x.includes('\n') || y.includes('\n'))) {
    // Config maps embed whole files: compare JSON structurally, other text line by line.
    const jx = parseJson(x), jy = parseJson(y);
    if (jx !== undefined && jy !== undefined) { diffValues(jx, jy, `${path}(json)`, out); return; }
    const lines = diffLines(x, y).filter((c) => c.added || c.removed)
      .flatMap((c) => c.value.replace(/\n$/, '').split('\n').map((l) => `${c.added ? '+' : '-'} ${l}`));
    out.push({ path, before: x, after: y, lines });
    return;
  }
  if (JSON.stringify(x) !== JSON.stringify(y)) out.push({ path, before: x, after: y });
}

function parseJson(text: string): Json | undefined {
  if (!/^\s*[[{]/.test(text)) return undefined;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

/** Returns the diff as text: `+ added`, `- removed`, `~ changed` with one indented line per field; empty when equal. */
export function formatManifestDiff(d: ManifestDiff, names: [string, string]): string {
  const show = (v: Json | undefined) => (v === undefined ? '(absent)' : JSON.stringify(v));
  const lines: string[] = [];
  for (const k of d.removed) lines.push(`- ${k}  (only in ${names[0]})`);
  for (const k of d.added) lines.push(`+ ${k}  (only in ${names[1]})`);
  for (const c of d.changed) {
    lines.push(`~ ${c.key}`);
    for (const f of c.fields) {
      if (f.lines) lines.push(`    ${f.path}:`, ...f.lines.map((l) => `      ${l}`));
      else lines.push(`    ${f.path}: ${show(f.before)} -> ${show(f.after)}`);
    }
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** Returns the one-line summary: `N added, N removed, N changed, N unchanged`. */
export function summarizeManifestDiff(d: ManifestDiff): string {
  return `${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed, ${d.unchanged} unchanged`;
}
