/**
 * Source-preserving edits of YAML documents: given a parsed document and the data it should hold,
 * plan text edits against the original source so that everything not changed survives byte for
 * byte (comments, key order, quoting, indentation, blank lines). `yaml`'s `Document.toString()`
 * normalises formatting, so edits are made on the source text using the node ranges instead.
 *
 * Edits are designed in mirrored pairs so that adding keys, list items or replacing scalars
 * (what `kube-inject` does) is undone byte for byte by planning the edits back to the old data
 * (what `kube-uninject` does):
 *
 * - a new block entry is inserted as EOL + indented lines at the end of the last content line of
 *   the entry before it; deleting an entry removes from the end of the previous entry's last
 *   content line to the end of its own last content line;
 * - a new first sequence item is inserted at the old first item's `-` as lines + EOL + indentation;
 *   deleting leading items removes from the first `-` to the next non-blank text after them;
 * - flow collections get `, item` after the previous item (or `item, ` before the first) and
 *   lose exactly that text when the item is deleted;
 * - a value whose style changes (scalar or `{}` to block map, block list to `[]`) is replaced from
 *   right after its `:` (or `-`) to the end of its content.
 *
 * This module knows nothing about Kubernetes or Istio; callers pass the merge key of lists.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Alias, type Document, type ParsedNode, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import {
  blockLines, flowText, inlineText, isJsonMap, isJsonScalar, isNonEmptyCollection, itemLines, keyText, pairLines, presentKeyCount, presentKeys,
  styledScalarText, type Layout, type ScalarMode,
} from './yaml-edit-render.js';

/** One text edit: replace `source.slice(start, end)` with `text`. Offsets are UTF-16 indices into the whole source. */
export interface TextEdit { start: number; end: number; text: string }

/** Options of {@link planEdits}. */
export interface EditOptions {
  /**
   * Returns the key that identifies the items of the sequence at `path` (`'name'` for containers,
   * env, volumes...), or undefined to compare items by position. `path` is the sequence's path in
   * the target data (map keys and list indices).
   */
  mergeKey?: (path: readonly (string | number)[]) => string | undefined;
}

type Path = readonly (string | number)[];

/**
 * Where a value node sits, which decides how it is replaced:
 * - `root`: the document's contents; `after` is where the document's content may start;
 * - `pair`: a block map value; `after` is right after the `:`, `col` the key's column;
 * - `item`: a block sequence item; `after` is right after the `-`, `col` the `-`'s column;
 * - `flow`: a value inside `{...}`/`[...]`; `after` is right after the `:` or the item's start.
 */
interface Slot { kind: 'root' | 'pair' | 'item' | 'flow'; after: number; col: number }

/** A block or flow map entry with the positions edits need. */
interface MapEntry { key: string; start: number; colon: number; value: ParsedNode; merge?: true }
/** A sequence item with the position of its `-` (block) or its first character (flow). */
interface SeqEntry { start: number; value: ParsedNode }
/** Entries of a collection, or undefined when its source uses constructs edits do not support. */
type Entries<E> = E[] | undefined;

/** Pairs of matched source and target item indices of a sequence, in source order. */
type Matches = Array<[source: number, target: number]>;

/** Thrown inside the planner when only replacing the whole document is safe. */
class WholeDocument extends Error {}

const DEFAULT_LAYOUT = { mapStep: 2, seqIndent: 0 };
/** Collection tags the JSON data model covers; other tags (`!!set`, custom) are compared via `toJS`. */
const PLAIN_TAGS = new Set(['tag:yaml.org,2002:map', 'tag:yaml.org,2002:seq']);
/** Bound on nodes visited through aliases while comparing, against alias bombs. */
const ALIAS_BUDGET = 100_000;
const MERGE_TAG = 'tag:yaml.org,2002:merge';

/**
 * Returns the edits that turn the text of one document of `source` into text that parses to
 * `target`; applied with {@link applyEdits}, untouched bytes stay as they were.
 *
 * `doc` must come from `parseAllDocuments(source, ...)` (ranges are offsets into `source`).
 * `target` is JSON data (what `doc.toJS()` returns, edited). Maps are diffed key by key, lists by
 * `options.mergeKey` or by position; changed scalars keep their quoting where the new value
 * allows. Parts that cannot be edited in place are replaced whole, down to the whole document.
 * Returns an empty list when `doc` already holds `target`. Edits do not overlap and at most one
 * insertion is made at any offset.
 *
 * Throws Error when `doc` has parse errors or no contents, TypeError when `target` holds values
 * that are not JSON data, RangeError for map keys longer than YAML allows (1024 characters).
 */
export function planEdits(source: string, doc: Document.Parsed, target: unknown, options: EditOptions = {}): TextEdit[] {
  if (doc.errors.length > 0) throw new Error(`cannot edit a document with syntax errors: ${doc.errors[0]!.message.split('\n')[0]}`);
  if (doc.contents === null) throw new Error('cannot edit an empty document');
  const planner = new Planner(source, doc, options);
  return planner.plan(target);
}

/**
 * Returns `source` with `edits` applied. Edits may come in any order but must not overlap; an
 * insertion (start === end) at the start of a replaced range comes before it.
 * Throws RangeError for offsets outside `source`, overlapping edits, or two insertions at one offset.
 */
