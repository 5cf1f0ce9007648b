/**
 * A fast reader of YAML streams into plain data, with the exact data the `yaml` package's
 * Composer gives (YAML 1.2 core schema, merge keys, unique keys: src/manifest/yaml-docs.ts), for
 * the streams where the two readers provably agree.
 *
 * analyze and validate read every document into data, and need the `yaml` package's tree only to
 * position the few nodes a finding names (src/manifest/compact-docs.ts parses a document again
 * for that). The `yaml` package's parser builds a CST and a Document tree first, which on a cold
 * start is most of a small run: the six Bookinfo files took ~40-75 ms to read with it, ~7-14 ms
 * with js-yaml (already in the tree for kube-inject). js-yaml reads the structure here, and every
 * plain (unquoted) scalar is resolved by the `yaml` package's own core-schema tags, in the order
 * `yaml` tries them, so a scalar means the same with either reader.
 *
 * The two parsers differ on what they refuse (js-yaml lets a quoted or multi-line flow value
 * ignore indentation, a comment touch a closing quote, a key be a flow collection, ...) and on
 * tags, anchors, aliases, merge keys and null keys. So this reader only takes a stream written
 * in the plain subset Kubernetes manifests use, checked line by line before js-yaml runs (see
 * plainLines): block maps and lists, plain scalars on one line, quoted scalars and flow
 * collections that close on the line they open, block scalars (`|`, `>`), comments, `---`.
 * Anything else, anything js-yaml refuses, a key `yaml` would name differently, or nesting
 * deeper than js-yaml's default limit (100), and it returns undefined: the caller reads the
 * stream with the `yaml` package as before, so its errors and their positions are the same.
 * test/manifest/plain-yaml-docs.test.ts compares both readers over every YAML file in
 * test/testdata, the conformance grids, hostile inputs and generated texts.
 */
import { FAILSAFE_SCHEMA, Type, load } from 'js-yaml';
import { LineCounter, Schema, isScalar } from 'yaml';

/** One document of a stream read by plainYamlDocuments. */
export interface PlainDocument {
  /** 0-based index among the stream's documents (comments before the first `---` are none), as in yaml-docs.ts. */
  index: number;
  /** The document's data, as the `yaml` package's `doc.toJS()` gives it. */
  data: unknown;
  /** Offsets of the document's text in the stream: from its `---` line (or the stream's start) to the next `---` line (or the end). */
  start: number;
  end: number;
}

/** What plainYamlDocuments read from a stream. */
export interface PlainStream {
  documents: PlainDocument[];
  /** The stream's line starts, as the `yaml` package's parser records them (offset 0 and after every `\n`). */
  lineCounter: LineCounter;
}

/** A `yaml` scalar tag of the core schema that plain scalars resolve by. */
interface PlainTag {
  test: RegExp;
  resolve: (source: string, onError: (message: string) => void, options: object) => unknown;
}

/**
 * Whole-stream signs of text this reader leaves to `yaml`: tabs (indentation rules differ), a
 * byte-order mark, a carriage return not before a line feed, merge keys, directives and document
 * end markers (`...`). Lines over 1024 characters are left to it too (plainLines): `yaml` limits
 * implicit keys to 1024.
 */
const LEAVE_TO_YAML = /[\t\uFEFF]|\r(?!\n)|<<|^(?:%|\.\.\.)/m;
const MAX_LINE = 1024;

