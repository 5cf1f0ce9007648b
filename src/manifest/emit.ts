/**
 * A block-style YAML emitter for plain JSON data (rendered manifests): sorted keys, sequences at
 * their parent's indentation (kubectl's style), multi-line strings as literal blocks, and any
 * string a YAML 1.1 or 1.2 reader could take for another type double-quoted.
 *
 * Written for the product's output path: the `yaml` package builds a document tree before
 * printing, which made printing the demo install (650 KB) cost most of `manifest generate`'s
 * start-up. Correctness is checked by round-tripping through `yaml`'s parser in the tests.
 * Parsing and editing user YAML stays with the `yaml` package.
 */

/** Words YAML 1.1 (what Kubernetes' Go readers use) or 1.2 reads as booleans or null. */
const SPECIAL_WORDS = /^(?:y|n|yes|no|true|false|on|off|null|~|<<|=)$/i;
/**
 * Strings a YAML 1.1 or 1.2 reader would take for a number or timestamp: digits with dots, colons
 * and underscores (ints, floats, octals, sexagesimals), exponents, 0x/0o/0b prefixes, .inf/.nan,
 * dates. `10m`, `1024Mi` and `100%` stay plain.
 */
const NUMBER_LIKE = /^[-+]?[\d._:]+$|^[-+]?[\d._]*[eE][-+]?\d+$|^[-+]?0[xob]|^[-+]?\.(?:inf|nan)$|^\d{4}-\d\d?-\d\d?/i;
/** Characters a plain scalar may hold here; anything else is quoted. */
const PLAIN_CHARS = /^[A-Za-z0-9_./$()=+@%,:* -]+$/;

/** Returns true when `s` can be written as a plain (unquoted) scalar and read back as the same string. */
export function isPlainSafe(s: string): boolean {
  if (s === '' || !PLAIN_CHARS.test(s)) return false;
  if (SPECIAL_WORDS.test(s) || NUMBER_LIKE.test(s)) return false;
  const first = s[0]!;
  if (first === ' ' || first === ':' || first === '*' || first === ',' || first === '%' || first === '@') return false;
  // `-x` is a plain scalar (`--domain`); `-`, `- x` and `---` are not.
  if (first === '-' && (s.length === 1 || s[1] === ' ' || s.startsWith('---'))) return false;
  if (s.endsWith(' ') || s.endsWith(':') || s.includes(': ') || s.includes(' #')) return false;
  return true;
}

/** Memo of scalar text per string within one emitYaml call (keys and values repeat a lot in CRD schemas). */
type Memo = Map<string, string>;

/**
 * Maps whose YAML is known already, each to the text `emitYaml` returns for it (a caller's cache of data
 * it does not change, such as the CRD schemas the build wrote once: see RenderAssets.crdSchemaYaml).
 */
export type WrittenYaml = ReadonlyMap<object, string>;

/** What one emitYaml call carries down: the scalar memo and the maps written already. */
interface Emit {
  memo: Memo;
  written: WrittenYaml | undefined;
}

/**
 * Returns `text` (lines as emitYaml writes them at the top level, ending in a newline) indented by
 * `indent`, without the final newline. Empty lines (inside literal blocks) stay empty, as the
 * emitter writes them.
 */
function indentText(text: string, indent: string): string {
  return indent + text.slice(0, -1).replace(/\n(?=[^\n])/g, `\n${indent}`);
}

function scalar(value: string | number | boolean | null, memo: Memo): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf';
    return String(value);
  }
  let text = memo.get(value);
  if (text === undefined) {
    text = isPlainSafe(value) ? value : JSON.stringify(value);
    memo.set(value, text);
  }
  return text;
}

/**
 * Multi-line strings of printable text become literal blocks; others are quoted. Leading blank or
 * indented first lines and trailing whitespace on a line are not reliably kept by literal blocks,
 * so those strings are quoted too.
 */
function blockable(s: string): boolean {
  return s.includes('\n') && !/[\u0000-\u0008\u000b-\u001f\u007f\u0085\u2028\u2029\ufeff]/.test(s)
    && !/^[\s]/.test(s) && !/[ \t]\n|[ \t]$/.test(s);
}

/** Returns the literal block of `s` as text lines: its indicator line, then `s`'s lines indented (empty ones stay empty), without the final newline. */
function literalBlock(s: string, indent: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 10) end--;
  const trailing = s.length - end;
  const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
  // blockable() refuses text that starts with a line break, so the first line is never empty.
  return `|${chomp}\n${indent}${s.slice(0, end).replace(/\n(?=[^\n])/g, `\n${indent}`)}${'\n'.repeat(Math.max(0, trailing - 1))}`;
}

