/**
 * Text for values that `yaml-edit` writes into users' YAML: scalars in a chosen quoting style,
 * block lines at a given column, and single-line flow text. Everything written here reads back
 * (with the `yaml` package, YAML 1.2) as exactly the JSON value it was made from.
 *
 * Deliberately simple output (no block scalars, no line folding): new text only has to be valid,
 * readable and predictable, because `kube-uninject` removes it again by position.
 */
import { isPlainSafe } from './emit.js';
import { boundedMemo } from '../memo.js';

/** How new block text is laid out, detected from the document being edited. */
export interface Layout {
  /** Line ending of the file (`\n` or `\r\n`). */
  eol: string;
  /** Columns a nested block map is indented by, relative to its key. */
  mapStep: number;
  /** Columns a block sequence is indented by, relative to its key: 0 for kubectl's indentless style. */
  seqIndent: number;
}

/** How a scalar is written: in block context, in YAML flow context, or JSON-compatible. */
export type ScalarMode = 'block' | 'flow' | 'json';

/** JSON strings leave these raw; `yaml` (and YAML 1.1 readers) treat some of them as line breaks or reject them. */
const UNSAFE_RAW = /[\u007f-\u009f\u2028\u2029\ufeff]/g;
/** Characters a single-quoted scalar cannot hold on one line (it has no escapes, and line breaks fold). */
const NOT_SINGLE_QUOTABLE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** YAML's limit for implicit keys (YAML 1.2 section 7.4.1: at most 1024 Unicode characters). */
const MAX_IMPLICIT_KEY = 1024;

/** Returns `s` as a double-quoted scalar: JSON escaping, plus `\u` escapes (four hex digits) for characters YAML readers mistreat raw. */
export function quoteDouble(s: string): string {
  return JSON.stringify(s).replace(UNSAFE_RAW, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Returns `s` as a single-quoted scalar, or undefined when single quotes cannot hold it on one line. */
export function quoteSingle(s: string): string | undefined {
  if (NOT_SINGLE_QUOTABLE.test(s)) return undefined;
  return `'${s.replaceAll("'", "''")}'`;
}

/**
 * isPlainSafe's answers by string: kube-inject writes the same keys and values (container fields,
 * volume names, paths) into every workload, and the answer is a function of the string alone.
 */
const plainSafe = boundedMemo(isPlainSafe, 50_000);

/** Returns true when `s` can be written plain in `mode` and read back as the same string. */
export function plainSafeIn(s: string, mode: ScalarMode): boolean {
  if (mode === 'json') return false;
  // `,` ends a plain scalar inside `[...]`/`{...}`; the other flow indicators are never plain-safe.
  return plainSafe(s) && (mode === 'block' || !s.includes(','));
}

/** Returns the YAML text of a non-string scalar (JSON's spelling; YAML's for non-finite numbers). */
function nonStringScalar(value: null | boolean | number): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Number.isNaN(value)) return '.nan';
  if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
  return Object.is(value, -0) ? '-0' : String(value);
}

/** A JSON scalar. */
export type JsonScalar = null | boolean | number | string;