export function applyEdits(source: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: string[] = [];
  let pos = 0;
  let lastInsertAt = -1;
  for (const e of sorted) {
    if (!Number.isInteger(e.start) || !Number.isInteger(e.end) || e.start < 0 || e.end < e.start || e.end > source.length) {
      throw new RangeError(`edit [${e.start}, ${e.end}) is outside the source (length ${source.length})`);
    }
    if (e.start < pos) throw new RangeError(`edit [${e.start}, ${e.end}) overlaps the previous edit ending at ${pos}`);
    if (e.start === e.end) {
      if (e.start === lastInsertAt) throw new RangeError(`two insertions at offset ${e.start}: their order is ambiguous`);
      lastInsertAt = e.start;
    }
    out.push(source.slice(pos, e.start), e.text);
    pos = e.end;
  }
  out.push(source.slice(pos));
  return out.join('');
}

/** One planning run over one document. */
class Planner {
  private readonly edits: TextEdit[] = [];
  /** Anchored nodes whose value the edits change (their aliases must keep the old value). */
  private readonly changedAnchors = new Set<ParsedNode>();
  private layoutCache: Layout | undefined;
  private aliasIndex: AliasIndex | undefined;
  private aliasBudget = ALIAS_BUDGET;
  private readonly eol: string;
  private jsonCache: boolean | undefined;
  private readonly root: ParsedNode;
  /** `<<` merges maps (YAML 1.1 documents, or the `merge` option): such maps are only compared and replaced whole. */
  private readonly mergeKeys: boolean;

  constructor(private readonly src: string, private readonly doc: Document.Parsed, private readonly options: EditOptions) {
    const nl = src.indexOf('\n');
    this.eol = nl > 0 && src[nl - 1] === '\r' ? '\r\n' : '\n';
    this.root = doc.contents as ParsedNode;
    this.mergeKeys = doc.schema.tags.some((tag) => tag.tag === MERGE_TAG && (tag.default === true || tag.default === 'key'));
  }

  /** The document is JSON (a flow root, every string double-quoted): new text in it stays JSON-compatible. */
  private get json(): boolean {
    this.jsonCache ??= isJsonText(this.root);
    return this.jsonCache;
  }

  plan(target: unknown): TextEdit[] {
    const slot = this.rootSlot();
    try {
      this.diff(this.root, target, slot, []);
      this.keepAliasesIntact();
      return this.finish();
    } catch (e) {
      if (!(e instanceof WholeDocument)) throw e;
    }
    this.edits.length = 0;
    this.replaceValue(this.root, target, slot);
    return this.finish();
  }

  /** Sorts the edits, joins insertions at one offset (inner edits were planned first, so their text comes first). */
  private finish(): TextEdit[] {
    const sorted = this.edits.filter((e) => e.start !== e.end || e.text !== '')
      .map((e, i) => ({ e, i }))
      .sort((a, b) => a.e.start - b.e.start || a.e.end - b.e.end || a.i - b.i)
      .map(({ e }) => e);
    const out: TextEdit[] = [];
    for (const e of sorted) {
      const prev = out[out.length - 1];
      if (prev && prev.start === prev.end && e.start === e.end && prev.start === e.start) {
        out[out.length - 1] = { start: prev.start, end: prev.end, text: prev.text + e.text };
        continue;
      }
      // Never expected; if it happens, rewriting the document is still correct where patching is not.
      if (prev && e.start < prev.end) throw new WholeDocument();
      out.push(e);
    }
    return out;
  }

  private push(start: number, end: number, text: string): void {
    this.edits.push({ start, end, text });
  }

  // ---------------------------------------------------------------- diffing

  private diff(node: ParsedNode, target: unknown, slot: Slot, path: Path): void {
    if (this.equal(node, target)) return;
    const before = this.edits.length;
    if (isMap(node) && isJsonMap(target) && isPlainCollection(node)) {
      this.diffMap(node as YAMLMap.Parsed, target, slot, path);
    } else if (isSeq(node) && Array.isArray(target) && isPlainCollection(node)) {
      this.diffSeq(node as YAMLSeq.Parsed, target, slot, path);
    } else if (isScalar(node) && !isEmptyNull(node) && isJsonScalar(target)) {
      this.replaceScalar(node as Scalar.Parsed, target, slot);
    } else {
      this.replaceValue(node, target, slot);
    }
    if (node.anchor && this.edits.length > before) this.changedAnchors.add(node);
  }

