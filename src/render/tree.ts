/**
 * Paths into configuration trees and the overlay merge: the `--set` grammar of istioctl
 * (operator/pkg/values/map.go): `a.b[0].c`, `list[key:value].field`, `\.` to escape a dot.
 */
import { UsageError } from '../errors.js';
import { isObject, type Json, type JsonObject } from '../manifest/objects.js';

/** One step of a path: a map key, a list index, or a list element selected by one of its fields. */
export type PathStep =
  | { kind: 'key'; key: string }
  | { kind: 'index'; index: number }
  | { kind: 'select'; field: string; value: string };

/**
 * Bounds on a path, far above any real one (the longest Istio 1.30 values path has 9 segments and
 * under 100 characters; a ConfigMap key is at most 253 characters). They make a hostile path a
 * usage error at once instead of seconds of work, a stack overflow or a regular expression too
 * large for the engine (messages match paths with regular expressions built from them).
 */
export const PATH_LIMITS = {
  /** Steps: keys, indices and selectors. */
  steps: 100,
  /** Characters of one dot-separated segment (a key and its brackets). */
  segment: 1024,
  /** Characters of the whole path. */
  path: 4096,
} as const;

/** Returns `text` cut to a readable length for a message, saying how long it was. */
export function clipForMessage(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length} characters)`;
}

/**
 * Parses a dotted path into steps. `\.` keeps a dot inside a key (`values.pilot.env.A\.B`).
 * Throws UsageError on empty segments, malformed brackets and paths beyond PATH_LIMITS.
 */
export function parsePath(path: string): PathStep[] {
  const count = (n: number) => n.toLocaleString('en-US');
  const tooLong = (what: string, limit: number) =>
    new UsageError(`invalid path "${clipForMessage(path)}": ${what}, more than the ${count(limit)} meshctl accepts`);
  if (path.length > PATH_LIMITS.path) throw tooLong(`${count(path.length)} characters`, PATH_LIMITS.path);
  const steps: PathStep[] = [];
  const segments: string[] = [];
  let current = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === '\\' && path[i + 1] === '.') { current += '.'; i++; continue; }
    if (ch === '.') { segments.push(current); current = ''; continue; }
    current += ch;
  }
  segments.push(current);
  if (segments.length > PATH_LIMITS.steps) throw tooLong(`${count(segments.length)} segments`, PATH_LIMITS.steps);
  for (const seg of segments) {
    if (seg.length > PATH_LIMITS.segment) throw tooLong(`a segment of ${count(seg.length)} characters`, PATH_LIMITS.segment);
    const m = /^([^[\]]*)((?:\[[^\]]*\])*)$/.exec(seg);
    if (!m || (m[1] === '' && m[2] === '')) throw new UsageError(`invalid path "${clipForMessage(path)}": empty or malformed segment "${clipForMessage(seg, 40)}"`);
    if (m[1] !== '') steps.push({ kind: 'key', key: m[1]! });
    for (const b of m[2]!.matchAll(/\[([^\]]*)\]/g)) {
      const inner = b[1]!;
      const colon = inner.indexOf(':');
      if (colon > 0) steps.push({ kind: 'select', field: inner.slice(0, colon), value: inner.slice(colon + 1) });
      else if (/^\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else throw new UsageError(`invalid path "${clipForMessage(path)}": "[${clipForMessage(inner, 40)}]" is neither an index nor a key:value selector`);
    }
  }
  if (steps.length > PATH_LIMITS.steps) throw tooLong(`${count(steps.length)} steps`, PATH_LIMITS.steps);
  return steps;
}

/** Formats steps back into a path string, for messages. */
export function formatPath(steps: readonly PathStep[]): string {
  let out = '';
  for (const s of steps) {
    if (s.kind === 'key') out += (out ? '.' : '') + s.key.replaceAll('.', '\\.');
    else if (s.kind === 'index') out += `[${s.index}]`;
    else out += `[${s.field}:${s.value}]`;
  }
  return out;
}

/**
 * Sets `value` at `steps` inside `root`, creating maps and lists on the way. An index equal to a
 * list's length appends one element, as istioctl does; an index beyond it is a UsageError naming
 * the list's length (istioctl appends there too, so `ingressGateways[99]` silently became a second
 * default gateway), unless `pastEnd` is `'append'`. A `[field:value]` selector must match an
 * existing element: unlike istioctl it is resolved against the merged configuration (profile and
 * files included), and a miss names the elements that do exist. Throws UsageError when the path
 * crosses a scalar or misses a selector.
 */
export function setPath(root: JsonObject, steps: readonly PathStep[], value: Json, pastEnd: 'error' | 'append' = 'error'): void {
  if (steps.length === 0) throw new UsageError('empty path');
  let node: Json = root;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const last = i === steps.length - 1;
    const next = steps[i + 1];
    const fresh = (): Json => (next && next.kind !== 'key' ? [] : {});
    const where = formatPath(steps.slice(0, i)) || '(root)';
    if (step.kind === 'key') {
      if (!isObject(node)) throw new UsageError(`cannot set "${formatPath(steps)}": ${where} is not a map`);
      if (last) { node[step.key] = value; return; }
      let child: Json | undefined = node[step.key];
      if (child === undefined || child === null || (typeof child !== 'object')) { child = fresh(); node[step.key] = child; }
      node = child;
    } else {
      if (!Array.isArray(node)) throw new UsageError(`cannot set "${formatPath(steps)}": ${where} is not a list`);
      let idx: number;
      if (step.kind === 'index') {
        if (step.index > node.length && pastEnd === 'error') {
          throw new UsageError(`cannot set "${formatPath(steps)}": index ${step.index} is past the end of ${where}, which has ` +
            `${node.length} element${node.length === 1 ? '' : 's'} (use [${node.length}] to add one)`);
        }
        idx = Math.min(step.index, node.length);
      } else {
        idx = node.findIndex((el) => isObject(el) && String(el[step.field]) === step.value);
        if (idx < 0) {
          const names = node.filter(isObject).map((el) => String(el[step.field])).filter((v) => v !== 'undefined');
          throw new UsageError(`cannot set "${formatPath(steps)}": no element with ${step.field} "${step.value}" in ${where}` +
            (names.length ? ` (found: ${names.join(', ')})` : ' (the list is empty)'));
        }
      }
      if (last) { node[idx] = value; return; }
      let child: Json | undefined = node[idx];
      if (child === undefined || child === null || typeof child !== 'object') { child = fresh(); node[idx] = child; }
      node = child;
    }
  }
}

/** Returns the value at `steps`, or undefined when any step is missing. */
export function getPath(root: Json | undefined, steps: readonly PathStep[]): Json | undefined {
  let node: Json | undefined = root;
  for (const step of steps) {
    if (node === undefined || node === null) return undefined;
    if (step.kind === 'key') node = isObject(node) ? node[step.key] : undefined;
    else if (!Array.isArray(node)) return undefined;
    else if (step.kind === 'index') node = node[step.index];
    else node = node.find((el) => isObject(el) && String(el[step.field]) === step.value);
  }
  return node;
}

/**
 * Returns `base` with `overlay` merged over it: maps merge key by key, everything else (lists
 * included) is replaced, as in istioctl. Neither input is modified. Written here rather than taken
 * from a library because list replacement and null handling are the product's semantics.
 */
export function mergeOverlay(base: Json | undefined, overlay: Json | undefined): Json | undefined {
  if (overlay === undefined) return structuredClone(base);
  if (!isObject(base) || !isObject(overlay)) return structuredClone(overlay);
  // `__proto__` as a key takes the copying path, which reads and assigns it as the merge always has.
  if (Object.hasOwn(base, '__proto__') || Object.hasOwn(overlay, '__proto__')) {
    const out: JsonObject = structuredClone(base);
    for (const [k, v] of Object.entries(overlay)) out[k] = mergeOverlay(out[k], v) as Json;
    return out;
  }
  // Each node is copied once: copying `base` whole and then each merged child again cost time in
  // proportion to depth. Keys keep their places; new keys come last, in the overlay's order.
  const out: JsonObject = {};
  for (const k of Object.keys(base)) out[k] = (Object.hasOwn(overlay, k) ? mergeOverlay(base[k], overlay[k]) : structuredClone(base[k])) as Json;
  for (const k of Object.keys(overlay)) if (!Object.hasOwn(base, k)) out[k] = mergeOverlay(undefined, overlay[k]) as Json;
  return out;
}

/** Paths whose `--set` values always stay strings (istioctl's list, operator/pkg/values/map.go). */
const ALWAYS_STRING = [/^tag$/, /^values\.global\.tag$/, /(^|\.)compatibilityVersion$/, /^(values\.)?meshConfig\.defaultConfig\.proxyMetadata\./, /^values\.pilot\.env\./];

/** One parsed `--set PATH=VALUE`. */
export interface SetFlag {
  /** The flag as given, for messages. */
  raw: string;
  path: string;
  steps: PathStep[];
  value: Json;
}

/**
 * Parses `--set PATH=VALUE`. The value is an integer, then a float, then `true`/`false`, else a
 * string (`\,` becomes `,`), except on paths that always stay strings (image tags, env values).
 * Splits at the first `=` (istioctl 1.30 splits at every `=` and drops such values).
 * Throws UsageError when there is no `=` or the path is malformed.
 */
export function parseSetFlag(raw: string): SetFlag {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new UsageError(`invalid --set "${clipForMessage(raw)}": expected PATH=VALUE, for example --set profile=demo`);
  let path = raw.slice(0, eq).trim();
  if (path.startsWith('spec.')) path = path.slice('spec.'.length);
  const text = raw.slice(eq + 1);
  let steps: PathStep[];
  try {
    steps = parsePath(path);
  } catch (e) {
    throw new UsageError(`invalid --set "${clipForMessage(raw)}": ${(e as Error).message}`);
  }
  const plain = formatPath(steps.filter((s) => s.kind === 'key'));
  const value = ALWAYS_STRING.some((re) => re.test(plain)) ? text.replaceAll('\\,', ',') : parseScalar(text);
  return { raw, path, steps, value };
}

function parseScalar(text: string): Json {
  if (/^[-+]?\d+$/.test(text)) {
    const n = Number(text);
    if (Number.isSafeInteger(n)) return n;
  }
  if (/^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  if (text === 'true') return true;
  if (text === 'false') return false;
  return text.replaceAll('\\,', ',');
}