/** Returns true for JSON scalars (what is not a map or a list). */
export function isJsonScalar(value: unknown): value is JsonScalar {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Returns true for plain objects (JSON maps). */
export function isJsonMap(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Returns the keys of a JSON map whose values are present (`undefined` means absent, as in JSON). */
export function presentKeys(obj: Record<string, unknown>): string[] {
  return Object.keys(obj).filter((k) => obj[k] !== undefined);
}

/** Returns how many keys of a JSON map have values present: presentKeys(obj).length without the list. */
export function presentKeyCount(obj: Record<string, unknown>): number {
  let count = 0;
  for (const k of Object.keys(obj)) if (obj[k] !== undefined) count++;
  return count;
}

/** Returns true for a map or list with at least one entry: the values block style writes on their own lines. */
export function isNonEmptyCollection(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (!isJsonMap(value)) return false;
  for (const k of Object.keys(value)) if (value[k] !== undefined) return true;
  return false;
}

/** Returns the text of a new scalar: plain when safe in `mode`, else double-quoted. Throws TypeError for non-JSON values. */
export function scalarText(value: unknown, mode: ScalarMode): string {
  if (typeof value === 'string') return plainSafeIn(value, mode) ? value : quoteDouble(value);
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return nonStringScalar(value);
  throw new TypeError(`cannot write ${describe(value)} as YAML: only JSON data is supported`);
}

/**
 * Returns the text that replaces a scalar written in `style` (a `yaml` Scalar type) with `value`,
 * keeping the style when the value allows it: plain stays plain when safe, double stays double,
 * single stays single when the string fits on one line. Anything else falls back to {@link scalarText}.
 */
export function styledScalarText(value: JsonScalar, style: string | undefined, mode: ScalarMode): string {
  if (typeof value !== 'string') return scalarText(value, mode);
  if (style === 'QUOTE_DOUBLE') return quoteDouble(value);
  if (style === 'QUOTE_SINGLE') return quoteSingle(value) ?? scalarText(value, mode);
  return scalarText(value, mode);
}

/** Returns the text of a map key. Throws RangeError for keys YAML cannot write as implicit keys. */
export function keyText(key: string, mode: ScalarMode): string {
  const text = scalarText(key, mode);
  if (text.length > MAX_IMPLICIT_KEY) throw new RangeError(`cannot write a map key of ${key.length} characters (YAML allows ${MAX_IMPLICIT_KEY})`);
  return text;
}

/** Returns `value` as single-line flow text (`{a: 1, b: [x]}`); JSON-compatible (`{"a": 1}`) when `json`. */
export function flowText(value: unknown, json: boolean): string {
  const mode: ScalarMode = json ? 'json' : 'flow';
  if (Array.isArray(value)) return `[${value.map((v) => flowText(v, json)).join(', ')}]`;
  if (isJsonMap(value)) {
    return `{${presentKeys(value).map((k) => `${keyText(k, mode)}: ${flowText(value[k], json)}`).join(', ')}}`;
  }
  return scalarText(value, mode);
}

/** Returns the inline text of a value that is not a non-empty collection: a scalar, `{}` or `[]`. */
export function inlineText(value: unknown): string {
  if (Array.isArray(value)) return '[]';
  if (isJsonMap(value)) return '{}';
  return scalarText(value, 'block');
}

/** Indentation strings by width, made once: new text repeats the same few widths thousands of times. */
const SPACES: string[] = [];
const spaces = (n: number): string => (SPACES[n] ??= ' '.repeat(n));

/**
 * Returns the lines of `key: value` as a block map entry whose key sits at column `col`; nested
 * collections follow `layout`. Every line carries its full indentation.
 */
export function pairLines(key: string, value: unknown, col: number, layout: Layout): string[] {
  const out: string[] = [];
  writePair(key, value, col, layout, out);
  return out;
}

/**
 * Returns the lines of `value` as a block sequence item whose `-` sits at column `col` and whose
 * content starts `gap` columns after it (2 for `- x`; sibling items may use more, as in `-   x`).
 */
export function itemLines(value: unknown, col: number, layout: Layout, gap = 2): string[] {
  const out: string[] = [];
  writeItem(value, col, layout, gap, out);
  return out;
}

/**
 * Returns the lines of a non-empty map or list in block style, its entries at column `col`.
 * Throws TypeError for values that are not JSON data.
 */
export function blockLines(value: unknown, col: number, layout: Layout): string[] {
  const out: string[] = [];
  writeBlock(value, col, layout, out);
  return out;
}

// The writers append to one array: building a list per level and copying it into its parent's
// cost time proportional to depth times lines for the large values injection writes.

/**
 * The present keys of a non-empty map, or undefined for any other value (lists included): what
 * decides between inline and block text, found once for both.
 */
function blockKeys(value: unknown): string[] | undefined {
  if (!isJsonMap(value)) return undefined;
  const keys = presentKeys(value);
  return keys.length > 0 ? keys : undefined;
}

function writePair(key: string, value: unknown, col: number, layout: Layout, out: string[]): void {
  const head = `${spaces(col)}${keyText(key, 'block')}:`;
  if (Array.isArray(value) && value.length > 0) {
    out.push(head);
    writeItems(value, col + layout.seqIndent, layout, out);
    return;
  }
  const keys = blockKeys(value);
  if (!keys) {
    out.push(`${head} ${inlineText(value)}`);
    return;
  }
  out.push(head);
  writePairs(value as Record<string, unknown>, keys, col + layout.mapStep, layout, out);
}

function writeItem(value: unknown, col: number, layout: Layout, gap: number, out: string[]): void {
  const head = `${spaces(col)}-${spaces(gap - 1)}`;
  const list = Array.isArray(value) && value.length > 0;
  const keys = list ? undefined : blockKeys(value);
  if (!list && !keys) {
    out.push(`${head}${inlineText(value)}`);
    return;
  }
  // Compact form: the first entry shares the `- ` line, the rest align under it.
  const first = out.length;
  if (keys) writePairs(value as Record<string, unknown>, keys, col + gap, layout, out);
  else writeItems(value as unknown[], col + gap, layout, out);
  out[first] = `${head}${out[first]!.slice(col + gap)}`;
}

function writeItems(value: readonly unknown[], col: number, layout: Layout, out: string[]): void {
  for (const item of value) writeItem(item, col, layout, 2, out);
}

function writePairs(value: Record<string, unknown>, keys: readonly string[], col: number, layout: Layout, out: string[]): void {
  for (const key of keys) writePair(key, value[key], col, layout, out);
}

function writeBlock(value: unknown, col: number, layout: Layout, out: string[]): void {
  if (Array.isArray(value)) {
    writeItems(value, col, layout, out);
  } else if (isJsonMap(value)) {
    writePairs(value, presentKeys(value), col, layout, out);
  } else {
    throw new TypeError(`expected a map or a list, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'object' && value !== null) return `an object of type ${value.constructor?.name ?? 'unknown'}`;
  return `a ${typeof value}`;
}
