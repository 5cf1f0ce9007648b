/**
 * YAML documents with source positions, on the `yaml` package's Document API so that errors and
 * findings can point at `file:line:column`.
 */
import { LineCounter, parseAllDocuments, isMap, isSeq, isScalar, type Document, type Node, type ParsedNode } from 'yaml';
import { DataError, type SourcePosition } from '../errors.js';

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

/**
 * Parses a YAML (or JSON) stream into documents. Empty documents (only comments) are dropped.
 * Throws DataError with `file:line:column` on the first syntax error of any document.
 */
export function parseYamlDocuments(text: string, file: string): SourceDocument[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: SourceDocument[] = [];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const pos = lineCounter.linePos(err.pos[0]);
      // The composer turns a stack overflow on deeply nested collections into RESOURCE_EXHAUSTION;
      // its text ("Maximum call stack size exceeded") would read like a crash, not like bad input.
      const text = err.code === 'RESOURCE_EXHAUSTION' ? NESTED_TOO_DEEP : `YAML syntax error: ${firstLine(err.message)}`;
      throw new DataError(text, { file, line: pos.line, column: pos.col });
    }
    if (doc.contents === null) continue;
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      const text = e instanceof RangeError ? NESTED_TOO_DEEP : `YAML error: ${(e as Error).message}`;
      throw new DataError(text, positionOfNode(doc.contents, lineCounter, file));
    }
    out.push({ file, index: out.length, data, doc, lineCounter });
  }
  return out;
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
