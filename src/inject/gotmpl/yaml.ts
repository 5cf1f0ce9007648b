/**
 * Istio's `toYaml` (sigs.k8s.io/yaml.Marshal): encoding/json first, then the JSON read back as
 * go-yaml v2 reads it (integers stay integers, other numbers become float64) and written with
 * go-yaml v2's block emitter: keys sorted in go-yaml's natural order, sequences not indented
 * under their key, empty collections as `{}`/`[]`, and go-yaml's choice between plain,
 * single-quoted, double-quoted and literal (`|-`) scalars, including folding of long plain and
 * quoted scalars at 80 columns. Complex (`? key`) mapping keys are not produced.
 */

import { formatFloat } from './format.js';
import { jsonFloat, marshalJSON } from './json.js';
import { GoError, GoMap, GoNum, GoPtr, GoSlice, GoStruct, type GoValue, isFloatKind } from './values.js';

/** The value model of go-yaml's decoder output for JSON input. */
type Y = null | boolean | { int: string } | { float: number } | string | Y[] | Map<string, Y>;

/** Converts a Go value to what JSON-encoding it and decoding that with go-yaml v2 yields. */
function toY(v: GoValue): Y {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return { int: String(v) };
    default:
  }
  if (v === null) return null;
  if (v instanceof GoNum) {
    if (!isFloatKind(v.type.kind)) return { int: String(v.v) };
    const text = jsonFloat(v.v);
    return /[.eE]/.test(text) ? { float: Number(text) } : { int: text };
  }
  if (v instanceof GoPtr) return v.elem === null ? null : toY(v.elem);
  if (v instanceof GoMap) {
    if (!v.m) return null;
    const m = new Map<string, Y>();
    for (const [k, x] of v.m) m.set(k, toY(x));
    return m;
  }
  if (v instanceof GoSlice) {
    if (!v.a) return null;
    if (v.type.elem?.kind === 'uint8') return marshalJSON(v).slice(1, -1);
    return v.a.map(toY);
  }
  // Structs: exactly what encoding/json emits.
  return fromJson(JSON.parse(marshalJSON(v as GoStruct)) as unknown);
}

function fromJson(x: unknown): Y {
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return x;
  if (typeof x === 'number') return Number.isInteger(x) && Math.abs(x) < 1e21 ? { int: String(x) } : { float: x };
  if (Array.isArray(x)) return x.map(fromJson);
  const m = new Map<string, Y>();
  for (const [k, val] of Object.entries(x as Record<string, unknown>)) m.set(k, fromJson(val));
  return m;
}

// ---------------------------------------------------------------------------------------------
// go-yaml's key order (sorter.go keyList.Less) for string keys.

const isLetter = (c: string): boolean => /^\p{L}$/u.test(c);
const isDigit = (c: string): boolean => /^\p{Nd}$/u.test(c);

function keyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = isLetter(ar[i]!);
    const bl = isLetter(br[i]!);
    if (al && bl) return ar[i]!.codePointAt(0)! < br[i]!.codePointAt(0)!;
    if (al || bl) return bl;
    let an = 0;
    let bn = 0;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]!); j--) {
        if (ar[j] !== '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && isDigit(ar[ai]!); ai++) an = an * 10 + (ar[ai]!.charCodeAt(0) - 48);
    let bi = i;
    for (; bi < br.length && isDigit(br[bi]!); bi++) bn = bn * 10 + (br[bi]!.charCodeAt(0) - 48);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ar[i]!.codePointAt(0)! < br[i]!.codePointAt(0)!;
  }
  return ar.length < br.length;
}

// ---------------------------------------------------------------------------------------------
// Scalar analysis (emitterc.go yaml_emitter_analyze_scalar) and style choice.

const boolOrNull = new Set([
  'y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON',
  'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF',
  '', '~', 'null', 'Null', 'NULL', '.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF',
  '-.inf', '-.Inf', '-.INF', '<<',
]);
const yamlStyleFloat = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const base60Float = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const timestamp = /^\d{4}-\d{1,2}-\d{1,2}(?:$|[Tt ]\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d*)?(?:Z|[+-]\d{2}:\d{2})?$)/;

/** Whether go-yaml's resolve would read the plain scalar as something other than a string. */
function resolvesToNonString(v: string): boolean {
  if (boolOrNull.has(v)) return true;
  const c = v[0];
  if (c === '.') return /^\.(\d+([eE][-+]?\d+)?|\d*[eE])/.test(v) && Number.isFinite(Number(v));
  if (c === undefined || !/[0-9+-]/.test(c)) return false;
  if (timestamp.test(v)) return true;
  const plain = v.replaceAll('_', '');
  if (/^[-+]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[0-9]+)$/.test(plain)) return true;
  if (yamlStyleFloat.test(plain)) return true;
  if (/^-0b[01]+$/.test(plain)) return true;
  return false;
}