  private diffMap(node: YAMLMap.Parsed, targetIn: Record<string, unknown>, slot: Slot, path: Path): void {
    const entries = node.flow ? this.flowMapEntries(node, true) : this.blockMapEntries(node, true);
    let target = targetIn;
    const merges = entries?.filter((e) => e.merge) ?? [];
    if (merges.length > 0) {
      // `<<` entries stay as written while every key they bring in keeps its value; the map's own
      // keys are diffed as usual, and new keys are written after them.
      const own = this.ownTarget(node, entries!, target);
      if (!own) { this.replaceValue(node, target, slot); return; }
      target = own;
    }
    const keys = presentKeys(target);
    if (!entries || (keys.length === 0 && !node.flow && merges.length === 0) || this.emptyFlowInBlock(node, entries, slot)) {
      this.replaceValue(node, targetIn, slot);
      return;
    }
    const sourceKeys = new Set(entries.map((e) => e.key));
    const kept = entries.map((e) => e.merge === true || (Object.hasOwn(target, e.key) && target[e.key] !== undefined));
    const added = keys.filter((k) => !sourceKeys.has(k));
    if (entries.length > 0 && keys.length > 0 && !kept.includes(true)) { this.replaceValue(node, target, slot); return; }

    for (const [i, e] of entries.entries()) {
      if (!kept[i] || e.merge) continue;
      const childSlot: Slot = node.flow
        ? { kind: 'flow', after: e.colon + 1, col: 0 }
        : { kind: 'pair', after: e.colon + 1, col: this.blockCol(e.start) };
      this.diff(e.value, target[e.key], childSlot, [...path, e.key]);
    }
    const values = added.map((k) => [k, target[k]] as const);
    if (node.flow) {
      const mode: ScalarMode = this.json ? 'json' : 'flow';
      const texts = values.map(([k, v]) => `${keyText(k, mode)}: ${flowText(v, this.json)}`);
      this.flowDeletesAndInserts(node, entries.map((e) => ({ start: e.start, value: e.value })), kept, new Map([[lastIndex(kept), texts]]));
      return;
    }
    this.blockDeletes(entries, kept);
    if (values.length === 0) return;
    const last = entries[lastIndex(kept)]!;
    const col = this.blockCol(entries[0]!.start);
    const layout = this.layout();
    const text = values.map(([k, v]) => this.eol + pairLines(k, v, col, layout).join(this.eol)).join('');
    this.push(this.lineEnd(this.contentEnd(last.value)), this.lineEnd(this.contentEnd(last.value)), text);
  }

  /**
   * Returns `target` without the keys that only the map's `<<` entries bring in, or undefined
   * when one of those is gone or has another value in `target` (then the map is replaced whole).
   */
  private ownTarget(node: YAMLMap.Parsed, entries: MapEntry[], target: Record<string, unknown>): Record<string, unknown> | undefined {
    if (--this.aliasBudget < 0) return undefined;
    const full: unknown = node.toJS(this.doc, { maxAliasCount: 1000 });
    if (!isJsonMap(full)) return undefined;
    const own = new Set(entries.filter((e) => !e.merge).map((e) => e.key));
    const out: Record<string, unknown> = { ...target };
    for (const key of presentKeys(full)) {
      if (own.has(key)) continue;
      if (!Object.hasOwn(target, key) || !deepEqual(full[key], target[key])) return undefined;
      delete out[key];
    }
    return out;
  }

  private diffSeq(node: YAMLSeq.Parsed, target: unknown[], slot: Slot, path: Path): void {
    const entries = node.flow ? this.flowSeqEntries(node) : this.blockSeqEntries(node);
    if (!entries || (target.length === 0 && !node.flow) || this.emptyFlowInBlock(node, entries, slot)) {
      this.replaceValue(node, target, slot);
      return;
    }
    const matches = entries.length === 0 ? [] : this.matchItems(entries.map((e) => e.value), target, path);
    if (!matches || (matches.length === 0 && entries.length > 0 && target.length > 0)) { this.replaceValue(node, target, slot); return; }

    const kept = entries.map(() => false);
    for (const [s, t] of matches) {
      kept[s] = true;
      const e = entries[s]!;
      const childSlot: Slot = node.flow
        ? { kind: 'flow', after: e.start, col: 0 }
        : { kind: 'item', after: e.start + 1, col: this.blockCol(e.start) };
      this.diff(e.value, target[t], childSlot, [...path, t]);
    }
    // New items grouped by the kept source item they follow (-1: before the first kept item).
    const groups = new Map<number, unknown[]>();
    const targetToSource = new Map(matches.map(([s, t]) => [t, s]));
    let anchor = -1;
    for (let t = 0; t < target.length; t++) {
      const s = targetToSource.get(t);
      if (s !== undefined) { anchor = s; continue; }
      const group = groups.get(anchor) ?? [];
      group.push(target[t]);
      groups.set(anchor, group);
    }
    if (node.flow) {
      const texts = new Map([...groups].map(([k, items]) => [k, items.map((v) => flowText(v, this.json))]));
      this.flowDeletesAndInserts(node, entries, kept, texts);
      return;
    }
    this.blockDeletes(entries, kept);
    const col = this.blockCol(entries[0]!.start);
    const layout = this.layout();
    const gap = this.itemGap(entries[0]!);
    for (const [after, items] of groups) {
      if (after === -1) {
        const first = entries[kept.indexOf(true)]!;
        const text = items.map((v) => itemLines(v, col, layout, gap).join(this.eol).slice(col) + this.eol + ' '.repeat(col)).join('');
        this.push(first.start, first.start, text);
      } else {
        const at = this.lineEnd(this.contentEnd(entries[after]!.value));
        this.push(at, at, items.map((v) => this.eol + itemLines(v, col, layout, gap).join(this.eol)).join(''));
      }
    }
  }

  /** Returns the columns from an item's `-` to its content, as the existing item writes it (`-   name: x` → 4). */
  private itemGap(item: SeqEntry): number {
    const p = item.value.range[0];
    const sameLine = this.src.lastIndexOf('\n', p - 1) < item.start && !isEmptyNull(item.value);
    return sameLine && p - item.start >= 2 && /^-[ ]+$/.test(this.src.slice(item.start, p)) ? p - item.start : 2;
  }