/** A document start marker line: `---` alone or before a comment. */
const MARKER = /^---[ ]*(?:#.*)?\r?$/;

let coreSchema: ReturnType<typeof FAILSAFE_SCHEMA.extend> | undefined;

/** js-yaml's failsafe schema (strings, lists, maps) plus one implicit type: the `yaml` package's core-schema resolution of plain scalars. */
function schema(): ReturnType<typeof FAILSAFE_SCHEMA.extend> {
  if (coreSchema) return coreSchema;
  const tags = (new Schema({}).tags as unknown as ({ default?: unknown } & Partial<PlainTag>)[])
    .filter((t): t is PlainTag & { default: true } => t.default === true && t.test instanceof RegExp && typeof t.resolve === 'function');
  // Most plain scalars are text no tag matches: one test of all patterns at once answers that.
  const any = new RegExp(tags.map((t) => `(?:${t.test.source})`).join('|'));
  let matched: PlainTag | undefined;
  const onError = (message: string): never => {
    throw new Error(message);
  };
  const plain = new Type('tag:yaml.org,2002:yaml-core-plain', {
    kind: 'scalar',
    resolve: (data: unknown) => {
      if (typeof data !== 'string' || !any.test(data)) return false;
      matched = tags.find((t) => t.test.test(data));
      return matched !== undefined;
    },
    construct: (data: string) => {
      const resolved = matched!.resolve(data, onError, {});
      // Some tags resolve to a Scalar node (floats keep their digits); plain data holds its value.
      return isScalar(resolved) ? resolved.value : resolved;
    },
  });
  coreSchema = FAILSAFE_SCHEMA.extend({ implicit: [plain] });
  return coreSchema;
}

/**
 * Returns the documents of a YAML stream with their data and text ranges, or undefined when the
 * stream is not in the subset both readers agree on (see the module comment): the caller then
 * reads it with the `yaml` package. Never throws for any text. `data` of each document equals
 * what yamlDocuments (src/manifest/yaml-docs.ts) yields for it, documents are numbered as there,
 * and `lineCounter` holds the line starts a `yaml` parse of the stream records.
 */
export function plainYamlDocuments(text: string): PlainStream | undefined {
  if (LEAVE_TO_YAML.test(text)) return undefined;
  const ranges = plainLines(text);
  if (!ranges) return undefined;
  const documents: PlainDocument[] = [];
  for (const { start, end, empty, marker } of ranges) {
    // Text before the first `---` that holds only comments is no document; a `---` always starts one (null when empty).
    if (empty && !marker) continue;
    if (empty) {
      documents.push({ index: documents.length, data: null, start, end });
      continue;
    }
    let data: unknown;
    try {
      data = load(text.slice(start, end), { schema: schema() });
    } catch {
      return undefined;
    }
    // A document with content but null data (`~`), or a key `yaml` names differently (null, ...).
    if (data === null || data === undefined || !plainKeys(data)) return undefined;
    documents.push({ index: documents.length, data, start, end });
  }
  const lineCounter = new LineCounter();
  lineCounter.addNewLine(0);
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineCounter.addNewLine(i + 1);
  return { documents, lineCounter };
}

/**
 * True when no map in `value` has a key js-yaml and `yaml` could name differently: "null" (js-yaml
 * names a null key `null`, `yaml` ""), or one of the names JavaScript gives other values
 * (`[object Object]`, `true`... are plain keys too, but "null" is the only one a scalar key reads
 * differently, and collections as keys are refused before js-yaml runs). Iterative.
 */
function plainKeys(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
      continue;
    }
    for (const key in v) {
      if (key === 'null') return false;
      stack.push((v as Record<string, unknown>)[key]);
    }
  }
  return true;
}

/** A document's range in the stream, whether it starts with `---`, and whether it holds only comments, blank lines and its marker. */
interface Range {
  start: number;
  end: number;
  marker: boolean;
  empty: boolean;
}

/**
 * Returns the documents' ranges when every line of `text` is in the plain subset, else undefined.
 * A line is blank, a comment, a `---` marker (alone or with a comment), a line of a block scalar
 * (indented more than the line that opened it, or blank), or an indentation followed by any
 * number of `- ` and then `key: value`, `key:` or a value, where a key is a plain or quoted scalar
 * on the line and a value is empty, a plain scalar, a quoted scalar that closes on the line, a
 * flow collection that closes on the line, or a block scalar header; a line that is a plain scalar
 * alone (a continuation of a multi-line plain scalar, or a scalar document) is not in the subset.
 * This is a check of shape, not a parser: js-yaml still reads the text and refuses what is wrong.
 */
