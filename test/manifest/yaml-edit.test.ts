import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse, parseAllDocuments, isScalar, type Document } from 'yaml';
import { applyEdits, planEdits, type EditOptions, type TextEdit } from '../../src/manifest/yaml-edit.js';
import { isPlainSafe } from '../../src/manifest/emit.js';
import { repoRoot } from '../helpers.js';

const PARSE_OPTIONS = { prettyErrors: false, uniqueKeys: true } as const;
const FIXTURES = join(repoRoot, 'test/testdata/yaml-edit');

/** Lists whose items are matched by `name`, as kube-inject configures it. */
const K8S_NAMED = new Set(['containers', 'initContainers', 'env', 'volumes', 'volumeMounts', 'named']);
const k8sMergeKey: EditOptions['mergeKey'] = (path) => (K8S_NAMED.has(String(path[path.length - 1])) ? 'name' : undefined);

function parseStream(text: string): Document.Parsed[] {
  const docs = parseAllDocuments(text, PARSE_OPTIONS);
  if (!Array.isArray(docs)) return [];
  for (const d of docs) expect(d.errors.map((e) => e.message)).toEqual([]);
  return docs;
}

function streamData(text: string): unknown[] {
  return (parseAllDocuments(text, PARSE_OPTIONS) as Document.Parsed[]).map((d) => d.toJS());
}

/** Plans and applies the edits that make document `index` of `source` hold `target`. */
function edit(source: string, target: unknown, index = 0, options: EditOptions = { mergeKey: k8sMergeKey }): { output: string; edits: TextEdit[] } {
  const doc = parseStream(source)[index]!;
  const edits = planEdits(source, doc, target, options);
  return { output: applyEdits(source, edits), edits };
}

