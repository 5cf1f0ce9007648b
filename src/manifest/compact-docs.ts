/**
 * YAML documents that keep their plain data and a way back to positions, but not their trees.
 *
 * A `yaml` Document tree (nodes, ranges, the CST tokens behind them) costs about 28 times the text
 * it was parsed from: analyze of a 45 MB stream of 80,000 documents peaked at 1.7 GB, most of it trees.
 * analyze and validate need the trees only to turn a path into `file:line:column` for the few
 * nodes a finding names. So each document is parsed, handed to the caller while its tree is alive
 * (problems found then are positioned from it), and then kept as its data, its place in the text
 * and the stream's line starts. When a position is asked for later, the document's own text is
 * parsed again and its ranges moved to where the document starts, so positions are those of a
 * tree kept from the first parse. Each stream holds one tree: the document being read, then the
 * document last parsed again, so a burst of findings on one document parses it once.
 */
import { isMap, isNode, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { plainYamlDocuments } from './plain-yaml-docs.js';
import { isJsonFile, yamlDocuments, type SourceDocument } from './yaml-docs.js';

/** What every document of one stream shares. */
interface StreamText {
  text: string;
  /**
   * The tree of the document being read or last parsed again, by index. Held strongly: a WeakRef
   * made or read keeps its target alive until the synchronous job ends, which for a stream parsed
   * in one go would be every tree.
   */
  last?: { index: number; tree: Document.Parsed };
}

/** A document of a stream whose tree is parsed again from the text when asked for. */
class CompactDocument implements SourceDocument {
  constructor(
    readonly file: string,
    readonly index: number,
    readonly data: unknown,
    readonly lineCounter: LineCounter,
    private readonly stream: StreamText,
    /** Offsets of the document's text: from the start of its first line to the end of its range. */
    private readonly start: number,
    private readonly end: number,
  ) {}

  /** The document's tree, with ranges as offsets into the whole stream (see the module comment). */
  get doc(): Document.Parsed {
    const last = this.stream.last;
    if (last?.index === this.index) return last.tree;
    const tree = reparse(this.stream.text, this.start, this.end);
    this.stream.last = { index: this.index, tree };
    return tree;
  }
}

/**
 * Yields the documents of a YAML (or JSON) stream one at a time, by the rules of
 * parseYamlDocuments (same checks, same DataError at `file:line:column`, same data). Each yielded
 * document's `doc` is its live tree while the caller holds it; once the caller moves on, the tree
 * can be collected and `doc` parses the document's text again on demand. Node ranges in `doc` and
 * `lineCounter` always refer to the whole stream, so positionOf gives the same answer either way.
 *
 * Streams with a directive (`%YAML`, `%TAG`) keep their trees: a directive can change how
 * documents after it read, which a document parsed on its own would not see. Streams in the plain
 * subset of src/manifest/plain-yaml-docs.ts are read into data by js-yaml, with the same data and
 * numbering, and no document tree is built until a position is asked for.
 */
export function* compactYamlDocuments(text: string, file: string): Generator<SourceDocument> {
  const lineCounter = new LineCounter();
  if (/(?:^|\n)%/.test(text)) {
    yield* yamlDocuments(text, file, lineCounter);
    return;
  }
  const stream: StreamText = { text };
  // Streams in the plain subset are read without building trees (src/manifest/plain-yaml-docs.ts):
  // `yaml` then parses only the documents a position is asked of. JSON files keep their strict check.
  const plain = isJsonFile(file) ? undefined : plainYamlDocuments(text);
  if (plain) {
    const { documents, lineCounter: lines } = plain;
    for (let i = 0; i < documents.length; i++) {
      const d = documents[i]!;
      // Let go of each document as it is handed over: a caller that drops it (a kind it skips) frees its data.
      documents[i] = undefined!;
      yield new CompactDocument(file, d.index, d.data, lines, stream, d.start, d.end);
    }
    return;
  }
  for (const live of yamlDocuments(text, file, lineCounter)) {
    const [from, , to] = live.doc.range;
    // From the start of the line: a first document indented (`  a: 1`) must keep its indentation.
    const start = text.lastIndexOf('\n', from - 1) + 1;
    stream.last = { index: live.index, tree: live.doc };
    yield new CompactDocument(file, live.index, live.data, lineCounter, stream, start, to);
  }
  stream.last = undefined;
}

/**
 * Returns the tree of the document at `[start, end)` of `text`, with every range moved by `start`.
 * Falls back to parsing the text up to `end` (the document is then the last one) should the slice
 * not read as exactly one document, which the rules for document starts make unexpected.
 */
function reparse(text: string, start: number, end: number): Document.Parsed {
  const options = { prettyErrors: false, uniqueKeys: true, merge: true } as const;
  const docs = parseAllDocuments(text.slice(start, end), options);
  const own = Array.isArray(docs) ? docs.filter((d) => d.contents !== null) : [];
  if (own.length === 1 && own[0]!.errors.length === 0) return shifted(own[0]!, start);
  const all = parseAllDocuments(text.slice(0, end), options);
  const list = Array.isArray(all) ? all : [all];
  return list[list.length - 1]!;
}

function shifted(doc: Document.Parsed, by: number): Document.Parsed {
  if (by === 0) return doc;
  const move = (range: number[]): void => {
    for (let i = 0; i < range.length; i++) range[i] = range[i]! + by;
  };
  move(doc.range);
  // An explicit stack, as the document's first parse walked it, so deep nesting cannot overflow.
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!isNode(node)) continue;
    if (node.range) move(node.range);
    if (isMap(node)) for (const pair of node.items) stack.push(pair.key, pair.value);
    else if (isSeq(node)) stack.push(...node.items);
  }
  return doc;
}