  /**
   * An empty `{}`/`[]` that gains entries stays flow (`{a: b}`), so that the reverse edit, and
   * a reader of the result, can still tell it from a collection the edit created (those are
   * block). Nothing is replaced whole here.
   */
  private emptyFlowInBlock(_node: YAMLMap.Parsed | YAMLSeq.Parsed, _entries: readonly unknown[], _slot: Slot): boolean {
    return false;
  }

  /**
   * Returns matched (source, target) index pairs: by the merge key when every item on both sides
   * is a map with a unique string value for it, else by position (equal lengths, or one
   * contiguous run added or removed). Undefined when kept items changed order or no match applies.
   */
  private matchItems(items: ParsedNode[], target: unknown[], path: Path): Matches | undefined {
    const key = this.options.mergeKey?.(path);
    if (key !== undefined) {
      const sourceKeys = uniqueKeys(items.map((n) => mergeKeyOfNode(n, key)));
      const targetKeys = uniqueKeys(target.map((v) => (isJsonMap(v) && typeof v[key] === 'string' ? v[key] : undefined)));
      if (sourceKeys && targetKeys) {
        const at = new Map(targetKeys.map((k, t) => [k, t]));
        const matches: Matches = [];
        for (const [s, k] of sourceKeys.entries()) {
          const t = at.get(k);
          if (t === undefined) continue;
          if (matches.length > 0 && matches[matches.length - 1]![1] > t) return undefined;
          matches.push([s, t]);
        }
        return matches;
      }
    }
    const n = items.length;
    const m = target.length;
    if (n === m) return items.map((_, i) => [i, i]);
    const min = Math.min(n, m);
    let prefix = 0;
    while (prefix < min && this.equal(items[prefix]!, target[prefix])) prefix++;
    let suffix = 0;
    while (prefix + suffix < min && this.equal(items[n - 1 - suffix]!, target[m - 1 - suffix])) suffix++;
    if (prefix + suffix < min) return undefined;
    const matches: Matches = [];
    for (let i = 0; i < prefix; i++) matches.push([i, i]);
    for (let i = suffix; i > 0; i--) matches.push([n - i, m - i]);
    return matches;
  }

  // ---------------------------------------------------------------- block deletions

  /** Deletes runs of entries that are not kept (at least one entry is kept). */
  private blockDeletes(entries: ReadonlyArray<{ start: number; value: ParsedNode }>, kept: readonly boolean[]): void {
    for (let i = 0; i < entries.length; i++) {
      if (kept[i]) continue;
      let j = i;
      while (j + 1 < entries.length && !kept[j + 1]) j++;
      const endOfRun = this.lineEnd(this.contentEnd(entries[j]!.value));
      if (i > 0) {
        this.push(this.lineEnd(this.contentEnd(entries[i - 1]!.value)), endOfRun, '');
      } else {
        // Leading run: remove up to the next text, keeping the indentation before the first entry.
        this.push(entries[0]!.start, this.skipBlank(endOfRun), '');
      }
      i = j;
    }
  }

  // ---------------------------------------------------------------- flow collections

  /**
   * Deletes the flow items that are not kept and inserts `inserts` (texts keyed by the kept item
   * they follow, -1 for before the first kept item or into an empty collection).
   */
  private flowDeletesAndInserts(node: YAMLMap.Parsed | YAMLSeq.Parsed, entries: SeqEntry[], kept: readonly boolean[], inserts: Map<number, string[]>): void {
    const open = node.range[0];
    if (entries.length === 0) {
      const texts = inserts.get(-1) ?? [];
      if (texts.length > 0) this.push(open + 1, open + 1, texts.join(', '));
      return;
    }
    const first = entries[0]!.start;
    // Items on their own lines get new items on their own lines too.
    const sep = this.lineStart(first) > open ? `,${this.eol}${this.src.slice(this.lineStart(first), first)}` : ', ';
    if (!kept.includes(true)) {
      // Everything goes (the target is empty): remove the items and a trailing comma.
      let end = this.contentEnd(entries[entries.length - 1]!.value);
      const next = this.nextSignificant(end);
      if (this.src[next] === ',') end = next + 1;
      this.push(first, end, '');
      return;
    }
    for (let i = 0; i < entries.length; i++) {
      if (kept[i]) continue;
      let j = i;
      while (j + 1 < entries.length && !kept[j + 1]) j++;
      if (i > 0) this.push(this.contentEnd(entries[i - 1]!.value), this.contentEnd(entries[j]!.value), '');
      else this.push(first, entries[j + 1]!.start, '');
      i = j;
    }
    for (const [after, texts] of inserts) {
      if (texts.length === 0) continue;
      if (after === -1) {
        const at = entries[kept.indexOf(true)]!.start;
        this.push(at, at, texts.map((t) => t + sep).join(''));
      } else {
        const at = this.contentEnd(entries[after]!.value);
        this.push(at, at, texts.map((t) => sep + t).join(''));
      }
    }
  }

  // ---------------------------------------------------------------- replacements