/** The generated comments (`# note-c<n>`, longer than any generated string) of a YAML source, in order. */
function comments(text: string): string[] {
  return [...text.matchAll(/# note-c\d+/g)].map((m) => m[0]);
}

interface CaseOptions { document?: number; reversible?: boolean }

describe('planEdits fixtures (test/testdata/yaml-edit/<case>/)', () => {
  const cases = readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

  it('has fixtures', () => {
    expect(cases.length).toBeGreaterThan(15);
  });

  it.each(cases)('%s', async (name) => {
    const dir = join(FIXTURES, name);
    const input = readFileSync(join(dir, 'input.yaml'), 'utf8');
    const target: unknown = existsSync(join(dir, 'target.json'))
      ? JSON.parse(readFileSync(join(dir, 'target.json'), 'utf8'))
      : parse(readFileSync(join(dir, 'target.yaml'), 'utf8'));
    const opts: CaseOptions = existsSync(join(dir, 'case.json')) ? JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as CaseOptions : {};
    const index = opts.document ?? 0;

    const { output } = edit(input, target, index);
    await expect(output).toMatchFileSnapshot(join(dir, 'expected.yaml'));

    const before = parseStream(input).map((d) => d.toJS());
    const after = parseStream(output).map((d) => d.toJS());
    expect(after[index]).toEqual(target);
    // Other documents of the stream keep their data.
    expect(after.filter((_, i) => i !== index)).toEqual(before.filter((_, i) => i !== index));
    if (opts.reversible !== false) {
      const { output: back } = edit(output, before[index], index);
      expect(back).toBe(input);
    }
  });
});

describe('planEdits', () => {
  it('returns no edits when the document already holds the target', () => {
    const text = 'a: 1   # c\nb: [x, "y"]\nc: &x {k: v}\nd: *x\ne: |\n  text\n';
    expect(planEdits(text, parseStream(text)[0]!, parse(text))).toEqual([]);
  });

  it('appends a new key after the last entry, before trailing comment lines', () => {
    const { output, edits } = edit('a: 1  # one\n# about the end\n', { a: 1, b: { c: [1, 'two'] } });
    expect(output).toBe('a: 1  # one\nb:\n  c:\n  - 1\n  - two\n# about the end\n');
    expect(edits).toEqual([{ start: 11, end: 11, text: '\nb:\n  c:\n  - 1\n  - two' }]);
  });

  it('keeps CRLF line endings in new text', () => {
    const input = 'metadata:\r\n  name: a\r\nspec:\r\n  containers:\r\n  - name: a\r\n';
    const { output } = edit(input, { metadata: { name: 'a', labels: { app: 'a' } }, spec: { containers: [{ name: 'a' }, { name: 'b', args: ['x'] }] } });
    expect(output).toBe('metadata:\r\n  name: a\r\n  labels:\r\n    app: a\r\nspec:\r\n  containers:\r\n  - name: a\r\n  - name: b\r\n    args:\r\n    - x\r\n');
    expect(output.replaceAll('\r\n', '')).not.toContain('\n');
    expect(edit(output, parse(input)).output).toBe(input);
  });

  it('inserts a new first item before the old first one and removes it again', () => {
    const input = 'spec:\n  initContainers:\n    - name: setup  # first\n      image: s\n';
    const target = { spec: { initContainers: [{ name: 'istio-init', image: 'p' }, { name: 'setup', image: 's' }] } };
    const { output } = edit(input, target);
    expect(output).toBe('spec:\n  initContainers:\n    - name: istio-init\n      image: p\n    - name: setup  # first\n      image: s\n');
    expect(edit(output, parse(input)).output).toBe(input);
  });

  it('inserts new items in target order around the kept ones (merge key)', () => {
    const input = 'l:\n- name: a\n- name: b\n';
    const target = { l: [{ name: 'x' }, { name: 'a' }, { name: 'w' }, { name: 'b' }, { name: 'z' }] };
    const { output } = edit(input, target, 0, { mergeKey: () => 'name' });
    expect(output).toBe('l:\n- name: x\n- name: a\n- name: w\n- name: b\n- name: z\n');
  });

  it('replaces the whole list when kept items change order', () => {
    const input = 'l:\n- name: a  # note\n- name: b\n';
    const { edits } = edit(input, { l: [{ name: 'b' }, { name: 'a' }] }, 0, { mergeKey: () => 'name' });
    expect(edits).toHaveLength(1);
    expect(input.slice(edits[0]!.start, edits[0]!.end)).toBe('\n- name: a  # note\n- name: b');
  });

  it('matches items by position without a merge key', () => {
    const input = 'l:\n- a\n- b  # b\n- c\n';
    expect(edit(input, { l: ['a', 'B', 'c'] }).output).toBe('l:\n- a\n- B  # b\n- c\n');
    expect(edit(input, { l: ['a', 'b', 'new', 'c'] }).output).toBe('l:\n- a\n- b  # b\n- new\n- c\n');
    expect(edit(input, { l: ['a', 'c'] }).output).toBe('l:\n- a\n- c\n');
  });

  it('inserts into and deletes from flow collections', () => {
    expect(edit('a: {b: c}\n', { a: { b: 'c', d: 'e' } }).output).toBe('a: {b: c, d: e}\n');
    expect(edit('a: [b, c]\n', { a: ['z', 'b', 'c'] }).output).toBe('a: [z, b, c]\n');
    expect(edit('a: {b: c, d: e}\n', { a: { b: 'c' } }).output).toBe('a: {b: c}\n');
    expect(edit('a: [{k: v}]\n', { a: [{ k: 'v', l: 'a,b' }] }).output).toBe('a: [{k: v, l: "a,b"}]\n');
    expect(edit('[1, [2]]\n', [1, [2, { x: 'y' }]]).output).toBe('[1, [2, {"x": "y"}]]\n');
  });

  it('writes JSON-compatible text into JSON documents', () => {
    const input = '{"a": {"b": 1}}';
    const { output } = edit(input, { a: { b: 'one', c: [true, null, 'x'] }, d: {} });
    expect(output).toBe('{"a": {"b": "one", "c": [true, null, "x"]}, "d": {}}');
    expect(JSON.parse(output)).toEqual({ a: { b: 'one', c: [true, null, 'x'] }, d: {} });
  });

  it('keeps a comment after the key when a value changes style', () => {
    const input = 'a: x  # note\nb: 1\n';
    const { output } = edit(input, { a: { k: 'v' }, b: 1 });
    expect(output).toBe('a:  # note\n  k: v\nb: 1\n');
    expect(edit(output, parse(input)).output).toBe(input);
  });

  it('turns an empty value into a block collection and back', () => {
    for (const input of ['a:\nb: 1\n', 'a:   # later\nb: 1\n', '- \n- 1\n', 'a: {}\n', 'x:\n  a: []  # none\n']) {
      const data = parse(input) as Record<string, unknown> | unknown[];
      const target = structuredClone(data);
      if (Array.isArray(target)) target[0] = { k: ['v'] };
      else if ('x' in target) target.x = { a: [{ k: 1 }] };
      else target.a = { k: ['v'] };
      const { output } = edit(input, target);
      expect(parse(output)).toEqual(target);
      expect(edit(output, data).output).toBe(input);
    }
  });

  it('writes strings that need it double-quoted, multi-line ones with escapes', () => {
    const { output } = edit('a: 1\n', { a: 1, b: 'x: y', c: 'l1\nl2\n', d: 'true', e: '', f: 'plain text', g: '\u2028' });
    expect(output).toBe('a: 1\nb: "x: y"\nc: "l1\\nl2\\n"\nd: "true"\ne: ""\nf: plain text\ng: "\\u2028"\n');
  });

  it('keeps the quoting style of replaced scalars where the value allows it', () => {
    const input = "a: 'x'\nb: \"y\"\nc: z\nd: 'q'\n";
    expect(edit(input, { a: 'it\'s', b: 'new', c: 'w', d: 'two\nlines' }).output).toBe("a: 'it''s'\nb: \"new\"\nc: w\nd: \"two\\nlines\"\n");
  });

  it('uses the indentation and sequence style of the document', () => {
    const input = 'a:\n    b:\n        - x\n';
    expect(edit(input, { a: { b: ['x'], c: { d: [1] } } }).output).toBe('a:\n    b:\n        - x\n    c:\n        d:\n            - 1\n');
  });

  it('edits only the requested document of a stream', () => {
    const input = 'a: 1\n---\n# second\nb: 2\n---\nc: 3\n';
    const { output } = edit(input, { b: 2, bb: [] }, 1);
    expect(output).toBe('a: 1\n---\n# second\nb: 2\nbb: []\n---\nc: 3\n');
  });

  it('replaces aliases whose anchored node changes with the old value', () => {
    const input = 'x: &a [1]\ny: *a\n';
    const { output } = edit(input, { x: [1, 2], y: [1] });
    expect(output).toBe('x: &a [1, 2]\ny:\n- 1\n');
  });

  it('keeps aliases valid when the anchored node is removed', () => {
    const input = 'x: &a\n  k: v\ny: *a\nz: 1\n';
    const { output } = edit(input, { y: { k: 'v' }, z: 1 });
    expect(parse(output)).toEqual({ y: { k: 'v' }, z: 1 });
    expect(output).not.toContain('*a');
  });

  it('keeps aliases valid next to deleted flow items and replaced empty anchored values', () => {
    const flow = 'x: &a [1]\ny: [0, *a]\n';
    expect(edit(flow, { x: [1, 2], y: [[1]] }).output).toBe('x: &a [1, 2]\ny: [[1]]\n');
    const empty = 'm:\n  e: &a\nn: *a\n';
    const { output } = edit(empty, { m: 5, n: null });
    expect(parse(output)).toEqual({ m: 5, n: null });
  });

  it('replaces the document whole when an alias used as a key would dangle', () => {
    const input = 'k: &k key\nm:\n  *k : 1\n';
    const { output } = edit(input, { k: 'other', m: { key: 1 } });
    expect(parse(output)).toEqual({ k: 'other', m: { key: 1 } });
  });

  it('compares merge keys as merged in YAML 1.1 documents', () => {
    const input = '%YAML 1.1\n---\nb: &b {x: 1}\nm:\n  <<: *b\n  w: 2\n';
    const data = parseStream(input)[0]!.toJS() as Record<string, unknown>;
    expect(data.m).toEqual({ x: 1, w: 2 });
    expect(edit(input, data).edits).toEqual([]);
    const { output } = edit(input, { ...data, m: { x: 1, w: 3 } });
    expect(parseStream(output)[0]!.toJS()).toEqual({ ...data, m: { x: 1, w: 3 } });
  });

  it('keeps << entries while the keys they bring in keep their values, and undoes its own additions byte for byte', () => {
    const input = '%YAML 1.1\n---\nb: &b {x: 1}\nm:\n  <<: *b\n  w: 2\nf: {<<: *b, w: 2}\n';
    const data = parseStream(input)[0]!.toJS() as Record<string, any>;
    const target = { ...data, m: { ...data.m, w: 3, z: 4 }, f: { ...data.f, z: 4 } };
    const { output } = edit(input, target);
    expect(output).toBe('%YAML 1.1\n---\nb: &b {x: 1}\nm:\n  <<: *b\n  w: 3\n  z: 4\nf: {<<: *b, w: 2, z: 4}\n');
    expect(edit(output, data).output).toBe(input);
    // A merged key that changes or goes cannot be said with the << entry: the map is written out.
    expect(edit(input, { ...data, m: { x: 2, w: 2 } }).output).not.toContain('<<: *b\n  w');
    expect(parseStream(edit(input, { ...data, m: { w: 2 } }).output)[0]!.toJS()).toEqual({ ...data, m: { w: 2 } });
  });

  it('asks for merge keys by the list path in the target', () => {
    const asked: string[] = [];
    const mergeKey = (path: readonly (string | number)[]) => { asked.push(path.join('.')); return 'name'; };
    const input = 'spec:\n  containers:\n  - name: a\n    env:\n    - name: X\n';
    const target = { spec: { containers: [{ name: 'p' }, { name: 'a', env: [{ name: 'X' }, { name: 'Y' }] }] } };
    const { output } = edit(input, target, 0, { mergeKey });
    expect(asked).toEqual(['spec.containers', 'spec.containers.1.env']);
    expect(output).toBe('spec:\n  containers:\n  - name: p\n  - name: a\n    env:\n    - name: X\n    - name: "Y"\n');
  });

  it('replaces maps with explicit keys whole, since their entries cannot be edited in place', () => {
    const input = 'm:\n  ? a\n  : 1\n  b: 2\nn: 1  # kept\n';
    const { output, edits } = edit(input, { m: { a: 1, b: 3 }, n: 1 });
    expect(parse(output)).toEqual({ m: { a: 1, b: 3 }, n: 1 });
    expect(output).toContain('n: 1  # kept\n');
    expect(edits).toHaveLength(1);
  });

  it('replaces multi-line scalars whole', () => {
    const input = 'a: "one\n  two"\nb: plain\n  continued\nc: |\n  block\n';
    const { output } = edit(input, { a: 'x', b: 'w', c: 'z\n' });
    expect(output).toBe('a: "x"\nb: w\nc: "z\\n"\n');
  });

  it('puts new items of a multi-line flow list on their own lines', () => {
    const input = 'a: [\n  1,\n  2   # two\n]\n';
    const { output } = edit(input, { a: [1, 2, 3] });
    expect(output).toBe('a: [\n  1,\n  2,\n  3   # two\n]\n');
    expect(edit(output, { a: [1, 2] }).output).toBe(input);
    // Tab-indented JSON keeps its tabs.
    expect(edit('{\n\t"a": [\n\t\t1\n\t]\n}\n', { a: [1, 2], b: true }).output).toBe('{\n\t"a": [\n\t\t1,\n\t\t2\n\t],\n\t"b": true\n}\n');
  });

  it('keeps the line ending style and comments of a document with a byte order mark', () => {
    const input = '\ufeff# head\r\na: 1\r\n';
    expect(edit(input, { a: 2, b: [1] }).output).toBe('\ufeff# head\r\na: 2\r\nb:\r\n- 1\r\n');
  });

  it('fills an empty document', () => {
    expect(edit('a: 1\n---\n', { b: [1] }, 1).output).toBe('a: 1\n---\nb:\n- 1\n');
    expect(edit('--- # nothing yet\n', 'text').output).toBe('--- text # nothing yet\n');
  });

  it('throws for documents with errors and for targets that are not JSON data', () => {
    const bad = parseAllDocuments('a: [\n', PARSE_OPTIONS) as Document.Parsed[];
    expect(() => planEdits('a: [\n', bad[0]!, {})).toThrow(/syntax errors/);
    const ok = parseStream('a: 1\n')[0]!;
    expect(() => planEdits('a: 1\n', ok, { a: 1, b: new Map() })).toThrow(TypeError);
    expect(() => planEdits('a: 1\n', ok, { a: 1, b: undefined, c: () => 1 })).toThrow(TypeError);
    expect(() => planEdits('a: 1\n', ok, { a: 1, ['k'.repeat(2000)]: 1 })).toThrow(RangeError);
  });
});

describe('applyEdits', () => {
  it('applies edits given in any order', () => {
    const edits = [{ start: 4, end: 5, text: 'E' }, { start: 0, end: 1, text: 'A' }, { start: 2, end: 2, text: '+' }];
    expect(applyEdits('abcde', edits)).toBe('Ab+cdE');
  });

  it('puts an insertion before a replacement that starts at the same offset', () => {
    expect(applyEdits('abc', [{ start: 1, end: 2, text: 'X' }, { start: 1, end: 1, text: '+' }])).toBe('a+Xc');
  });

  it('rejects overlapping, ambiguous and out-of-range edits', () => {
    expect(() => applyEdits('abc', [{ start: 0, end: 2, text: '' }, { start: 1, end: 3, text: '' }])).toThrow(RangeError);
    expect(() => applyEdits('abc', [{ start: 1, end: 1, text: 'x' }, { start: 1, end: 1, text: 'y' }])).toThrow(RangeError);
    expect(() => applyEdits('abc', [{ start: 2, end: 4, text: '' }])).toThrow(RangeError);
    expect(() => applyEdits('abc', [{ start: 2, end: 1, text: '' }])).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------- property-based

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A small deterministic random source, so one fast-check seed picks all rendering and editing choices. */
class Rng {
  constructor(private state: number) {}
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  chance(p: number): boolean { return this.next() < p; }
  int(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(items: readonly T[]): T { return items[this.int(items.length)]!; }
}

const isMap = (v: Json): v is { [key: string]: Json } => v !== null && typeof v === 'object' && !Array.isArray(v);
const isCollection = (v: Json): v is Json[] | { [key: string]: Json } => v !== null && typeof v === 'object';
const SINGLE_OK = /^[^\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\ufeff]*$/;

/**
 * Writes JSON data as YAML in randomly chosen styles: block or flow collections, indentless or
 * indented lists, 2 or 4 space steps, plain/single/double-quoted scalars, literal blocks, comments
 * (own-line and trailing) and blank lines. Every comment is unique (`# c<n>`) so tests can find it.
 */
class YamlWriter {
  private comment = 0;
  readonly step: number;
  readonly indentless: boolean;
  constructor(private readonly rng: Rng) {
    this.step = rng.pick([2, 2, 4]);
    this.indentless = rng.chance(0.6);
  }

  private note(): string { return `# note-c${this.comment++}`; }

  private scalar(v: Json, flow: boolean): string {
    if (typeof v !== 'string') return v === null ? this.rng.pick(['null', '~']) : JSON.stringify(v);
    const plainOk = isPlainSafe(v) && !(flow && v.includes(','));
    const choice = this.rng.int(3);
    if (choice === 0 && plainOk) return v;
    if (choice <= 1 && SINGLE_OK.test(v) && !/[\ud800-\udfff]/.test(v)) return `'${v.replaceAll("'", "''")}'`;
    return JSON.stringify(v);
  }

  private key(k: string, flow: boolean): string { return this.scalar(k, flow); }

  flow(v: Json): string {
    if (Array.isArray(v)) return `[${v.map((x) => this.flow(x)).join(', ')}]`;
    if (isMap(v)) return `{${Object.entries(v).map(([k, x]) => `${this.key(k, true)}: ${this.flow(x)}`).join(', ')}}`;
    return this.scalar(v, true);
  }

  /** A literal block for strings it can hold exactly (no leading/trailing blanks on lines). */
  private literal(v: string, col: number): string[] | undefined {
    if (!v.includes('\n') || /^\s|[ \t]\n|[ \t]$|[^\n -~]/.test(v)) return undefined;
    const trailing = /\n*$/.exec(v)![0].length;
    const body = v.slice(0, v.length - trailing);
    // Keep chomping (`|+`) would take the blank lines this writer puts between entries.
    if (body === '' || trailing > 1) return undefined;
    const lines = body.split('\n').map((l) => (l === '' ? '' : ' '.repeat(col) + l));
    return [trailing === 0 ? '|-' : '|', ...lines];
  }

  /** Lines of a value that follows `head` (`key:` or `-`), nested at `col`. */
  private value(head: string, v: Json, col: number, inSeqItem: boolean): string[] {
    const trail = this.rng.chance(0.2) ? `  ${this.note()}` : '';
    if (v === null && this.rng.chance(0.4)) return [head + trail];
    if (!isCollection(v) || Object.keys(v).length === 0 || this.rng.chance(0.15)) {
      if (typeof v === 'string' && this.rng.chance(0.5)) {
        const lit = this.literal(v, col + (inSeqItem ? 2 : this.step));
        if (lit) return [`${head} ${lit[0]}`, ...lit.slice(1)];
      }
      return [`${head} ${isCollection(v) ? this.flow(v) : this.scalar(v, false)}${trail}`];
    }
    if (inSeqItem && this.rng.chance(0.6)) {
      // Compact: the first entry shares the `- ` line.
      const lines = this.block(v, col + 2, false);
      return [`${head} ${lines[0]!.slice(col + 2)}`, ...lines.slice(1)];
    }
    const nested = Array.isArray(v) ? (inSeqItem ? col + 2 : col + (this.indentless ? 0 : this.step)) : (inSeqItem ? col + 2 : col + this.step);
    return [head + (this.rng.chance(0.15) ? `  ${this.note()}` : ''), ...this.block(v, nested, true)];
  }

  /** Lines of a non-empty collection in block style at `col`; `ownLine` when its first entry starts a line. */
  block(v: Json[] | { [key: string]: Json }, col: number, ownLine: boolean): string[] {
    const out: string[] = [];
    const entries: Array<[string | null, Json]> = Array.isArray(v) ? v.map((x) => [null, x]) : Object.entries(v);
    entries.forEach(([k, x], i) => {
      if (i > 0 || ownLine) {
        if (this.rng.chance(0.15)) out.push(`${' '.repeat(col)}${this.note()}`);
        if (this.rng.chance(0.1)) out.push('');
      }
      const head = k === null ? `${' '.repeat(col)}-` : `${' '.repeat(col)}${this.key(k, false)}:`;
      out.push(...this.value(head, x, col, k === null));
    });
    if (this.rng.chance(0.15)) out.push(`${' '.repeat(col)}${this.note()}`);
    return out;
  }

  document(v: Json): string {
    if (isCollection(v) && Object.keys(v).length > 0 && this.rng.chance(0.8)) return this.block(v, 0, true).join('\n');
    // JSON as tools print it: multi-line, every string double-quoted.
    if (this.rng.chance(0.5)) return JSON.stringify(v, null, this.rng.pick([2, 4]));
    return this.flow(v);
  }
}

const KEYS = ['a', 'b', 'name', 'image', 'env', 'x y', 'true', 'k:v', 'port', '9', 'é', 'a.b/c', "it's", 'named'];
const STRINGS = ['nginx', 'a b', '', 'true', '1.5', 'x: y', "it's", 'multi\nline', 'two\nlines\n', 'keep\n\n', '#hash', '- dash', 'a,b',
  '[x]', '{y}', '*star', '&amp', '!bang', '%p', '@at', 'tab\there', 'é ü', '  lead', 'trail ', 'null', '~', '0x1F', '"q"', 'back\\slash'];
/** Replacement strings that keep a plain scalar plain in block and flow context. */
const PLAIN_STRINGS = ['web', 'v2', 'x y', '/path/a', 'a:b', 'docker.io/istio/proxyv2:1.30.3', '-x', '100%'];

const scalarArb: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(...STRINGS), fc.string({ maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 4 }),
  fc.integer({ min: -5000, max: 100000 }), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)),
  fc.boolean(), fc.constant(null),
);
const treeArb = fc.letrec<{ value: Json; map: { [key: string]: Json }; seq: Json[]; named: { [key: string]: Json } }>((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalarArb, tie('map'), tie('seq'), tie('named')),
  map: fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 4 }),
  seq: fc.array(tie('value'), { maxLength: 4 }),
  // A list whose items are matched by `name` (see k8sMergeKey).
  named: fc.uniqueArray(fc.record({ name: fc.constantFrom('n1', 'n2', 'n3', 'n4'), v: tie('value') }), { selector: (x) => x.name, minLength: 1, maxLength: 3 })
    .map((items) => ({ named: items as Json[] })),
}));
const rootArb = fc.oneof(treeArb.map, treeArb.named, treeArb.seq);

