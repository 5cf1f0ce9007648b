/**
 * YAML documents with source positions, on the `yaml` package's Document API so that errors and
 * findings can point at `file:line:column`.
 */
import { Composer, LineCounter, Parser, isAlias, isMap, isSeq, isScalar, type Alias, type Document, type Node, type ParsedNode } from 'yaml';
import { DataError, formatPosition, type SourcePosition } from '../errors.js';

/** One parsed YAML document, its plain data and a way back to positions. */
export interface SourceDocument {
  /** File name as the user gave it (`-` is shown as `<stdin>`). */
  file: string;
  /** 0-based index of the document in the stream. */
  index: number;
  /** The plain data (`null` for an empty document). */
  data: unknown;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

/** Limits that protect against hostile input (alias bombs, huge documents). */
const MAX_ALIAS_COUNT = 1000;
/** The message for input nested deeper than the parser's stack allows (several hundred levels). */
const NESTED_TOO_DEEP = 'YAML error: collections are nested too deeply to read';

/** True when `file` names a JSON file (`.json`), which is read as strict JSON, not as YAML. */
export function isJsonFile(file: string): boolean {
  return /\.json$/i.test(file);
}

/**
 * Returns the value of a JSON text, parsed strictly (`JSON.parse`: no trailing commas, no single
 * quotes, no comments; a leading byte-order mark is allowed). Throws DataError
 * `JSON syntax error: ...` at the `file:line:column` of the first fault.
 */
export function parseJsonStrict(text: string, file: string): unknown {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const at = (offset: number) => {
    const before = body.slice(0, offset).split('\n');
    return { file, line: before.length, column: before[before.length - 1]!.length + 1 };
  };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    // V8's messages name a position only for some faults, and differ between Node versions.
    const fault = jsonFault(body) ?? { offset: 0, reason: (e as Error).message };
    throw new DataError(`JSON syntax error: ${fault.reason}`, at(fault.offset));
  }
  // JSON.parse keeps the last of two equal keys; YAML (and so every other reader) refuses them.
  const duplicate = jsonFault(body, true);
  if (duplicate) throw new DataError(`JSON error: ${duplicate.reason}`, at(duplicate.offset));
  return value;
}

/**
 * Returns the offset and a description of the first fault in a JSON text, or undefined when it
 * finds none; with `duplicates`, a key that appears twice in one object is a fault too. A single
 * pass with an explicit stack, so deep nesting cannot overflow.
 */
function jsonFault(text: string, duplicates = false): { offset: number; reason: string } | undefined {
  let i = 0;
  const found = () => (i >= text.length ? 'the end of the input' : JSON.stringify(text[i]));
  const fault = (reason: string) => ({ offset: i, reason });
  const skipSpace = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const scanString = (): string | undefined => {
    i++;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return 'a control character in a string';
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else if (e !== undefined && e !== 'u' && '"\\/bfnrt'.includes(e)) i += 2;
        else return 'an invalid escape in a string';
        continue;
      }
      i++;
    }
    return 'an unterminated string';
  };
  const SCALAR = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
  const stack: ('{' | '[')[] = [];
  const keys: (Set<string> | undefined)[] = [];
  let state: 'value' | 'value-or-end' | 'key' | 'key-or-end' | 'after-value' = 'value';
  for (;;) {
    skipSpace();
    if (state === 'value' || state === 'value-or-end') {
      const c = text[i];
      if (state === 'value-or-end' && c === ']') {
        i++;
        stack.pop();
        keys.pop();
        state = 'after-value';
      } else if (c === '{' || c === '[') {
        stack.push(c);
        keys.push(duplicates && c === '{' ? new Set() : undefined);
        i++;
        state = c === '{' ? 'key-or-end' : 'value-or-end';
      } else if (c === '"') {
        const bad = scanString();
        if (bad) return fault(bad);
        state = 'after-value';
      } else {
        SCALAR.lastIndex = i;
        const m = SCALAR.exec(text);
        if (!m) return fault(`expected a value, found ${found()}`);
        i += m[0].length;
        state = 'after-value';
      }
      continue;
    }
    if (state === 'key' || state === 'key-or-end') {
      if (state === 'key-or-end' && text[i] === '}') {
        i++;
        stack.pop();
        keys.pop();
        state = 'after-value';
        continue;
      }
      if (text[i] !== '"') return fault(`expected a double-quoted property name, found ${found()}`);
      const keyStart = i;
      const bad = scanString();
      if (bad) return fault(bad);
      const seen = keys[keys.length - 1];
      if (seen) {
        const key = JSON.parse(text.slice(keyStart, i)) as string;
        if (seen.has(key)) return { offset: keyStart, reason: `key ${JSON.stringify(key)} appears twice in one object` };
        seen.add(key);
      }
      skipSpace();
      if (text[i] !== ':') return fault(`expected ':' after a property name, found ${found()}`);
      i++;
      state = 'value';
      continue;
    }
    const top = stack[stack.length - 1];
    if (top === undefined) return i < text.length ? fault(`unexpected ${found()} after the JSON value`) : undefined;
    const close = top === '{' ? '}' : ']';
    if (text[i] === ',') {
      i++;
      state = top === '{' ? 'key' : 'value';
    } else if (text[i] === close) {
      i++;
      stack.pop();
      keys.pop();
    } else {
      return fault(`expected ',' or '${close}', found ${found()}`);
    }
  }
}