interface Analysis {
  multiline: boolean;
  flowPlain: boolean;
  blockPlain: boolean;
  singleQuoted: boolean;
  block: boolean;
}

function isPrintable(cp: number): boolean {
  return cp === 0x0a || (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff);
}

function isBreak(c: string | undefined): boolean {
  return c === '\r' || c === '\n' || c === '\u0085' || c === '\u2028' || c === '\u2029';
}

function isBlankZ(c: string | undefined): boolean {
  return c === undefined || c === ' ' || c === '\t' || c === '\0' || isBreak(c);
}

function analyze(value: string): Analysis {
  if (value === '') return { multiline: false, flowPlain: false, blockPlain: true, singleQuoted: true, block: false };
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let prevSpace = false;
  let prevBreak = false;
  if (value.startsWith('---') || value.startsWith('...')) {
    blockIndicators = true;
    flowIndicators = true;
  }
  const chars = [...value];
  let precededByWhitespace = true;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const next = chars[i + 1];
    const followedByWhitespace = next === undefined || next === ' ' || next === '\t';
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) {
        flowIndicators = true;
        blockIndicators = true;
      } else if (c === '?' || c === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      } else if (c === '-' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else if (',?[]{}'.includes(c)) {
      flowIndicators = true;
    } else if (c === ':') {
      flowIndicators = true;
      if (followedByWhitespace) blockIndicators = true;
    } else if (c === '#' && precededByWhitespace) {
      flowIndicators = true;
      blockIndicators = true;
    }
    if (!isPrintable(c.codePointAt(0)!)) special = true;
    if (c === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (prevBreak) breakSpace = true;
      prevSpace = true;
      prevBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (prevSpace) spaceBreak = true;
      prevSpace = false;
      prevBreak = true;
    } else {
      prevSpace = false;
      prevBreak = false;
    }
    precededByWhitespace = isBlankZ(c);
  }
  const a: Analysis = { multiline: lineBreaks, flowPlain: true, blockPlain: true, singleQuoted: true, block: true };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) a.flowPlain = a.blockPlain = false;
  if (trailingSpace) a.block = false;
  if (breakSpace) a.flowPlain = a.blockPlain = a.singleQuoted = false;
  if (spaceBreak || special) a.flowPlain = a.blockPlain = a.singleQuoted = a.block = false;
  if (lineBreaks) a.flowPlain = a.blockPlain = false;
  if (flowIndicators) a.flowPlain = false;
  if (blockIndicators) a.blockPlain = false;
  return a;
}

type Style = 'plain' | 'single' | 'double' | 'literal';

// ---------------------------------------------------------------------------------------------
// The emitter.

const bestWidth = 80;
const bestIndent = 2;

class Emitter {
  out = '';
  column = 0;
  whitespace = true;
  indention = true;
  indent = -1;

  put(c: string): void {
    this.out += c;
    this.column++;
  }

  putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }

  writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  writeIndicator(ind: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    for (const c of ind) this.put(c);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  /** Writes one character of scalar content; breaks other than \n are written as they are. */
  private writeBreak(c: string): void {
    if (c === '\n') this.putBreak();
    else {
      this.out += c;
      this.column = 0;
    }
  }

  private plain(value: string, allowBreaks: boolean): void {
    if (!this.whitespace) this.put(' ');
    const chars = [...value];
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (c === ' ') {
        if (allowBreaks && !spaces && this.column > bestWidth && chars[i + 1] !== ' ') this.writeIndent();
        else this.put(c);
        spaces = true;
      } else {
        this.put(c);
        this.indention = false;
        spaces = false;
      }
    }
    this.whitespace = false;
    this.indention = false;
  }

  private single(value: string, allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    const chars = [...value];
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (c === ' ') {
        if (allowBreaks && !spaces && this.column > bestWidth && i > 0 && i < chars.length - 1 && chars[i + 1] !== ' ') this.writeIndent();
        else this.put(c);
        spaces = true;
      } else if (isBreak(c)) {
        if (!breaks && c === '\n') this.putBreak();
        this.writeBreak(c);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (c === "'") this.put("'");
        this.put(c);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private double(value: string, allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    const chars = [...value];
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      const cp = c.codePointAt(0)!;
      if (!isPrintable(cp) || cp === 0xfeff || isBreak(c) || c === '"' || c === '\\') {
        this.put('\\');
        const short: Record<number, string> = {
          0x00: '0', 0x07: 'a', 0x08: 'b', 0x09: 't', 0x0a: 'n', 0x0b: 'v', 0x0c: 'f', 0x0d: 'r', 0x1b: 'e',
          0x22: '"', 0x5c: '\\', 0x85: 'N', 0xa0: '_', 0x2028: 'L', 0x2029: 'P',
        };
        const s = short[cp];
        if (s !== undefined) this.put(s);
        else {
          const [prefix, width] = cp <= 0xff ? ['x', 2] : cp <= 0xffff ? ['u', 4] : ['U', 8];
          for (const d of prefix + cp.toString(16).toUpperCase().padStart(width, '0')) this.put(d);
        }
        spaces = false;
      } else if (c === ' ') {
        if (allowBreaks && !spaces && this.column > bestWidth && i > 0 && i < chars.length - 1) {
          this.writeIndent();
          if (chars[i + 1] === ' ') this.put('\\');
        } else {
          this.put(c);
        }
        spaces = true;
      } else {
        this.put(c);
        spaces = false;
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private literal(value: string): void {
    this.writeIndicator('|', true, false, false);
    const chars = [...value];
    if (chars[0] === ' ' || isBreak(chars[0])) this.writeIndicator(String(bestIndent), false, false, false);
    let chomp = '';
    if (chars.length === 0 || !isBreak(chars[chars.length - 1])) chomp = '-';
    else if (chars.length === 1 || isBreak(chars[chars.length - 2])) chomp = '+';
    if (chomp) this.writeIndicator(chomp, false, false, false);
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (const c of chars) {
      if (isBreak(c)) {
        this.writeBreak(c);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(c);
        this.indention = false;
        breaks = false;
      }
    }
  }

  scalar(value: string, style: Style, simpleKey: boolean): void {
    const saved = this.indent;
    this.indent = this.indent < 0 ? bestIndent : this.indent + bestIndent;
    const a = analyze(value);
    if (simpleKey && a.multiline) style = 'double';
    if (style === 'plain') {
      if (!a.blockPlain) style = 'single';
      if (value === '' && simpleKey) style = 'single';
    }
    if (style === 'single' && !a.singleQuoted) style = 'double';
    if (style === 'literal' && (!a.block || simpleKey)) style = 'double';
    switch (style) {
      case 'plain':
        this.plain(value, !simpleKey);
        break;
      case 'single':
        this.single(value, !simpleKey);
        break;
      case 'double':
        this.double(value, !simpleKey);
        break;
      case 'literal':
        this.literal(value);
        break;
    }
    this.indent = saved;
  }

  node(v: Y, ctx: { mapping: boolean; simpleKey: boolean }): void {
    if (v === null) return this.scalar('null', 'plain', ctx.simpleKey);
    if (typeof v === 'boolean') return this.scalar(v ? 'true' : 'false', 'plain', ctx.simpleKey);
    if (typeof v === 'string') return this.string(v, ctx.simpleKey);
    if (Array.isArray(v)) {
      if (v.length === 0) {
        this.writeIndicator('[', true, true, false);
        this.writeIndicator(']', false, false, false);
        return;
      }
      const saved = this.indent;
      const indentless = ctx.mapping && !this.indention;
      if (this.indent < 0) this.indent = 0;
      else if (!indentless) this.indent += bestIndent;
      for (const item of v) {
        this.writeIndent();
        this.writeIndicator('-', true, false, true);
        this.node(item, { mapping: false, simpleKey: false });
      }
      this.indent = saved;
      return;
    }
    if (v instanceof Map) {
      if (v.size === 0) {
        this.writeIndicator('{', true, true, false);
        this.writeIndicator('}', false, false, false);
        return;
      }
      const saved = this.indent;
      this.indent = this.indent < 0 ? 0 : this.indent + bestIndent;
      const keys = [...v.keys()].sort((a, b) => (keyLess(a, b) ? -1 : keyLess(b, a) ? 1 : 0));
      for (const k of keys) {
        this.writeIndent();
        this.string(k, true);
        this.writeIndicator(':', false, false, false);
        this.node(v.get(k) ?? null, { mapping: true, simpleKey: false });
      }
      this.indent = saved;
      return;
    }
    if ('int' in v) return this.scalar(v.int, 'plain', ctx.simpleKey);
    let f = formatFloat(v.float, 'g', -1);
    if (f === '+Inf') f = '.inf';
    else if (f === '-Inf') f = '-.inf';
    else if (f === 'NaN') f = '.nan';
    return this.scalar(f, 'plain', ctx.simpleKey);
  }

  private string(v: string, simpleKey: boolean): void {
    const canUsePlain = !resolvesToNonString(v) && !base60Float.test(v);
    let style: Style;
    if (v.includes('\n')) style = 'literal';
    else if (canUsePlain) style = 'plain';
    else style = 'double';
    this.scalar(v, style, simpleKey);
  }
}

/**
 * Returns Istio's toYaml(v): sigs.k8s.io/yaml.Marshal, i.e. JSON then go-yaml v2. Returns ""
 * when the value cannot be encoded, as istiod does.
 */
export function toYaml(v: GoValue): string {
  let y: Y;
  try {
    y = toY(v);
  } catch (err) {
    if (err instanceof GoError) return '';
    throw err;
  }
  const e = new Emitter();
  e.node(y, { mapping: false, simpleKey: false });
  return `${e.out}\n`;
}