/** Values for new keys and items: small trees with a unique marker so positions stay unambiguous. */
function newValue(rng: Rng, id: number, depth = 0): Json {
  const r = rng.int(depth > 1 ? 3 : 6);
  if (r === 0) return `new-${id}`;
  if (r === 1) return rng.pick([id, true, null, 'x: y', 'l1\nl2', '', 'a,b']);
  if (r === 2) return rng.pick([{}, [], `v${id}`]);
  if (r === 3) return { [`k${id}`]: newValue(rng, id, depth + 1), list: [newValue(rng, id, depth + 1)] };
  if (r === 4) return [newValue(rng, id, depth + 1), { name: `n${id}` }];
  return { name: `new${id}`, env: [{ name: `e${id}`, value: 'v' }] };
}

interface Site { path: (string | number)[]; value: Json }

function sites(v: Json, path: (string | number)[] = [], out: Site[] = []): Site[] {
  out.push({ path, value: v });
  if (Array.isArray(v)) v.forEach((x, i) => sites(x, [...path, i], out));
  else if (isMap(v)) for (const [k, x] of Object.entries(v)) sites(x, [...path, k], out);
  return out;
}

function getIn(v: Json, path: readonly (string | number)[]): Json {
  let cur = v;
  for (const p of path) cur = (cur as Record<string | number, Json>)[p]!;
  return cur;
}