/**
 * Parses a YAML (or JSON) stream into documents. Empty documents (only comments) are dropped. A
 * `.json` file (see isJsonFile) must first be strict JSON, so that a trailing comma or single quotes,
 * which YAML accepts, are the same syntax error for every command. Throws DataError with
 * `file:line:column` on the first syntax error of any document, and at the first mapping key that
 * is a list or a map (`? [a, b]`): such a key has no counterpart in JSON or in Kubernetes objects,
 * and reading it as text would change the data.
 */
export function parseYamlDocuments(text: string, file: string): SourceDocument[] {
  return [...yamlDocuments(text, file)];
}

/**
 * Yields the documents of a YAML (or JSON) stream one at a time, with the checks, errors and
 * order of parseYamlDocuments, so that a caller can let go of each document's tree before the
 * next one is parsed (src/manifest/compact-docs.ts). `lineCounter` receives the stream's line
 * starts; every document yielded shares it.
 */
export function* yamlDocuments(text: string, file: string, lineCounter = new LineCounter()): Generator<SourceDocument> {
  if (isJsonFile(file) && text.trim() !== '') parseJsonStrict(text, file);
  // `<<` merge keys as Kubernetes reads them (go-yaml merges in every document, not only in YAML 1.1 ones).
  // parseAllDocuments without the array: the same parser and composer, one document at a time.
  const composer = new Composer({ prettyErrors: false, uniqueKeys: true, merge: true });
  // An alias is written `*name`: a stream without a `*` has none to look for.
  const mayHaveAliases = text.includes('*');
  let index = 0;
  for (const doc of composer.compose(new Parser(lineCounter.addNewLine).parse(text))) {
    const err = doc.errors[0];
    if (err) {
      const pos = lineCounter.linePos(err.pos[0]);
      // The composer turns a stack overflow on deeply nested collections into RESOURCE_EXHAUSTION;
      // its text ("Maximum call stack size exceeded") would read like a crash, not like bad input.
      const text = err.code === 'RESOURCE_EXHAUSTION' ? NESTED_TOO_DEEP : `YAML syntax error: ${firstLine(err.message)}`;
      throw new DataError(text, { file, line: pos.line, column: pos.col });
    }
    if (doc.contents === null) continue;
    const key = collectionKey(doc);
    if (key) {
      throw new DataError(`a mapping key must be a scalar (text, a number or a boolean), not a ${isSeq(key.target) ? 'list' : 'map'}`,
        positionOfNode(key.at, lineCounter, file));
    }
    const aliases = mayHaveAliases ? aliasNodes(doc) : [];
    const fault = aliasFault(doc, aliases);
    if (fault) throw new DataError(fault.message, positionOfNode(fault.at, lineCounter, file));
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      const text = e instanceof RangeError ? NESTED_TOO_DEEP : `YAML error: ${(e as Error).message}`;
      // An alias bomb is the only other fault here: point at its first alias.
      throw new DataError(text, positionOfNode(aliases[0] ?? doc.contents, lineCounter, file));
    }
    yield { file, index: index++, data, doc, lineCounter };
  }
}

