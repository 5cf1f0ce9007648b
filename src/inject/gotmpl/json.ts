/**
 * encoding/json over the template value model: Marshal, MarshalIndent and Unmarshal into
 * `interface{}`, with Go's output details (sorted map keys, HTML-safe escaping of `<`, `>`, `&`,
 * U+2028/U+2029 escaped, `\b`/`\f` as short escapes as since Go 1.22, float64 in 'f' form between
 * 1e-6 and 1e21 and in 'e' form outside, struct fields by json tag with omitempty).
 */

import { formatFloat } from './format.js';
import {
  GoError,
  GoMap,
  GoNum,
  GoPtr,
  GoSlice,
  GoStruct,
  type GoValue,
  TMapAny,
  TSliceAny,
  f64,
  isFloatKind,
  lengthOf,
  sortedKeys,
} from './values.js';

const hexDigits = '0123456789abcdef';

const plainJsonString = /^[^"\\\x00-\x1f<>&\u2028\u2029\ud800-\udfff]*$/;

/** Returns a Go JSON string literal for `s` (HTML-safe when `escapeHTML`). */
export function jsonQuote(s: string, escapeHTML = true): string {
  if (plainJsonString.test(s)) return `"${s}"`;
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c < 0x20 || c === 0x22 || c === 0x5c) {
      switch (c) {
        case 0x22:
          esc = '\\"';
          break;
        case 0x5c:
          esc = '\\\\';
          break;
        case 0x0a:
          esc = '\\n';
          break;
        case 0x0d:
          esc = '\\r';
          break;
        case 0x09:
          esc = '\\t';
          break;
        case 0x08:
          esc = '\\b';
          break;
        case 0x0c:
          esc = '\\f';
          break;
        default:
          esc = `\\u00${hexDigits[c >> 4]}${hexDigits[c & 15]}`;
      }
    } else if (escapeHTML && (c === 0x3c || c === 0x3e || c === 0x26)) {
      esc = `\\u00${hexDigits[c >> 4]}${hexDigits[c & 15]}`;
    } else if (c === 0x2028 || c === 0x2029) {
      esc = `\\u${c.toString(16)}`;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate cannot be UTF-8; Go would see invalid bytes and write U+FFFD.
      const pair = c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      if (pair) {
        i++;
        continue;
      }
      esc = '\\ufffd';
    }
    if (esc !== undefined) {
      out += s.slice(start, i) + esc;
      start = i + 1;
    }
  }
  return `${out}${s.slice(start)}"`;
}

/** Returns the encoding/json form of a float64; throws for NaN and infinities as json.Marshal does. */
export function jsonFloat(v: number): string {
  if (!Number.isFinite(v)) throw new GoError(`json: unsupported value: ${formatFloat(v, 'g', -1)}`);
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const a = Math.abs(v);
  if (a < 1e-6 || a >= 1e21) {
    // 'e' form, with a two-digit negative exponent shortened (1e-07 -> 1e-7).
    return formatFloat(v, 'e', -1).replace(/e-0(\d)$/, 'e-$1');
  }
  return formatFloat(v, 'f', -1);
}

function isEmptyValue(v: GoValue): boolean {
  if (v === null) return true;
  switch (typeof v) {
    case 'string':
      return v.length === 0;
    case 'boolean':
      return !v;
    case 'number':
      return v === 0;
    default:
      if (v instanceof GoNum) return v.v === 0;
      if (v instanceof GoMap || v instanceof GoSlice) return lengthOf(v) === 0;
      if (v instanceof GoPtr) return v.elem === null;
      return false;
  }
}

function base64(bytes: number[]): string {
  return Buffer.from(bytes).toString('base64');
}

class Encoder {
  out = '';
  constructor(
    private readonly indent: string,
    private readonly escapeHTML: boolean,
  ) {}

  private newline(depth: number): void {
    if (this.indent) this.out += `\n${this.indent.repeat(depth)}`;
  }