const startsWith = (path: readonly (string | number)[], prefix: readonly (string | number)[]): boolean =>
  prefix.length <= path.length && prefix.every((p, i) => path[i] === p);

/**
 * Applies random additive changes (new keys, new items, scalar replacements that keep the quoting
 * style, empty values becoming collections) to a copy of `data`. Changes never overlap a list that
 * is matched by position and also gains items, so the whole change stays describable by insertions.
 */
function additiveChange(rng: Rng, data: Json, doc: Document.Parsed): Json {
  const target = structuredClone(data);
  const all = sites(data);
  const frozen: (string | number)[][] = [];
  const touched: (string | number)[][] = [];
  const inserts: Array<{ path: (string | number)[]; at: number; value: Json }> = [];
  let id = 0;
  const count = 1 + rng.int(4);
  for (let n = 0; n < count * 3 && id < count; n++) {
    const site = rng.pick(all);
    if (frozen.some((f) => startsWith(site.path, f))) continue;
    const parentPath = site.path.slice(0, -1);
    const inPositionalList = (p: (string | number)[]) => frozen.some((f) => startsWith(p, f) && p.length > f.length);
    if (inPositionalList(site.path)) continue;
    const v = site.value;
    if (isMap(v)) {
      (getIn(target, site.path) as Record<string, Json>)[`new key ${id}`] = newValue(rng, id);
      touched.push(site.path);
      id++;
    } else if (Array.isArray(v)) {
      // Lists under `named` whose items all carry a string `name` are matched by it (see k8sMergeKey).
      const named = site.path[site.path.length - 1] === 'named' && v.every((x) => isMap(x) && typeof x.name === 'string');
      if (!named && (inserts.some((i) => startsWith(i.path, site.path) || startsWith(site.path, i.path)) || touched.some((t) => startsWith(t, site.path)))) continue;
      const value = named ? { name: `added-${id}`, v: newValue(rng, id) } : newValue(rng, id);
      inserts.push({ path: site.path, at: rng.int(v.length + 1), value });
      if (!named) frozen.push(site.path);
      touched.push(site.path);
      id++;
    } else {
      // Only nodes in the source can be replaced with style kept: look at how the scalar is written.
      const node = doc.getIn(site.path, true);
      // Names identify items of `named` lists: changing one is a removal plus an addition.
      if (!isScalar(node) || site.path.length === 0 || site.path[site.path.length - 1] === 'name') continue;
      if (parentPath.length > 0 && frozen.some((f) => startsWith(parentPath, f))) continue;
      if (node.value === null && node.range![0] === node.range![1]) {
        setIn(target, site.path, rng.chance(0.5) ? { [`made ${id}`]: [1, { a: 'b' }] } : [`item ${id}`, { k: 'v' }]);
      } else if (node.type === 'PLAIN' && node.value !== null && node.source !== 'null') {
        setIn(target, site.path, rng.pick<Json>([...PLAIN_STRINGS, 7, 0.5, false, -3]));
      } else if (node.type === 'QUOTE_DOUBLE') {
        setIn(target, site.path, rng.pick(STRINGS));
      } else if (node.type === 'QUOTE_SINGLE') {
        setIn(target, site.path, rng.pick(STRINGS.filter((s) => SINGLE_OK.test(s))));
      } else {
        continue;
      }
      touched.push(site.path);
      id++;
    }
  }
  // Inserts last, inner lists first and from the back, so the source indices used above stay valid.
  inserts.sort((x, y) => y.path.length - x.path.length || y.at - x.at);
  for (const ins of inserts) (getIn(target, ins.path) as Json[]).splice(ins.at, 0, ins.value);
  return target;
}

