/**
 * A fast reader of YAML 1.1 text into plain data, with the exact results of the `yaml` package's
 * `parse(text, { version: '1.1' })`.
 *
 * kube-inject reads the output of the injection template once per workload (about 8 KB each), and
 * with the `yaml` package that was a third of a large run: its parser builds a CST and a Document
 * tree that plain data does not need. js-yaml (already in the tree) reads the same text about ten
 * times faster, but its schemas are YAML 1.2's, while istiod reads template output as YAML 1.1
 * (`yes`/`on` are booleans, `0755` is octal, `1:30` is sexagesimal). So js-yaml parses the
 * structure and every plain (unquoted) scalar is resolved by the `yaml` package's own YAML 1.1
 * tags, in the order `yaml` tries them: a scalar means the same with either reader.
 *
 * Where the two could differ, the `yaml` package reads the text itself: tags, directives, anchors
 * and aliases, merge keys, and any text js-yaml refuses (so errors are the `yaml` package's too).
 */
import { FAILSAFE_SCHEMA, Type, load } from 'js-yaml';
import { Schema, isScalar, parse } from 'yaml';
import { copyJson } from './objects.js';

/** A `yaml` scalar tag of the YAML 1.1 schema that plain scalars resolve by. */
interface PlainTag {
  test: RegExp;
  resolve: (source: string, onError: (message: string) => void, options: object) => unknown;
}

/** The characters that start needsYaml's matches. */
const INDICATORS = /[!&*?%<]/g;
const BEFORE_INDICATOR = /[\s,[\]{}]/;
const LINE_BREAK = /[\n\r\u2028\u2029]/;

/**
 * True for text where js-yaml and the `yaml` package may part ways: tags, anchors, aliases,
 * directives, merge keys, explicit (`?`) keys. A match only costs speed: `yaml` reads such text.
 * The answer of `/(?:^|[\s,[\]{}])[!&*?]|^%|<</m.test(text)`, found by looking only around the
 * indicator characters: template output holds a few of them (`"*"` in istio-init's arguments), and
 * the regular expression costs a scan of the whole text with every alternative at every position.
 */
export function needsYaml(text: string): boolean {
  INDICATORS.lastIndex = 0;
  for (let m = INDICATORS.exec(text); m !== null; m = INDICATORS.exec(text)) {
    const at = m.index;
    const c = text[at]!;
    const before = at === 0 ? undefined : text[at - 1]!;
    if (c === '<') {
      if (text[at + 1] === '<') return true;
    } else if (c === '%') {
      if (before === undefined || LINE_BREAK.test(before)) return true;
    } else if (before === undefined || BEFORE_INDICATOR.test(before)) {
      return true;
    }
  }
  return false;
}

/** Bound on the memos of this module (tags of plain scalars, values of quoted and flow texts). */
const MEMO_LIMIT = 50_000;

/** Returns `memo`, emptied first when it is full: texts seen once cannot make it grow without bound. */
function room<K, V>(memo: Map<K, V>): Map<K, V> {
  if (memo.size >= MEMO_LIMIT) memo.clear();
  return memo;
}

/** The js-yaml schema of parseYaml11 and the YAML 1.1 resolution of plain scalars it applies. */
interface Resolver {
  schema: ReturnType<typeof FAILSAFE_SCHEMA.extend>;
  /** The tag a plain scalar's text resolves by, or null when it stays text. */
  match(text: string): PlainTag | null;
}

let plainResolver: Resolver | undefined;
const onError = (message: string): never => {
  throw new Error(message);
};

/** js-yaml's failsafe schema (strings, lists, maps) plus one implicit type: the `yaml` package's YAML 1.1 resolution of plain scalars. */
function resolver(): Resolver {
  if (plainResolver) return plainResolver;
  const tags = (new Schema({ schema: 'yaml-1.1' }).tags as unknown as ({ default?: unknown } & Partial<PlainTag>)[])
    .filter((t): t is PlainTag & { default: true } => t.default === true && t.test instanceof RegExp && typeof t.resolve === 'function');
  // Most plain scalars are text that no tag matches: one test of all the tags' patterns at once
  // answers that, instead of one test per tag (the patterns are whole-string, flag-less).
  const any = tags.every((t) => t.test.flags === '') ? new RegExp(`^(?:${tags.map((t) => `(?:${t.test.source})`).join('|')})`) : undefined;
  // The tag depends on the text alone, and template output repeats the same keys and words for
  // every workload: answers are kept by text.
  const matches = new Map<string, PlainTag | null>();
  const match = (text: string): PlainTag | null => {
    let tag = matches.get(text);
    if (tag === undefined) {
      tag = any && !any.test(text) ? null : tags.find((t) => t.test.test(text)) ?? null;
      room(matches).set(text, tag);
    }
    return tag;
  };
  let matched: PlainTag | undefined;
  const plain = new Type('tag:yaml.org,2002:yaml-1.1-plain', {
    kind: 'scalar',
    resolve: (data: unknown) => {
      if (typeof data !== 'string') return false;
      matched = match(data) ?? undefined;
      return matched !== undefined;
    },
    construct: (data: string) => plainValue(matched!.resolve(data, onError, {})),
  });
  plainResolver = { schema: FAILSAFE_SCHEMA.extend({ implicit: [plain] }), match };
  return plainResolver;
}