  /** Replaces a scalar in place, keeping its quoting style where the new value allows it. */
  private replaceScalar(node: Scalar.Parsed, target: null | boolean | number | string, slot: Slot): void {
    const mode: ScalarMode = slot.kind !== 'flow' ? 'block' : this.json ? 'json' : 'flow';
    const start = this.fullStart(node, slot);
    this.push(start, this.contentEnd(node), styledScalarText(target, node.type, mode));
  }

  /**
   * Replaces a whole value, possibly changing its style: from right after its `:`/`-` to the end
   * of its content, writing ` value` inline or EOL + block lines. A comment after the `:` or after
   * an inline value stays on its line, so that the reverse replacement restores it.
   */
  private replaceValue(node: ParsedNode, target: unknown, slot: Slot): void {
    const end = this.contentEnd(node);
    // A list or map written in flow style stays flow when replaced whole; `{}`/`[]` become block.
    const keepFlow = isCollection(node) && node.flow === true && node.items.length > 0;
    const block = isNonEmptyCollection(target) && !keepFlow;
    const inline = (): string => (target === null && !isScalar(node) ? '' : ` ${keepFlow ? flowText(target, this.json) : inlineText(target)}`);
    const layout = this.layout();
    const eol = this.eol;
    switch (slot.kind) {
      case 'flow': {
        const start = isEmptyNull(node) ? end : this.fullStart(node, slot);
        this.push(start, end, this.spaceAfterIndicator(start) + flowText(target, this.json));
        return;
      }
      case 'root': {
        const start = isEmptyNull(node) ? end : this.fullStart(node, slot);
        const atLineStart = this.col(start) === 0;
        const flow = isCollection(node) && node.flow === true;
        if (block && !flow) {
          const lines = blockLines(target, 0, layout).join(eol);
          this.push(start, end, atLineStart ? lines : eol + lines);
        } else {
          const text = this.json || flow || !atLineStart ? flowText(target, this.json) : inlineText(target);
          this.push(start, end, this.spaceAfterIndicator(start) + text);
        }
        return;
      }
      case 'item': {
        if (!block) {
          this.push(slot.after, end, inline());
        } else {
          const lines = itemLines(target, slot.col, layout).join(eol);
          this.push(slot.after, end, lines.slice(slot.col + 1));
        }
        return;
      }
      case 'pair': {
        const start = slot.after;
        const colonLineEnd = this.lineEnd(start);
        const nodeIsBlock = isCollection(node) && !node.flow;
        // Only whitespace and a comment follow the `:` before a block value on later lines.
        const commentAfterColon = nodeIsBlock && colonLineEnd > start && colonLineEnd < node.range[0]
          && /^[ \t]*(#.*)?$/.test(this.src.slice(start, colonLineEnd));
        if (!block) {
          const text = inline();
          if (commentAfterColon) {
            this.push(start, start, text);
            this.push(colonLineEnd, end, '');
          } else {
            this.push(start, end, text);
          }
          return;
        }
        const nodeCol = nodeIsBlock ? this.blockCol(node.range[0]) : -1;
        const col = Array.isArray(target)
          ? (nodeCol >= slot.col ? nodeCol : slot.col + layout.seqIndent)
          : (nodeCol > slot.col ? nodeCol : slot.col + layout.mapStep);
        const text = eol + blockLines(target, col, layout).join(eol);
        if (nodeIsBlock) {
          this.push(commentAfterColon ? colonLineEnd : start, end, text);
          return;
        }
        const valueLineEnd = this.lineEnd(end);
        if (valueLineEnd > end) {
          // `key: value  # note` → `key:  # note` + block lines: the comment stays on the key's line.
          this.push(start, end, '');
          this.push(valueLineEnd, valueLineEnd, text);
        } else {
          this.push(start, end, text);
        }
        return;
      }
    }
  }

  /** A space when new text would otherwise touch a `:` or `-` indicator (`a:5` is a plain scalar). */
  private spaceAfterIndicator(at: number): string {
    const c = this.src[at - 1];
    return c === ':' || c === '-' ? ' ' : '';
  }

  // ---------------------------------------------------------------- aliases

  /**
   * Aliases of anchored nodes that the edits change or remove would change value or dangle;
   * each such alias outside the edited text is replaced by the value it stood for.
   */
  private keepAliasesIntact(): void {
    if (this.edits.length === 0) return;
    const [from, to] = [this.doc.range[0], this.doc.range[2]];
    const text = this.src.slice(from, to);
    if (!text.includes('*') || !text.includes('&')) return;
    const index = this.index();
    const spans = this.edits.filter((e) => e.end > e.start);
    // An anchored node is gone or changed when a span removes the text just before it (its `&anchor`):
    // spans end at content ends, line ends or entry starts, never between an anchor and its node.
    const removed = (n: ParsedNode): boolean => spans.some((e) => e.start < n.range[0] && n.range[0] <= e.end);
    const changed = (n: ParsedNode): boolean => this.changedAnchors.has(n) || removed(n);
    // An alias stays unless a span covers its first character.
    const kept = (a: Alias.Parsed): boolean => !spans.some((e) => e.start <= a.range[0] && a.range[0] < e.end);
    for (const ref of index.aliases) {
      if (!ref.resolved || !changed(ref.resolved) || !kept(ref.alias)) continue;
      const slot = ref.isKey ? undefined : this.slotOfChild(ref.parent, ref.index);
      if (!slot) throw new WholeDocument();
      this.replaceValue(ref.alias, ref.resolved.toJS(this.doc), slot);
    }
  }

  /** Returns the slot of item `index` of `parent`, or undefined when its collection is not editable in place. */
  private slotOfChild(parent: YAMLMap.Parsed | YAMLSeq.Parsed, index: number): Slot | undefined {
    if (isMap(parent)) {
      const entries = parent.flow ? this.flowMapEntries(parent) : this.blockMapEntries(parent);
      const e = entries?.[index];
      if (!e) return undefined;
      return parent.flow ? { kind: 'flow', after: e.colon + 1, col: 0 } : { kind: 'pair', after: e.colon + 1, col: this.blockCol(e.start) };
    }
    const entries = parent.flow ? this.flowSeqEntries(parent) : this.blockSeqEntries(parent);
    const e = entries?.[index];
    if (!e) return undefined;
    return parent.flow ? { kind: 'flow', after: e.start, col: 0 } : { kind: 'item', after: e.start + 1, col: this.blockCol(e.start) };
  }

  private index(): AliasIndex {
    this.aliasIndex ??= buildAliasIndex(this.root);
    return this.aliasIndex;
  }

  // ---------------------------------------------------------------- equality

  /** Returns true when `node` reads as `value` (what `toJS` would return, compared deeply). */
  private equal(node: ParsedNode | null, value: unknown): boolean {
    if (node === null) return value === null;
    if (isAlias(node)) {
      if (--this.aliasBudget < 0) return false;
      const resolved = this.index().resolved.get(node);
      return resolved !== undefined && this.equal(resolved, value);
    }
    if (isScalar(node)) {
      const v: unknown = node.value;
      if (isJsonScalar(v)) return Object.is(v, value) || (typeof v === 'number' && v === value);
      return deepEqual(node.toJS(this.doc), value);
    }
    if (!isPlainCollection(node)) return deepEqual(node.toJS(this.doc), value);
    if (isSeq(node)) {
      if (!Array.isArray(value) || value.length !== node.items.length) return false;
      return node.items.every((item, i) => !isPair(item) && this.equal(item, value[i]));
    }
    if (!isJsonMap(value)) return false;
    let count = 0;
    for (const pair of node.items) {
      const key = pair.key;
      if (!isScalar(key) || typeof key.value !== 'string' || this.isMergeKey(key)) return deepEqual(node.toJS(this.doc), value);
      if (!Object.hasOwn(value, key.value) || value[key.value] === undefined) return false;
      if (!this.equal(pair.value, value[key.value])) return false;
      count++;
    }
    return count === presentKeyCount(value);
  }

  private isMergeKey(key: unknown): boolean {
    if (!this.mergeKeys || !isScalar(key) || key.type !== 'PLAIN') return false;
    // The parser gives a merge key the value Symbol(<<); a key it did not read as one is '<<'.
    return key.value === '<<' || (typeof key.value === 'symbol' && key.value.description === '<<');
  }

  // ---------------------------------------------------------------- entries

  /** Entries of a block map; with `merges`, `<<` merge entries are included (marked), otherwise they make it uneditable. */
  private blockMapEntries(map: YAMLMap.Parsed, merges = false): Entries<MapEntry> {
    let start = map.range[0];
    // Properties (`&a`, `!t`) before the first key on its line: unclear whether they belong to the key or the map.
    if (/[&!][^\s]*[ \t]*$/.test(this.src.slice(this.lineStart(start), start))) return undefined;
    const out: MapEntry[] = [];
    for (const [i, pair] of map.items.entries()) {
      const key = pair.key;
      const value = pair.value;
      const merge = this.isMergeKey(key);
      if (!isScalar(key) || (typeof key.value !== 'string' && !merge) || key.range[0] !== start || value === null) return undefined;
      if (merge && !merges) return undefined;
      const colon = this.skipSpaces(key.range[1]);
      if (this.src[colon] !== ':') return undefined;
      out.push({ key: merge ? '<<' : String(key.value), start, colon, value, ...(merge ? { merge: true as const } : {}) });
      if (i + 1 < map.items.length) start = this.nextSignificant(this.contentEnd(value));
    }
    return out;
  }

  private blockSeqEntries(seq: YAMLSeq.Parsed): Entries<SeqEntry> {
    let start = seq.range[0];
    const out: SeqEntry[] = [];
    for (const [i, item] of seq.items.entries()) {
      if (isPair(item) || this.src[start] !== '-') return undefined;
      out.push({ start, value: item });
      if (i + 1 < seq.items.length) start = this.nextSignificant(this.contentEnd(item));
    }
    return out;
  }

  /** Entries of a flow map; `merges` as for blockMapEntries. */
  private flowMapEntries(map: YAMLMap.Parsed, merges = false): Entries<MapEntry> {
    if (this.src[map.range[0]] !== '{') return undefined;
    const out: MapEntry[] = [];
    let start = this.nextSignificant(map.range[0] + 1);
    for (const [i, pair] of map.items.entries()) {
      const key = pair.key;
      const value = pair.value;
      const merge = this.isMergeKey(key);
      if (!isScalar(key) || (typeof key.value !== 'string' && !merge) || key.range[0] !== start || value === null) return undefined;
      if (merge && !merges) return undefined;
      const colon = this.skipSpaces(key.range[1]);
      if (this.src[colon] !== ':') return undefined;
      out.push({ key: merge ? '<<' : String(key.value), start, colon, value, ...(merge ? { merge: true as const } : {}) });
      if (i + 1 < map.items.length) {
        const comma = this.nextSignificant(this.contentEnd(value));
        if (this.src[comma] !== ',') return undefined;
        start = this.nextSignificant(comma + 1);
      }
    }
    return out;
  }

  private flowSeqEntries(seq: YAMLSeq.Parsed): Entries<SeqEntry> {
    if (this.src[seq.range[0]] !== '[') return undefined;
    const out: SeqEntry[] = [];
    let start = this.nextSignificant(seq.range[0] + 1);
    for (const [i, item] of seq.items.entries()) {
      if (isPair(item) || start > item.range[0]) return undefined;
      out.push({ start, value: item });
      if (i + 1 < seq.items.length) {
        const comma = this.nextSignificant(this.contentEnd(item));
        if (this.src[comma] !== ',') return undefined;
        start = this.nextSignificant(comma + 1);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- positions

  private rootSlot(): Slot {
    let p = this.doc.range[0];
    // Skip directives, document markers and comments before the contents.
    for (;;) {
      p = this.nextSignificant(p);
      if (this.lineStart(p) === p && (this.src.startsWith('---', p) || this.src.startsWith('...', p)) && /^[ \t\r\n]?$/.test(this.src[p + 3] ?? '')) {
        p += 3;
      } else if (this.lineStart(p) === p && this.src[p] === '%') {
        p = this.lineEnd(p);
      } else {
        break;
      }
    }
    return { kind: 'root', after: Math.min(p, this.root.range[0]), col: 0 };
  }

  /** Returns where the node's text starts, including properties (`&anchor`, `!tag`) before it. */
  private fullStart(node: ParsedNode, slot: Slot): number {
    return Math.min(this.nextSignificant(slot.after), node.range[0]);
  }

  /** Returns the offset right after the node's last content character (comments and line breaks excluded). */
  private contentEnd(node: ParsedNode | null): number {
    for (;;) {
      if (node === null) throw new Error('internal error: no node');
      if (isScalar(node)) {
        const end = node.range[1];
        if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
          // The range ends after the scalar's last line break; its last line ends before it.
          let e = end;
          if (this.src[e - 1] === '\n') e--;
          if (this.src[e - 1] === '\r') e--;
          return e;
        }
        if (node.range[0] === end) {
          // An empty value's range can start after trailing spaces (`key:   # note`).
          let e = end;
          while (e > 0 && (this.src[e - 1] === ' ' || this.src[e - 1] === '\t')) e--;
          return e;
        }
        return end;
      }
      if (isAlias(node) || (isCollection(node) && node.flow)) return node.range[1];
      if (isMap(node)) {
        const last = node.items[node.items.length - 1];
        if (!last) return node.range[1];
        node = (last.value ?? last.key) as ParsedNode | null;
      } else {
        const last = node.items[node.items.length - 1];
        if (last === undefined) return node.range[1];
        node = isPair(last) ? (last.value ?? last.key) as ParsedNode | null : last;
      }
    }
  }

  private lineStart(p: number): number {
    return p === 0 ? 0 : this.src.lastIndexOf('\n', p - 1) + 1;
  }

  private col(p: number): number {
    return p - this.lineStart(p);
  }

  /**
   * Returns the column of a block node, where new lines are indented with spaces. A tab before it
   * (`-\tkey: v`) makes the column ambiguous, so only rewriting the whole document is safe.
   */
  private blockCol(p: number): number {
    const start = this.lineStart(p);
    if (this.src.slice(start, p).includes('\t')) throw new WholeDocument();
    return p - start;
  }

  /** Returns the end of the line holding `p`, before its line break. */
  private lineEnd(p: number): number {
    const nl = this.src.indexOf('\n', p);
    if (nl < 0) return this.src.length;
    return nl > p && this.src[nl - 1] === '\r' ? nl - 1 : nl;
  }

  private skipSpaces(p: number): number {
    while (this.src[p] === ' ' || this.src[p] === '\t') p++;
    return p;
  }

  /** Returns the first offset at or after `p` that is not whitespace or a line break. */
  private skipBlank(p: number): number {
    for (;;) {
      const c = this.src[p];
      if (c !== ' ' && c !== '\t' && c !== '\r' && c !== '\n') return p;
      p++;
    }
  }

  /** Returns the first offset at or after `p` that is not whitespace, a line break or a comment. */
  private nextSignificant(p: number): number {
    for (;;) {
      const c = this.src[p];
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\ufeff') p++;
      else if (c === '#') p = this.lineEnd(p);
      else return p;
    }
  }

  /** Returns the document's layout for new nested collections, detected from its first examples. */
  private layout(): Layout {
    if (this.layoutCache) return this.layoutCache;
    let mapStep: number | undefined;
    let seqIndent: number | undefined;
    const stack: ParsedNode[] = [this.root];
    while (stack.length > 0 && (mapStep === undefined || seqIndent === undefined)) {
      const node = stack.pop()!;
      if (!isCollection(node) || node.flow) continue;
      if (isSeq(node)) {
        for (let i = node.items.length - 1; i >= 0; i--) { const item = node.items[i]!; if (!isPair(item)) stack.push(item); }
        continue;
      }
      for (let i = node.items.length - 1; i >= 0; i--) {
        const { key, value } = node.items[i]!;
        if (!isScalar(key) || !value || !isCollection(value) || value.flow) continue;
        const step = this.col(value.range[0]) - this.col(key.range[0]);
        if (isMap(value) && mapStep === undefined && step > 0) mapStep = step;
        if (isSeq(value) && seqIndent === undefined && step >= 0) seqIndent = step;
        stack.push(value);
      }
    }
    this.layoutCache = { eol: this.eol, mapStep: mapStep ?? DEFAULT_LAYOUT.mapStep, seqIndent: seqIndent ?? DEFAULT_LAYOUT.seqIndent };
    return this.layoutCache;
  }
}

// ---------------------------------------------------------------- helpers

interface AliasRef { alias: Alias.Parsed; resolved: ParsedNode | undefined; parent: YAMLMap.Parsed | YAMLSeq.Parsed; index: number; isKey: boolean }
interface AliasIndex { aliases: AliasRef[]; resolved: Map<Alias.Parsed, ParsedNode> }

/** Walks the document in source order, resolving each alias to the last anchor of its name before it (as YAML does). */
function buildAliasIndex(root: ParsedNode): AliasIndex {
  const anchors = new Map<string, ParsedNode>();
  const index: AliasIndex = { aliases: [], resolved: new Map() };
  const visit = (node: ParsedNode | null, parent: YAMLMap.Parsed | YAMLSeq.Parsed | null, i: number, isKey: boolean): void => {
    if (node === null) return;
    if (isAlias(node)) {
      const resolved = anchors.get(node.source);
      if (resolved) index.resolved.set(node, resolved);
      if (parent) index.aliases.push({ alias: node, resolved, parent, index: i, isKey });
      return;
    }
    if (isMap(node)) {
      node.items.forEach((pair, j) => { visit(pair.key as ParsedNode | null, node, j, true); visit(pair.value, node, j, false); });
    } else if (isSeq(node)) {
      node.items.forEach((item, j) => {
        if (isPair(item)) { visit(item.key as ParsedNode | null, node, j, true); visit(item.value as ParsedNode | null, node, j, false); } else visit(item, node, j, false);
      });
    }
    // The anchor is defined once the node is complete (an alias inside its own anchor's node is an error).
    if (node.anchor) anchors.set(node.anchor, node);
  };
  visit(root, null, 0, false);
  return index;
}

function isCollection(node: ParsedNode): node is YAMLMap.Parsed | YAMLSeq.Parsed {
  return isMap(node) || isSeq(node);
}

/** Returns true for maps and lists without a tag that changes their meaning (`!!set`, `!!omap`, custom tags). */
function isPlainCollection(node: ParsedNode): boolean {
  return node.tag === undefined || PLAIN_TAGS.has(node.tag);
}

/** Returns true for a null scalar with no text (`key:` or `-` with nothing after). */
function isEmptyNull(node: ParsedNode): boolean {
  return isScalar(node) && node.value === null && node.range[0] === node.range[1];
}

/**
 * Returns true when the document reads as JSON: a flow root in which every string (key or value)
 * is double-quoted. Walks the whole tree, so it is only asked when new flow text is written.
 */
function isJsonText(root: ParsedNode): boolean {
  if (!isCollection(root) || !root.flow) return false;
  const stack: Array<ParsedNode | null | unknown> = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isScalar(node)) {
      if (typeof node.value === 'string' && node.type !== 'QUOTE_DOUBLE') return false;
    } else if (isMap(node)) {
      for (const pair of node.items) stack.push(pair.key, pair.value);
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(isPair(item) ? item.key : item);
    } else if (isAlias(node)) {
      return false;
    }
  }
  return true;
}

function lastIndex(flags: readonly boolean[]): number {
  return flags.lastIndexOf(true);
}

function mergeKeyOfNode(node: ParsedNode, key: string): string | undefined {
  if (!isMap(node)) return undefined;
  for (const pair of node.items) {
    if (isScalar(pair.key) && pair.key.value === key) {
      return pair.value && isScalar(pair.value) && typeof pair.value.value === 'string' ? pair.value.value : undefined;
    }
  }
  return undefined;
}

/** Returns the list when every value is defined and unique, else undefined. */
function uniqueKeys(values: Array<string | undefined>): string[] | undefined {
  const seen = new Set<string>();
  for (const v of values) {
    if (v === undefined || seen.has(v)) return undefined;
    seen.add(v);
  }
  return values as string[];
}

/**
 * Deep equality of what `toJS` returns: plain data, and the values of YAML 1.1 tags (`Date`s
 * compare by time, `!!binary` bytes by content, `!!set` and `!!omap` by their entries in order),
 * so that an unchanged value of any tag is left as written.
 */
function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a === b;
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    return x.every((byte, i) => byte === y[i]);
  }
  if (a instanceof Set || b instanceof Set || a instanceof Map || b instanceof Map) {
    if (!(a instanceof Set && b instanceof Set) && !(a instanceof Map && b instanceof Map)) return false;
    return deepEqual([...a.entries()], [...b.entries()]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (!isJsonMap(a) || !isJsonMap(b)) return false;
  const ka = presentKeys(a);
  return ka.length === presentKeys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
}