function setIn(root: Json, path: readonly (string | number)[], value: Json): void {
  (getIn(root, path.slice(0, -1)) as Record<string | number, Json>)[path[path.length - 1]!] = value;
}

describe('planEdits properties', () => {
  it('additive edits parse to the target, keep every comment and are undone byte for byte', () => {
    fc.assert(fc.property(rootArb, fc.integer(), (data, seed) => {
      const rng = new Rng(seed);
      const writer = new YamlWriter(rng);
      const eol = rng.chance(0.2) ? '\r\n' : '\n';
      const before = rng.pick(['', '# stream\n', 'first: doc\n---\n', '%YAML 1.2\n---\n', '---\n# leading\n']);
      const after = rng.pick(['', '\n', '# tail\n', '---\n# next\nlast: [1]\n', '...\n']);
      let text = before + writer.document(data) + '\n' + after;
      // Sometimes no line break at the end of the file (when that does not change a block scalar).
      if (after === '' && rng.chance(0.3) && isDeepStrictEqual(streamData(text.slice(0, -1)), streamData(text))) text = text.slice(0, -1);
      const source = text.replaceAll('\n', eol);
      const index = before.includes('first') ? 1 : 0;
      const docs = parseStream(source);
      expect(docs[index]!.toJS()).toEqual(data);

      const target = additiveChange(rng, data, docs[index]!);
      const edits = planEdits(source, docs[index]!, target, { mergeKey: k8sMergeKey });
      const output = applyEdits(source, edits);
      const context = `source:\n${source}\ntarget: ${JSON.stringify(target)}\noutput:\n${output}`;

      // (a) the edited document holds the target, the others are unchanged.
      const outDocs = parseStream(output);
      expect(outDocs[index]!.toJS(), context).toEqual(target);
      expect(outDocs.map((d) => d.toJS()).filter((_, i) => i !== index), context).toEqual(docs.map((d) => d.toJS()).filter((_, i) => i !== index));
      // (b) additive edits only remove text inside one line (a scalar, `{}`, spaces), never a comment,
      // and every comment of the source is still there, in order.
      for (const e of edits) {
        const removed = source.slice(e.start, e.end);
        expect(removed, context).not.toMatch(/[\r\n]|(^|\s)#/);
      }
      expect(comments(output), context).toEqual(comments(source));
      // A file without line breaks has no line ending to follow.
      if (source.includes('\r\n')) expect(output.replaceAll('\r\n', ''), context).not.toContain('\n');
      // (c) the reverse plan restores the source byte for byte.
      const back = applyEdits(output, planEdits(output, outDocs[index]!, data, { mergeKey: k8sMergeKey }));
      expect(back, context).toBe(source);
    }), { numRuns: 200 });
  });

  it('any target is reached, whatever the change, and an unchanged target plans nothing', () => {
    fc.assert(fc.property(rootArb, rootArb, fc.integer(), (data, other, seed) => {
      const rng = new Rng(seed);
      const source = new YamlWriter(rng).document(data) + '\n';
      const doc = parseStream(source)[0]!;
      expect(planEdits(source, doc, data, { mergeKey: k8sMergeKey })).toEqual([]);
      // Mix: keep some of the source's entries, take others from an unrelated tree.
      const target: Json = isMap(data) && isMap(other) ? { ...data, ...other } : Array.isArray(data) && Array.isArray(other) ? [...other, ...data.slice(1)] : other;
      const output = applyEdits(source, planEdits(source, doc, target, { mergeKey: k8sMergeKey }));
      expect(parseStream(output)[0]!.toJS(), `source:\n${source}\noutput:\n${output}`).toEqual(target);
    }), { numRuns: 200 });
  });
});