/**
 * Returns the first mapping key, in document order, that is a list or a map (itself or through an
 * alias), or undefined. Walks with an explicit stack, so deep nesting cannot overflow.
 */
function collectionKey(doc: Document.Parsed): { at: Node; target: Node } | undefined {
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const items = node.items;
      for (const pair of items) {
        const target: unknown = isAlias(pair.key) ? pair.key.resolve(doc) : pair.key;
        if (isMap(target) || isSeq(target)) return { at: pair.key as Node, target };
      }
      // Children pushed last to first, so that they are visited first to last (no copies made).
      for (let i = items.length - 1; i >= 0; i--) stack.push(items[i]!.value);
    } else if (isSeq(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]);
    }
  }
  return undefined;
}

/** Returns the aliases of a document in document order. Walks with an explicit stack, so deep nesting cannot overflow. */
function aliasNodes(doc: Document.Parsed): Alias[] {
  const out: Alias[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isAlias(node)) {
      out.push(node);
    } else if (isMap(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]!.value, node.items[i]!.key);
    } else if (isSeq(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]);
    }
  }
  return out;
}

/**
 * Returns the first alias that cannot be read as data, with why: one naming no anchor set before
 * it, or one inside the collection its anchor names (`&a [*a]`), which would make the data endless
 * (a cycle that JSON, and so a Kubernetes object, cannot hold).
 */
function aliasFault(doc: Document.Parsed, aliases: readonly Alias[]): { at: Node; message: string } | undefined {
  for (const alias of aliases) {
    const target = alias.resolve(doc);
    if (!target) return { at: alias, message: `YAML error: alias *${alias.source} names no anchor set before it` };
    const [start, end] = target.range ?? [0, 0];
    const at = alias.range?.[0] ?? -1;
    if ((isMap(target) || isSeq(target)) && at >= start && at < end) {
      return { at: alias, message: `YAML error: alias *${alias.source} is inside the collection its anchor names (a cycle)` };
    }
  }
  return undefined;
}

/**
 * Returns the value of a YAML (or JSON) text that is not a file of its own, such as an annotation's
 * value, parsed by the rules parseYamlDocuments applies to files (a mapping key that is a list or a
 * map refused, aliases bounded); null for a text without a document. Throws Error with the problem
 * and its line and column in the text, or for more than one document; the caller says where the
 * text came from.
 */
export function parseYamlText(text: string): unknown {
  let docs: SourceDocument[];
  try {
    docs = parseYamlDocuments(text, '');
  } catch (e) {
    if (!(e instanceof DataError) || !e.position) throw e;
    throw new Error(`${e.message.slice(formatPosition(e.position).length + 2)} (line ${e.position.line}, column ${e.position.column})`);
  }
  if (docs.length > 1) throw new Error(`expected one YAML document, found ${docs.length}`);
  return docs[0]?.data ?? null;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function positionOfNode(node: Node | null | undefined, lc: LineCounter, file: string): SourcePosition {
  const offset = node?.range?.[0] ?? 0;
  const p = lc.linePos(offset);
  return { file, line: p.line, column: p.col };
}

/**
 * Returns the position of the node at `path` in the document: the key of the last path element
 * when `key` is set (for "unknown field" errors), otherwise its value. Falls back to the deepest
 * existing ancestor, so a missing field points at the map that should hold it.
 */
export function positionOf(src: SourceDocument, path: readonly (string | number)[], key = false): SourcePosition {
  let node: ParsedNode | null = src.doc.contents;
  let keyNode: ParsedNode | null = null;
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step));
      if (!pair) break;
      keyNode = pair.key as ParsedNode;
      node = pair.value as ParsedNode | null;
      if (node === null) { node = keyNode; }
    } else if (isSeq(node) && typeof step === 'number') {
      const item = node.items[step] as ParsedNode | undefined;
      if (!item) break;
      keyNode = null;
      node = item;
    } else {
      break;
    }
  }
  const target = key && keyNode ? keyNode : node;
  return positionOfNode(target, src.lineCounter, src.file);
}