function plainLines(text: string): Range[] | undefined {
  const out: Range[] = [];
  let current: Range = { start: 0, end: text.length, marker: false, empty: true };
  /** The column of the node a block scalar being skipped belongs to, or -1. */
  let blockParent = -1;
  /** The longest blank line before a block scalar's first line of text (-1 once that line is seen). */
  let leadingBlank = -1;
  let at = 0;
  while (at < text.length) {
    let next = text.indexOf('\n', at);
    if (next < 0) next = text.length;
    if (next - at > MAX_LINE) return undefined;
    const line = text.slice(at, next);
    const indent = leadingSpaces(line);
    const blank = indent === line.length || (line[indent] === '\r' && indent + 1 === line.length);
    if (blockParent >= 0 && (blank || indent > blockParent)) {
      // A line of a block scalar: any text. Blank lines before its first line that are longer than
      // that line's indentation are refused by yaml and not by js-yaml.
      if (leadingBlank >= 0) {
        if (!blank && indent < leadingBlank) return undefined;
        leadingBlank = blank ? Math.max(leadingBlank, indent) : -1;
      }
    } else if (MARKER.test(line)) {
      blockParent = -1;
      if (at > 0) {
        current.end = at;
        out.push(current);
        current = { start: at, end: text.length, marker: true, empty: true };
      } else {
        current.marker = true;
      }
    } else {
      blockParent = -1;
      if (!blank && line[indent] !== '#') {
        const shape = lineShape(line, indent);
        if (shape === undefined) return undefined;
        current.empty = false;
        blockParent = shape;
        leadingBlank = 0;
      }
    }
    at = next + 1;
  }
  out.push(current);
  return out;
}

/** Returns the number of spaces a line starts with. */
function leadingSpaces(line: string): number {
  let i = 0;
  while (line.charCodeAt(i) === 0x20) i++;
  return i;
}

/**
 * Returns, for a non-blank, non-comment line of the plain subset (see plainLines), -1, or the
 * column of the node a block scalar opened on the line belongs to (its `-` or key): the block's
 * lines are those indented more. Returns undefined when the line is not in the subset.
 */
function lineShape(line: string, from: number): number | undefined {
  let i = from;
  let node = from;
  let entry = false;
  // Sequence entries: `- `, `- - `, or a `-` that ends the line (the entry's value is on the next lines).
  while (line[i] === '-' && (i + 1 === line.length || line[i + 1] === ' ' || line[i + 1] === '\r')) {
    entry = true;
    node = i;
    i = skipSpaces(line, i + 1);
  }
  if (atLineEnd(line, i)) return entry ? -1 : undefined;
  let token = scalarOrFlow(line, i);
  if (token === undefined) return undefined;
  if (token === 'block') return entry ? node : undefined;
  let after = skipSpaces(line, token);
  if (line[after] === ':' && (after + 1 === line.length || line[after + 1] === ' ' || line[after + 1] === '\r')) {
    // A key: plain or quoted, never a flow collection (yaml-docs.ts refuses those with its own message).
    if (line[i] === '[' || line[i] === '{') return undefined;
    node = i;
    i = skipSpaces(line, after + 1);
    if (atLineEnd(line, i)) return -1;
    if (line[i] === '-' && (line[i + 1] === ' ' || i + 1 === line.length)) return undefined;
    token = scalarOrFlow(line, i);
    if (token === undefined) return undefined;
    if (token === 'block') return node;
    after = skipSpaces(line, token);
    // `a: b: c` is refused by both readers; leave its message to yaml.
    if (line[after] === ':') return undefined;
  } else if (!entry) {
    // A plain scalar alone: a continuation of a multi-line scalar, or a scalar document.
    return undefined;
  }
  if (atLineEnd(line, after)) return -1;
  // A comment must be separated from the value by a space.
  return line[after] === '#' && after > token ? -1 : undefined;
}

/** True at the end of a line: its end, a carriage return, or a comment (`#` after a space or at the start). */
function atLineEnd(line: string, i: number): boolean {
  return i >= line.length || line[i] === '\r' || (line[i] === '#' && (i === 0 || line[i - 1] === ' '));
}