/** The value of a resolved scalar as `yaml` puts it in plain data: some tags resolve to a Scalar node (floats keep their digits). */
function plainValue(resolved: unknown): unknown {
  return isScalar(resolved) ? resolved.value : resolved;
}

/**
 * Returns the data of one YAML 1.1 document, as `parse(text, { version: '1.1' })` of the `yaml`
 * package returns it (null for a text without content; a Date for a timestamp). Throws that
 * function's errors (YAMLParseError) for text it refuses.
 */
export function parseYaml11(text: string): unknown {
  if (!needsYaml(text)) {
    const simple = readSimpleYaml(text);
    if (simple !== NOT_SIMPLE) return simple;
    try {
      const data = load(text, { schema: resolver().schema }) ?? null;
      // js-yaml names a null key (`~: x`, `{: x}`) "null" where `yaml` names it "": let `yaml` read
      // any text with a "null" key, quoted or not.
      if (!hasNullKey(data)) return data;
    } catch {
      // The `yaml` package decides: it gives the same data or the error users see today.
    }
  }
  return parse(text, { version: '1.1' });
}

/** True when a map in `value` has the key "null". */
function hasNullKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasNullKey);
  for (const key in value) if (key === 'null' || hasNullKey((value as Record<string, unknown>)[key])) return true;
  return false;
}

/** What readSimpleYaml returns for text outside the simple form: js-yaml reads it. */
export const NOT_SIMPLE: unique symbol = Symbol('not simple YAML');

/** Characters the simple form leaves to js-yaml: tabs, carriage returns, a byte-order mark, control characters and line separators. */
const NOT_SIMPLE_CHARS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;
/** A block map entry with a plain key of common characters: `key:` or `key: value`. */
const KEY_LINE = /^([A-Za-z0-9_][A-Za-z0-9_./-]*):(?: +(.*))?$/;
/** A double-quoted scalar without escapes, and one with them. */
const DOUBLE_PLAIN = /^"[^"\\]*"$/;
const DOUBLE_ESCAPED = /^"(?:[^"\\]|\\.)*"$/;
const SINGLE = /^'(?:[^']|'')*'$/;
/** Characters that make a plain scalar start something else (or that the simple form leaves to js-yaml). */
const PLAIN_START = new Set('-?:,[]{}#&*!|>\'"%@`');

/**
 * One line of the simple form, read once per distinct text (after its indentation): template
 * output repeats most of its lines from workload to workload.
 * - `item`: `-` alone (`inner` and `value` absent), `- value`, or `- ` and a compact collection
 *   (`inner`, the rest of the line, which starts `offset` columns after the `-`);
 * - `key`: `key:` (no `value`) or `key: value`.
 * A value that is an object (a flow collection, a timestamp's Date) is copied on each use.
 */
interface Line {
  item: boolean;
  key: string;
  offset: number;
  inner: Line | undefined;
  hasValue: boolean;
  value: unknown;
  copy: boolean;
}

/** Lines by text; null for a line outside the simple form. */
const lines = new Map<string, Line | null>();

/** Thrown inside readSimpleYaml when the text leaves the simple form. */
class NotSimple extends Error {}

/** The value of a scalar or flow collection written on one line; throws NotSimple (or js-yaml's error) for other text. */
function lineValue(s: string, r: Resolver): unknown {
  const c = s[0]!;
  if (c === '"') {
    if (DOUBLE_PLAIN.test(s)) return s.slice(1, -1);
    if (!DOUBLE_ESCAPED.test(s)) throw new NotSimple();
    return load(s, { schema: r.schema });
  }
  if (c === "'") {
    if (!SINGLE.test(s)) throw new NotSimple();
    return s.slice(1, -1).replaceAll("''", "'");
  }
  if (c === '[' || c === '{') {
    const v = load(s, { schema: r.schema });
    // A null key (`{~: x}`) is read by the `yaml` package (see parseYaml11).
    if (hasNullKey(v)) throw new NotSimple();
    return v;
  }
  if ((PLAIN_START.has(c) && !(c === '-' && s.length > 1 && s[1] !== ' ')) || s.includes(': ') || s.includes(' #') || s.endsWith(':')) throw new NotSimple();
  const tag = r.match(s);
  return tag ? plainValue(tag.resolve(s, onError, {})) : s;
}