function presentKeys(obj: Record<string, unknown>): string[] {
  return Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
}

/**
 * Writes `value` whose line starts with `head` (`  key:` or `  -`); nested lines are indented
 * from `indent` (the indentation of the head's own level).
 */
function write(value: unknown, head: string, indent: string, out: string[], e: Emit, inSeq: boolean): void {
  if (Array.isArray(value)) {
    if (value.length === 0) { out.push(head + ' []'); return; }
    if (inSeq) { writeSeq(value, indent + '  ', out, e, head + ' '); return; }
    out.push(head);
    writeSeq(value, indent, out, e, null);
    return;
  }
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = presentKeys(obj);
    if (keys.length === 0) { out.push(head + ' {}'); return; }
    if (inSeq) { writeMap(obj, keys, indent + '  ', out, e, head + ' '); return; }
    out.push(head);
    const known = e.written?.get(obj);
    if (known !== undefined) out.push(indentText(known, indent + '  '));
    else writeMap(obj, keys, indent + '  ', out, e, null);
    return;
  }
  if (typeof value === 'string' && blockable(value)) {
    out.push(head + ' ' + literalBlock(value, indent + '  '));
    return;
  }
  out.push(head + ' ' + scalar(value as string | number | boolean | null, e.memo));
}

/** Writes map entries at `indent`; the first line starts with `first` instead when given (`- ` of a list item). */
function writeMap(obj: Record<string, unknown>, keys: string[], indent: string, out: string[], e: Emit, first: string | null): void {
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const lead = i === 0 && first !== null ? first : indent;
    write(obj[key], lead + scalar(key, e.memo) + ':', indent, out, e, false);
  }
}

/** Writes list items at `indent`; the first line starts with `first` instead when given (nested lists). */
function writeSeq(list: unknown[], indent: string, out: string[], e: Emit, first: string | null): void {
  for (let i = 0; i < list.length; i++) {
    const lead = i === 0 && first !== null ? first : indent;
    write(list[i], lead + '-', indent, out, e, true);
  }
}

/**
 * Returns `value` (JSON data) as one YAML document ending in a newline. A map nested in `value` (as a
 * map's value) that `written` holds is written as the text given there, indented to its place; the
 * caller vouches that the text is what this function returns for that map (the same bytes either way).
 */
export function emitYaml(value: unknown, written?: WrittenYaml): string {
  const e: Emit = { memo: new Map(), written };
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]\n';
    const out: string[] = [];
    writeSeq(value, '', out, e, null);
    return out.join('\n') + '\n';
  }
  if (value !== null && typeof value === 'object') {
    const keys = presentKeys(value as Record<string, unknown>);
    if (keys.length === 0) return '{}\n';
    const out: string[] = [];
    writeMap(value as Record<string, unknown>, keys, '', out, e, null);
    return out.join('\n') + '\n';
  }
  return scalar(value as string | number | boolean | null, e.memo) + '\n';
}

/**
 * Returns `value` (JSON data) as YAML without the final newline, as a Helm chart writes its `|-`
 * blocks; with it when the text would otherwise read back differently: the document ends inside a
 * `|+` literal block (trailing line breaks kept), or the data holds what YAML does not carry
 * (`undefined` members, -0). Decided from the data rather than by parsing the text back, which cost
 * `manifest generate` the `yaml` parser's cold start.
 */
export function emitYamlBlock(value: unknown): string {
  const text = emitYaml(value);
  const last = lastScalar(value);
  // A `|` block at the end keeps its one line break without the newline (the `yaml` package reads
  // it so); a `|+` block (several line breaks) would lose one.
  const keepsNewline = (typeof last === 'string' && blockable(last) && last.endsWith('\n\n')) || hasUnwritable(value);
  return keepsNewline ? text : text.slice(0, -1);
}

/** Returns the value written last: the last key's (in written, sorted order) or last item's, recursively. */
function lastScalar(value: unknown): unknown {
  for (;;) {
    if (Array.isArray(value)) {
      if (value.length === 0) return value;
      value = value[value.length - 1];
    } else if (value !== null && typeof value === 'object') {
      const keys = presentKeys(value as Record<string, unknown>);
      if (keys.length === 0) return value;
      value = (value as Record<string, unknown>)[keys[keys.length - 1]!];
    } else {
      return value;
    }
  }
}

/** Returns true when `value` holds an `undefined` member or item, or -0: data the YAML text cannot give back. */
function hasUnwritable(value: unknown): boolean {
  if (value === undefined || Object.is(value, -0)) return true;
  if (Array.isArray(value)) return value.some(hasUnwritable);
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasUnwritable);
  return false;
}