  encode(v: GoValue, depth: number): void {
    switch (typeof v) {
      case 'string':
        this.out += jsonQuote(v, this.escapeHTML);
        return;
      case 'boolean':
        this.out += v ? 'true' : 'false';
        return;
      case 'number':
        this.out += String(v);
        return;
      default:
    }
    if (v === null) {
      this.out += 'null';
      return;
    }
    if (v instanceof GoNum) {
      this.out += isFloatKind(v.type.kind) ? jsonFloat(v.v) : String(v.v);
      return;
    }
    if (v instanceof GoPtr) {
      if (v.elem === null) this.out += 'null';
      else this.encode(v.elem, depth);
      return;
    }
    if (v instanceof GoMap) {
      if (!v.m) {
        this.out += 'null';
        return;
      }
      if (v.m.size === 0) {
        this.out += '{}';
        return;
      }
      this.out += '{';
      let first = true;
      for (const k of sortedKeys(v.m)) {
        if (!first) this.out += ',';
        first = false;
        this.newline(depth + 1);
        this.out += jsonQuote(k, this.escapeHTML);
        this.out += this.indent ? ': ' : ':';
        this.encode(v.m.get(k) ?? null, depth + 1);
      }
      this.newline(depth);
      this.out += '}';
      return;
    }
    if (v instanceof GoSlice) {
      if (!v.a) {
        this.out += 'null';
        return;
      }
      if (v.type.elem?.kind === 'uint8') {
        this.out += `"${base64(v.a.map((b) => (typeof b === 'number' ? b : b instanceof GoNum ? b.v : 0)))}"`;
        return;
      }
      if (v.a.length === 0) {
        this.out += '[]';
        return;
      }
      this.out += '[';
      v.a.forEach((x, i) => {
        if (i > 0) this.out += ',';
        this.newline(depth + 1);
        this.encode(x, depth + 1);
      });
      this.newline(depth);
      this.out += ']';
      return;
    }
    // Structs: exported fields by json tag, embedded structs inlined.
    let any = false;
    this.out += '{';
    for (const [name, x] of structMembers(v as GoStruct)) {
      if (any) this.out += ',';
      any = true;
      this.newline(depth + 1);
      this.out += jsonQuote(name, this.escapeHTML);
      this.out += this.indent ? ': ' : ':';
      this.encode(x, depth + 1);
    }
    if (any) this.newline(depth);
    this.out += '}';
  }
}

interface Member {
  readonly name: string;
  readonly value: GoValue;
  readonly depth: number;
  readonly tagged: boolean;
}

/** Collects a struct's JSON members in field order; embedded structs without a JSON name contribute their own (a nil pointer nothing). */
function collectMembers(s: GoStruct, depth: number, out: Member[]): void {
  const fields = s.type.fields ?? [];
  s.f.forEach((x, i) => {
    const field = fields[i];
    if (!field) return;
    if (field.embedded && field.json === undefined) {
      const inner = x instanceof GoPtr ? x.elem : x;
      if (inner instanceof GoStruct) collectMembers(inner, depth + 1, out);
      if (inner instanceof GoStruct || x instanceof GoPtr) return;
    }
    if (!field.exported) return;
    if (field.json?.omitEmpty && isEmptyValue(x)) return;
    out.push({ name: field.json?.name ?? field.name, value: x, depth, tagged: field.json !== undefined });
  });
}

/**
 * The members encoding/json prints for a struct: for each name the shallowest field wins; among
 * fields at that depth a single tagged one wins, otherwise the name is dropped.
 */
function structMembers(s: GoStruct): [string, GoValue][] {
  const all: Member[] = [];
  collectMembers(s, 0, all);
  const byName = new Map<string, Member[]>();
  for (const m of all) byName.set(m.name, [...(byName.get(m.name) ?? []), m]);
  const out: [string, GoValue][] = [];
  for (const m of all) {
    const rivals = byName.get(m.name)!;
    const top = Math.min(...rivals.map((r) => r.depth));
    const shallowest = rivals.filter((r) => r.depth === top);
    const tagged = shallowest.filter((r) => r.tagged);
    const winner = shallowest.length === 1 ? shallowest[0] : tagged.length === 1 ? tagged[0] : undefined;
    if (winner === m) out.push([m.name, m.value]);
  }
  return out;
}

/**
 * Returns json.Marshal(v) (or json.MarshalIndent(v, "", indent) when `indent` is given). Throws
 * {@link GoError} for values encoding/json rejects (NaN, infinities).
 */
export function marshalJSON(v: GoValue, options: { indent?: string; escapeHTML?: boolean } = {}): string {
  const e = new Encoder(options.indent ?? '', options.escapeHTML ?? true);
  e.encode(v, 0);
  return e.out;
}

/** Converts a parsed JSON value to the Go value json.Unmarshal into interface{} yields (numbers become float64). */
export function fromJsonValue(x: unknown): GoValue {
  if (x === null) return null;
  switch (typeof x) {
    case 'string':
      return x;
    case 'boolean':
      return x;
    case 'number':
      return f64(x);
    default:
  }
  if (Array.isArray(x)) return new GoSlice(TSliceAny, x.map(fromJsonValue));
  const m = new Map<string, GoValue>();
  for (const [k, val] of Object.entries(x as Record<string, unknown>)) m.set(k, fromJsonValue(val));
  return new GoMap(TMapAny, m);
}

/**
 * Returns json.Unmarshal(text) into interface{}. Throws {@link GoError} when the text is not JSON
 * or holds a number outside the float64 range (the messages are not Go's).
 */
export function unmarshalJSON(text: string): GoValue {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new GoError((err as Error).message);
  }
  if (/\d[eE]\+?\d{3}/.test(text) && hasInfinity(parsed)) throw new GoError('json: number out of range for float64');
  return fromJsonValue(parsed);
}

function hasInfinity(x: unknown): boolean {
  if (typeof x === 'number') return !Number.isFinite(x);
  if (Array.isArray(x)) return x.some(hasInfinity);
  if (x && typeof x === 'object') return Object.values(x).some(hasInfinity);
  return false;
}