/** Reads one line's text (without its indentation), or returns null when it is outside the simple form. */
function readLine(text: string, r: Resolver): Line | null {
  try {
    if (text === '-' || text.startsWith('- ')) {
      const line: Line = { item: true, key: '', offset: 0, inner: undefined, hasValue: false, value: null, copy: false };
      if (text === '-') return line;
      let k = 1;
      while (text.charCodeAt(k) === 32) k++;
      const rest = text.slice(k);
      if (rest === '-' || rest.startsWith('- ') || KEY_LINE.test(rest)) {
        const inner = lineOf(rest, r);
        if (!inner) return null;
        return { ...line, offset: k, inner };
      }
      const value = lineValue(rest, r);
      return { ...line, hasValue: true, value, copy: value !== null && typeof value === 'object' };
    }
    const m = KEY_LINE.exec(text);
    if (!m) return null;
    const key = m[1]!;
    if (key === '__proto__' || r.match(key) !== null) return null;
    const line: Line = { item: false, key, offset: 0, inner: undefined, hasValue: false, value: null, copy: false };
    if (m[2] === undefined) return line;
    const value = lineValue(m[2], r);
    return { ...line, hasValue: true, value, copy: value !== null && typeof value === 'object' };
  } catch {
    // NotSimple, or js-yaml or a tag refusing the value: js-yaml reads the whole text and decides.
    return null;
  }
}

function lineOf(text: string, r: Resolver): Line | null {
  let line = lines.get(text);
  if (line === undefined) room(lines).set(text, line = readLine(text, r));
  return line;
}

/**
 * Reads text of a simple form of block YAML into the data `load` of js-yaml (with parseYaml11's
 * schema) returns for it, or returns NOT_SIMPLE. The injection templates print this form for every
 * workload, and reading it line by line, each distinct line read once, is several times faster
 * than js-yaml's general reader; js-yaml still reads everything else. The form: lines indented by
 * spaces only, each a block map entry with a plain key (`key:` or `key: value`) or a block
 * sequence item (`-`, `- value`, `- key: value`, `- - value`), every value complete on its line (a
 * plain scalar, a quoted scalar or a flow collection) and nothing more indented after it; no
 * comments, no trailing spaces, no duplicate keys, no key that YAML 1.1 reads as other than text.
 * Indentation decides the structure, as YAML's block rules do for this form. Not for text that
 * needs the `yaml` package (parseYaml11 sends that there first).
 */
export function readSimpleYaml(text: string): unknown {
  if (NOT_SIMPLE_CHARS.test(text)) return NOT_SIMPLE;
  const r = resolver();
  const indents: number[] = [];
  const parsed: Line[] = [];
  for (let at = 0; at < text.length;) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    let n = at;
    while (text.charCodeAt(n) === 32) n++;
    if (n < end) {
      if (text.charCodeAt(end - 1) === 32) return NOT_SIMPLE;
      const line = lineOf(text.slice(n, end), r);
      if (!line) return NOT_SIMPLE;
      indents.push(n - at);
      parsed.push(line);
    }
    at = end + 1;
  }
  const count = parsed.length;
  if (count === 0) return NOT_SIMPLE;
  let i = 0;
  const valueOf = (line: Line): unknown => (line.copy ? copyJson(line.value) : line.value);

  // A value that is complete on its line has nothing more indented after it.
  const endOfValue = (n: number): void => {
    if (i < count && indents[i]! > n) throw new NotSimple();
  };

  const node = (): unknown => (parsed[i]!.item ? sequence(indents[i]!) : map(indents[i]!));

  const sequence = (n: number): unknown[] => {
    const out: unknown[] = [];
    while (i < count && indents[i] === n && parsed[i]!.item) {
      const line = parsed[i]!;
      if (line.inner) {
        // A compact collection (`- key: v`, `- - v`): the rest of the line starts it at its column.
        indents[i] = n + line.offset;
        parsed[i] = line.inner;
        out.push(node());
      } else if (line.hasValue) {
        i++;
        out.push(valueOf(line));
        endOfValue(n);
      } else {
        i++;
        out.push(i < count && indents[i]! > n ? node() : null);
      }
    }
    endOfValue(n);
    return out;
  };

  const map = (n: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    while (i < count && indents[i] === n && !parsed[i]!.item) {
      const line = parsed[i]!;
      if (Object.hasOwn(out, line.key)) throw new NotSimple();
      i++;
      if (line.hasValue) {
        out[line.key] = valueOf(line);
        endOfValue(n);
      } else if (i < count && indents[i]! > n) {
        out[line.key] = node();
      } else if (i < count && indents[i] === n && parsed[i]!.item) {
        out[line.key] = sequence(n);
      } else {
        out[line.key] = null;
      }
    }
    // Only a shallower line (a parent's next entry) may follow a map.
    if (i < count && indents[i]! >= n) throw new NotSimple();
    return out;
  };

  try {
    const value = node();
    return i === count ? value : NOT_SIMPLE;
  } catch (e) {
    if (e instanceof NotSimple) return NOT_SIMPLE;
    throw e;
  }
}