/** Characters that may not start a plain scalar here (indicators, and what this subset leaves to yaml: tags, anchors, aliases, explicit keys). */
const NOT_PLAIN_START = new Set(['?', ':', ',', ']', '}', '!', '&', '*', '%', '@', '`', '#', '-']);

/**
 * Returns the offset after the scalar or flow collection at `i` (a plain scalar ends at `: `, ` #`
 * or the end of the line), 'block' for a block scalar header (the rest of the line is then only a
 * comment), or undefined when it is none of these on one line.
 */
function scalarOrFlow(line: string, i: number): number | 'block' | undefined {
  const c = line[i]!;
  if (c === '"' || c === "'") return orUndefined(quotedEnd(line, i));
  if (c === '[' || c === '{') return orUndefined(flowEnd(line, i));
  // Block scalar headers without an indentation indicator (whose rules for less-indented lines differ between the readers).
  if (c === '|' || c === '>') return /^[|>][+-]?[ ]*(?:#.*)?\r?$/.test(line.slice(i)) ? 'block' : undefined;
  if (NOT_PLAIN_START.has(c) && !(c === '-' && line[i + 1] !== ' ' && line[i + 1] !== '\r' && i + 1 < line.length)) return undefined;
  return plainEnd(line, i);
}

function orUndefined(offset: number): number | undefined {
  return offset < 0 ? undefined : offset;
}

function skipSpaces(line: string, i: number): number {
  while (line[i] === ' ') i++;
  return i;
}

/** Returns the offset after a quoted scalar opening at `i`, or -1 when it does not close on the line. */
function quotedEnd(line: string, i: number): number {
  const q = line[i];
  for (let j = i + 1; j < line.length; j++) {
    const c = line[j];
    if (q === '"' && c === '\\') {
      j++;
    } else if (c === q) {
      if (q === "'" && line[j + 1] === "'") j++;
      else return j + 1;
    }
  }
  return -1;
}

/** Returns the offset after a flow collection opening at `i`, or -1 when it does not close on the line. */
function flowEnd(line: string, i: number): number {
  let depth = 0;
  let tokenStart = true;
  for (let j = i; j < line.length; j++) {
    const c = line[j]!;
    if (c === '[' || c === '{') {
      depth++;
      tokenStart = true;
    } else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0) return j + 1;
      // A collection as a key (`{[a]: 1}`): left to yaml.
      if (line[skipSpaces(line, j + 1)] === ':') return -1;
      tokenStart = false;
    } else if (c === ',' || c === ':') {
      tokenStart = true;
    } else if (c === ' ') {
      // Keeps tokenStart.
    } else if (c === '#' && line[j - 1] === ' ') {
      return -1;
    } else if (tokenStart && ('!&*?%@`|>'.includes(c) || (c === '-' && ' ,]}'.includes(line[j + 1] ?? ' ')))) {
      // Tags, anchors, aliases, explicit keys, reserved and block indicators, a `- ` entry: left to yaml.
      return -1;
    } else if ((c === '"' || c === "'") && tokenStart) {
      const end = quotedEnd(line, j);
      if (end < 0) return -1;
      j = end - 1;
      tokenStart = false;
    } else {
      tokenStart = false;
    }
  }
  return -1;
}

/**
 * Returns the offset where a plain scalar starting at `i` ends: at `: ` or a `:` ending the line
 * (it was a key), at ` #` (a comment), or at the end of the line (trailing spaces excluded).
 */
function plainEnd(line: string, i: number): number {
  let end = line.length;
  if (line[end - 1] === '\r') end--;
  for (let j = i; j < end; j++) {
    const c = line[j];
    if (c === ':' && (j + 1 === end || line[j + 1] === ' ')) return trimEnd(line, i, j);
    if (c === '#' && line[j - 1] === ' ') return trimEnd(line, i, j);
  }
  return trimEnd(line, i, end);
}

function trimEnd(line: string, from: number, to: number): number {
  while (to > from && line[to - 1] === ' ') to--;
  return to;
}
