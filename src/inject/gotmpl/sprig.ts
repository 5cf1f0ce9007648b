/**
 * Sprig's template functions (github.com/Masterminds/sprig v3 TxtFuncMap, as packaged by Debian
 * at 3.2.3 and used by istiod), with sprig's Go signatures so argument checking matches, and
 * sprig's quirks: `default` and `empty` by Go zero values, `dict` keys through toString,
 * `trunc`/`substr` on bytes, `toJson` swallowing errors, `merge` with mergo's rules, list
 * functions returning `[]interface{}`, panics reported as `error calling name: ...`.
 *
 * Functions that depend on the clock, randomness, the network or key generation (now, date,
 * randAlpha, uuidv4, genCA, getHostByName, ...) and a few with large dependencies (semver,
 * urlParse, the xstrings case conversions) exist, so that templates naming them parse as in
 * istiod, but fail when executed.
 */

import { createHash } from 'node:crypto';
import { formatDuration as durationString } from './duration.js';
import { formatValue, quoteString } from './format.js';
import { type CallContext, type FuncMap, type GoFunc, fn, int, str } from './funcs.js';
import { compileGoRegexp, findAll, mustCompileMessage, replaceAll, split as regexSplit } from './goregexp.js';
import { marshalJSON, unmarshalJSON } from './json.js';
import {
  GoError,
  GoMap,
  GoNum,
  GoPtr,
  GoSlice,
  type GoValue,
  T,
  TMapAny,
  TMapString,
  TSliceAny,
  TSliceInt,
  TSliceString,
  anyList,
  anyMap,
  byteSlice,
  compareStrings,
  deepCopy,
  deepEqual,
  f64,
  i64,
  isEmpty,
  isFloatKind,
  sliceOf,
  sortedKeys,
  stringList,
  typeOf,
  utf8Bytes,
  utf8Decode,
  utf8Length,
} from './values.js';

const any = T.any;
const s = T.string;
const i = T.int;

// ---------------------------------------------------------------------------------------------
// Helpers shared by sprig functions.

/** unicode.IsSpace. */
function isGoSpace(c: string): boolean {
  switch (c) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case '\u0085':
    case '\u00a0':
    case '\u1680':
    case '\u2028':
    case '\u2029':
    case '\u202f':
    case '\u205f':
    case '\u3000':
      return true;
    default:
      return c >= '\u2000' && c <= '\u200a';
  }
}

/** strings.TrimSpace. */
export function trimSpace(v: string): string {
  const chars = [...v];
  let a = 0;
  let b = chars.length;
  while (a < b && isGoSpace(chars[a]!)) a++;
  while (b > a && isGoSpace(chars[b - 1]!)) b--;
  return a === 0 && b === chars.length ? v : chars.slice(a, b).join('');
}

/** strings.Trim(v, cutset). */
function trimCutset(v: string, cutset: string): string {
  const cut = new Set(cutset);
  const chars = [...v];
  let a = 0;
  let b = chars.length;
  while (a < b && cut.has(chars[a]!)) a++;
  while (b > a && cut.has(chars[b - 1]!)) b--;
  return chars.slice(a, b).join('');
}

/** unicode.ToUpper / ToLower per code point (simple case mapping: no ß -> SS). */
export function mapCase(v: string, upper: boolean): string {
  let out = '';
  for (const ch of v) {
    const m = upper ? ch.toUpperCase() : ch.toLowerCase();
    out += [...m].length === 1 ? m : ch;
  }
  return out;
}

const letterOrDigit = /^[\p{L}\p{Nd}]$/u;

/** strings.Title. */
function title(v: string): string {
  let prevSep = true;
  let out = '';
  for (const ch of v) {
    out += prevSep ? mapCase(ch, true) : ch;
    const c = ch.codePointAt(0) ?? 0;
    if (c <= 0x7f) prevSep = !/[0-9A-Za-z_]/.test(ch);
    else prevSep = !letterOrDigit.test(ch) && isGoSpace(ch);
  }
  return out;
}

/** sprig's strval: strings as they are, Stringers through String(), everything else as %v. */
function strval(v: GoValue): string {
  if (typeof v === 'string') return v;
  if (v instanceof GoSlice && v.type.elem?.kind === 'uint8') {
    return utf8Decode(Uint8Array.from((v.a ?? []).map((b) => (typeof b === 'number' ? b : b instanceof GoNum ? b.v : 0))));
  }
  if (v instanceof GoPtr && v.elem !== null && v.type.elem?.stringer) return v.type.elem.stringer(v.elem);
  return formatValue(v);
}

function reflectKindName(v: GoValue): string {
  const t = typeOf(v);
  if (!t) return 'invalid';
  switch (t.kind) {
    case 'reflect':
      return 'struct';
    default:
      return t.kind;
  }
}

/** reflect.TypeOf(v).Kind() as sprig's list functions use it: nil dereferences a nil Type. */
function listKind(v: GoValue): string {
  if (v === null) throw new GoError('runtime error: invalid memory address or nil pointer dereference');
  return reflectKindName(v);
}

function listItems(v: GoValue, what: string): GoValue[] {
  const k = listKind(v);
  if (!(v instanceof GoSlice)) throw new GoError(`Cannot ${what} on type ${k}`);
  return v.a ?? [];
}

// spf13/cast conversions (ToInt64, ToInt, ToFloat64) as sprig uses them: errors become 0.

function trimZeroDecimal(v: string): string {
  let foundZero = false;
  for (let k = v.length; k > 0; k--) {
    const c = v[k - 1];
    if (c === '.') {
      if (foundZero) return v.slice(0, k - 1);
    } else if (c === '0') {
      foundZero = true;
    } else {
      return v;
    }
  }
  return v;
}

/** strconv's underscoreOK: underscores only between digits or after a base prefix. */
function underscoreOK(v: string): boolean {
  let saw = '^';
  let k = 0;
  if (v[0] === '+' || v[0] === '-') v = v.slice(1);
  let hex = false;
  if (v.length >= 2 && v[0] === '0' && 'bBoOxX'.includes(v[1]!)) {
    k = 2;
    saw = '0';
    hex = v[1] === 'x' || v[1] === 'X';
  }
  for (; k < v.length; k++) {
    const c = v[k]!;
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** strconv.ParseInt(v, 0, 64); undefined on error. */
function parseIntBase0(v: string): number | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(v);
  if (!m) return undefined;
  let body = m[2]!;
  if (body.includes('_')) {
    if (!underscoreOK(body)) return undefined;
    body = body.replaceAll('_', '');
  }
  let n: bigint;
  if (/^0[xX]/.test(body)) n = BigInt(`0x${body.slice(2)}`);
  else if (/^0[bB]/.test(body)) n = BigInt(`0b${body.slice(2)}`);
  else if (/^0[oO]/.test(body)) n = BigInt(`0o${body.slice(2)}`);
  else if (/^0[0-7]+$/.test(body)) n = BigInt(`0o${body.slice(1)}`);
  else n = BigInt(body);
  if (m[1] === '-') n = -n;
  if (n > (1n << 63n) - 1n || n < -(1n << 63n)) return undefined;
  return Number(n);
}

function castToInt(v: GoValue): number {
  if (v instanceof GoPtr) v = v.elem;
  if (v === null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return parseIntBase0(trimZeroDecimal(v)) ?? 0;
  if (v instanceof GoNum && !v.type.named) {
    if (isFloatKind(v.type.kind)) return Number.isFinite(v.v) ? Math.trunc(v.v) : -(2 ** 63);
    return v.v;
  }
  return 0;
}

function castToFloat(v: GoValue): number {
  if (v instanceof GoPtr) v = v.elem;
  if (v === null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return parseGoFloat(v) ?? 0;
  if (v instanceof GoNum && !v.type.named) return v.v;
  return 0;
}

/** strconv.ParseFloat(v, 64); undefined on error. */
function parseGoFloat(v: string): number | undefined {
  const t = v.replace(/^([+-]?)(inf|infinity)$/i, (_m, sign: string) => `${sign}Infinity`);
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (/^[+-]?Infinity$/.test(t)) return Number(t);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  const f = Number(t);
  return Number.isFinite(f) ? f : undefined;
}

/** Go's int64 division and remainder panic on zero. */
function checkDivisor(b: number): void {
  if (b === 0) throw new GoError('runtime error: integer divide by zero');
}

// Exact decimal arithmetic for addf/subf/mulf/divf (shopspring/decimal over NewFromFloat).

interface Dec {
  n: bigint;
  scale: number;
}

function decFromFloat(x: number): Dec {
  if (!Number.isFinite(x)) throw new GoError(`Cannot create a Decimal from ${formatValue(f64(x))}`);
  const t = String(x);
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(t);
  if (!m) return { n: 0n, scale: 0 };
  const frac = m[3] ?? '';
  let n = BigInt(`${m[2]}${frac}`);
  let scale = frac.length - Number(m[4] ?? 0);
  if (scale < 0) {
    n *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { n: m[1] === '-' ? -n : n, scale };
}

function decAlign(a: Dec, b: Dec): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.n * 10n ** BigInt(scale - a.scale), b.n * 10n ** BigInt(scale - b.scale), scale];
}

function decToFloat(d: Dec): number {
  if (d.scale === 0) return Number(d.n);
  const neg = d.n < 0n;
  const digits = (neg ? -d.n : d.n).toString().padStart(d.scale + 1, '0');
  return Number(`${neg ? '-' : ''}${digits.slice(0, -d.scale)}.${digits.slice(-d.scale)}`);
}

function decOp(op: 'add' | 'sub' | 'mul' | 'div', a: Dec, b: Dec): Dec {
  switch (op) {
    case 'add': {
      const [x, y, scale] = decAlign(a, b);
      return { n: x + y, scale };
    }
    case 'sub': {
      const [x, y, scale] = decAlign(a, b);
      return { n: x - y, scale };
    }
    case 'mul':
      return { n: a.n * b.n, scale: a.scale + b.scale };
    default: {
      if (b.n === 0n) throw new GoError('decimal division by 0');
      // DivRound to 16 places, half away from zero.
      const precision = 16;
      const num = a.n * 10n ** BigInt(precision + 1 + b.scale);
      const den = b.n * 10n ** BigInt(a.scale);
      let q = num / den;
      const neg = q < 0n;
      if (neg) q = -q;
      q = (q + 5n) / 10n;
      return { n: neg ? -q : q, scale: precision };
    }
  }
}

function decimalFn(op: 'add' | 'sub' | 'mul' | 'div', start: (args: GoValue[]) => [GoValue, GoValue[]]) {
  return (args: GoValue[]): GoValue => {
    const [first, rest] = start(args);
    let acc = decFromFloat(castToFloat(first));
    for (const x of rest) acc = decOp(op, acc, decFromFloat(castToFloat(x)));
    return f64(decToFloat(acc));
  };
}

// Base64 / base32 with Go's StdEncoding error messages.

const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function base64Decode(v: string): string {
  const bytes = utf8Bytes(v);
  const out: number[] = [];
  let quantum: number[] = [];
  let pad = 0;
  for (let k = 0; k < bytes.length; k++) {
    const c = bytes[k]!;
    if (c === 10 || c === 13) continue;
    if (pad > 0) {
      if (c !== 61 || pad >= 2 || quantum.length + pad >= 4) return `illegal base64 data at input byte ${k}`;
      pad++;
      continue;
    }
    if (c === 61) {
      if (quantum.length < 2) return `illegal base64 data at input byte ${k}`;
      pad = 1;
      continue;
    }
    const d = b64.indexOf(String.fromCharCode(c));
    if (d < 0) return `illegal base64 data at input byte ${k}`;
    quantum.push(d);
    if (quantum.length === 4) {
      out.push((quantum[0]! << 2) | (quantum[1]! >> 4), ((quantum[1]! & 15) << 4) | (quantum[2]! >> 2), ((quantum[2]! & 3) << 6) | quantum[3]!);
      quantum = [];
    }
  }
  if (pad > 0 && quantum.length + pad !== 4) return `illegal base64 data at input byte ${bytes.length}`;
  if (pad === 0 && quantum.length > 0) return `illegal base64 data at input byte ${bytes.length - (bytes.length % 4 === 0 ? 0 : bytes.length % 4)}`;
  if (quantum.length === 2) out.push((quantum[0]! << 2) | (quantum[1]! >> 4));
  if (quantum.length === 3) out.push((quantum[0]! << 2) | (quantum[1]! >> 4), ((quantum[1]! & 15) << 4) | (quantum[2]! >> 2));
  return utf8Decode(Uint8Array.from(out));
}

const b32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Encode(v: string): string {
  const bytes = utf8Bytes(v);
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += b32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += b32[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

function base32Decode(v: string): string {
  const clean = v.replace(/[\r\n]/g, '');
  if (clean.length % 8 !== 0) return `illegal base32 data at input byte ${clean.length - (clean.length % 8)}`;
  const body = clean.replace(/=+$/, '');
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (let k = 0; k < body.length; k++) {
    const d = b32.indexOf(body[k]!);
    if (d < 0) return `illegal base32 data at input byte ${k}`;
    value = (value << 5) | d;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return utf8Decode(Uint8Array.from(out));
}

function adler32(v: string): number {
  let a = 1;
  let b = 0;
  for (const c of utf8Bytes(v)) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

// path package.

/** path.Clean. */
function pathClean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
      else if (!rooted) parts.push('..');
      continue;
    }
    parts.push(seg);
  }
  const out = (rooted ? '/' : '') + parts.join('/');
  return out === '' ? '.' : out;
}

function pathBase(p: string): string {
  if (p === '') return '.';
  p = p.replace(/\/+$/, '');
  const k = p.lastIndexOf('/');
  if (k >= 0) p = p.slice(k + 1);
  return p === '' ? '/' : p;
}

function pathDir(p: string): string {
  const k = p.lastIndexOf('/');
  return pathClean(p.slice(0, k + 1));
}

function pathExt(p: string): string {
  for (let k = p.length - 1; k >= 0 && p[k] !== '/'; k--) if (p[k] === '.') return p.slice(k);
  return '';
}

/** os.Expand with a lookup (os.ExpandEnv). */
function expandEnv(v: string, env: Readonly<Record<string, string>>): string {
  let out = '';
  for (let k = 0; k < v.length; k++) {
    if (v[k] !== '$' || k + 1 >= v.length) {
      out += v[k];
      continue;
    }
    const rest = v.slice(k + 1);
    let name = '';
    let w = 0;
    if (rest[0] === '{') {
      if (rest.length > 2 && /^[*#$@!?\-0-9]$/.test(rest[1]!) && rest[2] === '}') {
        name = rest[1]!;
        w = 3;
      } else {
        const end = rest.indexOf('}');
        if (end < 0) {
          w = 1;
          name = '';
        } else if (end === 1) {
          w = 2;
          name = '';
        } else {
          name = rest.slice(1, end);
          w = end + 1;
        }
      }
    } else if (/^[*#$@!?\-0-9]/.test(rest)) {
      name = rest[0]!;
      w = 1;
    } else {
      const m = /^[A-Za-z0-9_]*/.exec(rest)![0];
      name = m;
      w = m.length;
    }
    if (name === '' && w > 0) {
      // Bad syntax: eat the characters.
    } else if (name === '') {
      out += '$';
    } else {
      out += Object.hasOwn(env, name) ? (env[name] ?? '') : '';
    }
    k += w;
  }
  return out;
}

/** mergo.Merge / MergeWithOverwrite for map[string]interface{} (the only maps sprig's merge takes). */
function mergeMaps(dst: Map<string, GoValue>, src: Map<string, GoValue>, overwrite: boolean): void {
  for (const [key, s0] of src) {
    const sv = s0;
    if (sv === null) {
      if (overwrite) dst.set(key, null);
      continue;
    }
    const present = dst.has(key);
    const dv = dst.get(key) ?? null;
    if (sv instanceof GoMap) {
      if (present && dv instanceof GoMap && dv.m && sv.m) mergeMaps(dv.m, sv.m, overwrite);
    } else if (sv instanceof GoSlice) {
      if (overwrite || dst.size === 0) dst.set(key, sv);
      else if (!present || dv === null) dst.set(key, new GoSlice(sv.type, []));
    }
    if (present && !isEmpty(dv) && (sv instanceof GoMap || sv instanceof GoSlice)) continue;
    if (overwrite || !present || isEmpty(dv)) dst.set(key, sv);
  }
}

function mapArg(v: GoValue): GoMap {
  return v instanceof GoMap ? v : new GoMap(TMapAny, null);
}

/** sprig's strslice (toStrings, join). */
function strslice(v: GoValue): string[] {
  if (v instanceof GoSlice) {
    if (v.type === TSliceString) return (v.a ?? []) as string[];
    return (v.a ?? []).filter((x) => x !== null).map(strval);
  }
  if (v === null) return [];
  return [strval(v)];
}

function goSplit(v: string, sep: string, n = -1): string[] {
  if (n === 0) return [];
  if (sep === '') {
    const chars = [...v];
    if (n > 0 && chars.length > n) return [...chars.slice(0, n - 1), chars.slice(n - 1).join('')];
    return chars;
  }
  const parts = v.split(sep);
  if (n > 0 && parts.length > n) return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
  return parts;
}

function splitMap(parts: string[]): GoMap {
  const m = new Map<string, GoValue>();
  parts.forEach((p, k) => m.set(`_${k}`, p));
  return new GoMap(TMapString, m);
}

function untilStep(start: number, stop: number, step: number): number[] {
  const v: number[] = [];
  if (stop < start) {
    if (step >= 0) return v;
    for (let k = start; k > stop; k += step) v.push(k);
    return v;
  }
  if (step <= 0) return v;
  for (let k = start; k < stop; k += step) v.push(k);
  return v;
}

function sliceBounds(len: number, a: number, b: number): void {
  if (b < 0 || b > len) throw new GoError(`runtime error: slice bounds out of range [:${b}] with length ${len}`);
  if (a < 0 || a > b) throw new GoError(`runtime error: slice bounds out of range [${a}:${b}]`);
}

function regexOrPanic(pattern: string): RegExp {
  try {
    return compileGoRegexp(pattern);
  } catch (err) {
    throw new GoError(mustCompileMessage(pattern, err as GoError));
  }
}

function typeAssertMap(v: GoValue): GoMap {
  if (v instanceof GoMap && v.type === TMapAny) return v;
  throw new GoError(`interface conversion: interface {} is ${typeOf(v)?.str ?? 'nil'}, not map[string]interface {}`);
}

function digFrom(dict: GoMap, def: GoValue, keys: readonly string[]): GoValue {
  const [k, ...rest] = keys;
  if (!dict.m || !dict.m.has(k!)) return def;
  const step = dict.m.get(k!) ?? null;
  if (rest.length === 0) return step;
  return digFrom(typeAssertMap(step), def, rest);
}

function unsupported(name: string): GoFunc {
  return fn(
    [],
    () => {
      throw new GoError(`${name} is not supported by meshctl's template engine`);
    },
    any,
  );
}

const toJson = (v: GoValue): string => {
  try {
    return marshalJSON(v);
  } catch {
    return '';
  }
};

const mapAnyT = TMapAny;

// ---------------------------------------------------------------------------------------------

const entries: [string, GoFunc][] = [
  ['hello', fn([], () => 'Hello!')],

  // Strings.
  ['abbrev', fn([i, s], ([w, v]) => abbrev(int(w), str(v)))],
  ['trunc', fn([i, s], ([c0, v0]) => {
    const c = int(c0);
    const v = str(v0);
    const n = utf8Length(v);
    if (c < 0 && n + c > 0) return byteSlice(v, n + c, n);
    if (c >= 0 && n > c) return byteSlice(v, 0, c);
    return v;
  })],
  ['trim', fn([s], ([v]) => trimSpace(str(v)))],
  ['upper', fn([s], ([v]) => mapCase(str(v), true))],
  ['lower', fn([s], ([v]) => mapCase(str(v), false))],
  ['title', fn([s], ([v]) => title(str(v)))],
  ['untitle', fn([s], ([v]) => {
    const chars = [...str(v)];
    return chars.length === 0 ? '' : mapCase(chars[0]!, false) + chars.slice(1).join('');
  })],
  ['substr', fn([i, i, s], ([a0, b0, v0]) => {
    const a = int(a0);
    const b = int(b0);
    const v = str(v0);
    const n = utf8Length(v);
    if (a < 0) {
      sliceBounds(n, 0, b);
      return byteSlice(v, 0, b);
    }
    if (b < 0 || b > n) {
      if (a > n) throw new GoError(`runtime error: slice bounds out of range [${a}:${n}]`);
      return byteSlice(v, a, n);
    }
    sliceBounds(n, a, b);
    return byteSlice(v, a, b);
  })],
  ['repeat', fn([i, s], ([c, v]) => {
    if (int(c) < 0) throw new GoError('strings: negative Repeat count');
    return str(v).repeat(int(c));
  })],
  ['trimall', fn([s, s], ([a, b]) => trimCutset(str(b), str(a)))],
  ['trimAll', fn([s, s], ([a, b]) => trimCutset(str(b), str(a)))],
  ['trimSuffix', fn([s, s], ([a, b]) => (str(b).endsWith(str(a)) ? str(b).slice(0, str(b).length - str(a).length) : str(b)))],
  ['trimPrefix', fn([s, s], ([a, b]) => (str(b).startsWith(str(a)) ? str(b).slice(str(a).length) : str(b)))],
  ['nospace', fn([s], ([v]) => deleteWhiteSpace(str(v)))],
  ['contains', fn([s, s], ([a, b]) => str(b).includes(str(a)))],
  ['hasPrefix', fn([s, s], ([a, b]) => str(b).startsWith(str(a)))],
  ['hasSuffix', fn([s, s], ([a, b]) => str(b).endsWith(str(a)))],
  ['quote', fn([], (args) => args.filter((x) => x !== null).map((x) => quoteString(strval(x))).join(' '), any)],
  ['squote', fn([], (args) => args.filter((x) => x !== null).map((x) => `'${formatValue(x)}'`).join(' '), any)],
  ['cat', fn([], (args) => args.filter((x) => x !== null).map((x) => formatValue(x)).join(' '), any)],
  ['indent', fn([i, s], ([n, v]) => sprigIndent(int(n), str(v)))],
  ['nindent', fn([i, s], ([n, v]) => `\n${sprigIndent(int(n), str(v))}`)],
  ['replace', fn([s, s, s], ([o, n, v]) => {
    const old = str(o);
    if (old === '') return [...str(v)].reduce((acc, ch) => acc + ch + str(n), str(n));
    return str(v).split(old).join(str(n));
  })],
  ['plural', fn([s, s, i], ([one, many, count]) => (int(count) === 1 ? str(one) : str(many)))],
  ['sha1sum', fn([s], ([v]) => createHash('sha1').update(utf8Bytes(str(v))).digest('hex'))],
  ['sha256sum', fn([s], ([v]) => createHash('sha256').update(utf8Bytes(str(v))).digest('hex'))],
  ['adler32sum', fn([s], ([v]) => String(adler32(str(v))))],
  ['toString', fn([any], ([v]) => strval(v ?? null))],

  // Conversions.
  ['atoi', fn([s], ([v]) => {
    const t = str(v);
    if (!/^[+-]?\d+$/.test(t)) return 0;
    const n = BigInt(t);
    return n > (1n << 63n) - 1n || n < -(1n << 63n) ? 0 : Number(n);
  })],
  ['int64', fn([any], ([v]) => i64(castToInt(v ?? null)))],
  ['int', fn([any], ([v]) => castToInt(v ?? null))],
  ['float64', fn([any], ([v]) => f64(castToFloat(v ?? null)))],
  ['toDecimal', fn([any], ([v]) => {
    const t = formatValue(v ?? null);
    return i64(/^[+-]?[0-7]+$/.test(t) ? parseInt(t, 8) : 0);
  })],
  ['seq', fn([], (params) => seq(params.map(int)), i)],

  // Lists of strings.
  ['split', fn([s, s], ([sep, v]) => splitMap(goSplit(str(v), str(sep))))],
  ['splitList', fn([s, s], ([sep, v]) => stringList(goSplit(str(v), str(sep))))],
  ['splitn', fn([s, i, s], ([sep, n, v]) => splitMap(goSplit(str(v), str(sep), int(n))))],
  ['toStrings', fn([any], ([v]) => stringList(strslice(v ?? null)))],
  ['join', fn([s, any], ([sep, v]) => strslice(v ?? null).join(str(sep)))],
  ['sortAlpha', fn([any], ([v]) => {
    const x = v instanceof GoPtr ? v.elem : (v ?? null);
    if (x instanceof GoSlice) return stringList([...strslice(x)].sort(compareStrings));
    return stringList([strval(v ?? null)]);
  })],
  ['until', fn([i], ([n]) => new GoSlice(TSliceInt, untilStep(0, int(n), int(n) < 0 ? -1 : 1)))],
  ['untilStep', fn([i, i, i], ([a, b, c]) => new GoSlice(TSliceInt, untilStep(int(a), int(b), int(c))))],

  // Integer arithmetic (int64, through cast.ToInt64).
  ['add1', fn([any], ([v]) => i64(castToInt(v ?? null) + 1))],
  ['add', fn([], (args) => i64(args.reduce<number>((acc, x) => acc + castToInt(x), 0)), any)],
  ['sub', fn([any, any], ([a, b]) => i64(castToInt(a ?? null) - castToInt(b ?? null)))],
  ['div', fn([any, any], ([a, b]) => {
    const d = castToInt(b ?? null);
    checkDivisor(d);
    return i64(Math.trunc(castToInt(a ?? null) / d));
  })],
  ['mod', fn([any, any], ([a, b]) => {
    const d = castToInt(b ?? null);
    checkDivisor(d);
    return i64(castToInt(a ?? null) % d);
  })],
  ['mul', fn([any], ([a, ...rest]) => i64(rest.reduce<number>((acc, x) => acc * castToInt(x), castToInt(a ?? null))), any)],
  ['randInt', unsupported('randInt')],
  ['max', fn([any], ([a, ...rest]) => i64(rest.reduce<number>((acc, x) => Math.max(acc, castToInt(x)), castToInt(a ?? null))), any)],
  ['biggest', fn([any], ([a, ...rest]) => i64(rest.reduce<number>((acc, x) => Math.max(acc, castToInt(x)), castToInt(a ?? null))), any)],
  ['min', fn([any], ([a, ...rest]) => i64(rest.reduce<number>((acc, x) => Math.min(acc, castToInt(x)), castToInt(a ?? null))), any)],
  ['maxf', fn([any], ([a, ...rest]) => f64(rest.reduce<number>((acc, x) => Math.max(acc, castToFloat(x)), castToFloat(a ?? null))), any)],
  ['minf', fn([any], ([a, ...rest]) => f64(rest.reduce<number>((acc, x) => Math.min(acc, castToFloat(x)), castToFloat(a ?? null))), any)],
  ['floor', fn([any], ([a]) => f64(Math.floor(castToFloat(a ?? null))))],
  ['ceil', fn([any], ([a]) => f64(Math.ceil(castToFloat(a ?? null))))],
  ['round', fn([any, i], ([a, p, ...opt]) => {
    const roundOn = opt.length > 0 ? castToFloat(opt[0] ?? null) : 0.5;
    const pow = 10 ** int(p);
    const digit = pow * castToFloat(a ?? null);
    const frac = digit - Math.trunc(digit);
    return f64((frac >= roundOn ? Math.ceil(digit) : Math.floor(digit)) / pow);
  }, T.float64)],
  ['add1f', fn([any], decimalFn('add', ([a]) => [a ?? null, [1]]))],
  ['addf', fn([], decimalFn('add', (args) => [f64(0), args]), any)],
  ['subf', fn([any], decimalFn('sub', ([a, ...rest]) => [a ?? null, rest]), any)],
  ['divf', fn([any], decimalFn('div', ([a, ...rest]) => [a ?? null, rest]), any)],
  ['mulf', fn([any], decimalFn('mul', ([a, ...rest]) => [a ?? null, rest]), any)],

  // Defaults and JSON.
  ['default', fn([any], ([d, ...given]) => (given.length === 0 || isEmpty(given[0] ?? null) ? (d ?? null) : (given[0] ?? null)), any)],
  ['empty', fn([any], ([v]) => isEmpty(v ?? null))],
  ['coalesce', fn([], (args) => args.find((x) => !isEmpty(x)) ?? null, any)],
  ['all', fn([], (args) => args.every((x) => !isEmpty(x)), any)],
  ['any', fn([], (args) => args.some((x) => !isEmpty(x)), any)],
  ['compact', fn([any], ([v]) => anyList(listItems(v ?? null, 'compact').filter((x) => !isEmpty(x))))],
  ['mustCompact', fn([any], ([v]) => anyList(listItems(v ?? null, 'compact').filter((x) => !isEmpty(x))))],
  ['fromJson', fn([s], ([v]) => {
    try {
      return unmarshalJSON(str(v));
    } catch {
      return null;
    }
  })],
  ['mustFromJson', fn([s], ([v]) => unmarshalJSON(str(v)))],
  ['toJson', fn([any], ([v]) => toJson(v ?? null))],
  ['mustToJson', fn([any], ([v]) => marshalJSON(v ?? null))],
  ['toPrettyJson', fn([any], ([v]) => {
    try {
      return marshalJSON(v ?? null, { indent: '  ' });
    } catch {
      return '';
    }
  })],
  ['mustToPrettyJson', fn([any], ([v]) => marshalJSON(v ?? null, { indent: '  ' }))],
  ['toRawJson', fn([any], ([v]) => marshalJSON(v ?? null, { escapeHTML: false }))],
  ['mustToRawJson', fn([any], ([v]) => marshalJSON(v ?? null, { escapeHTML: false }))],
  ['ternary', fn([any, any, T.bool], ([a, b, c]) => (c === true ? (a ?? null) : (b ?? null)))],
  ['deepCopy', fn([any], ([v]) => deepCopy(v ?? null))],
  ['mustDeepCopy', fn([any], ([v]) => deepCopy(v ?? null))],

  // Reflection.
  ['typeOf', fn([any], ([v]) => typeOf(v ?? null)?.str ?? '<nil>')],
  ['typeIs', fn([s, any], ([t, v]) => str(t) === (typeOf(v ?? null)?.str ?? '<nil>'))],
  ['typeIsLike', fn([s, any], ([t, v]) => {
    const name = typeOf(v ?? null)?.str ?? '<nil>';
    return str(t) === name || `*${str(t)}` === name;
  })],
  ['kindOf', fn([any], ([v]) => reflectKindName(v ?? null))],
  ['kindIs', fn([s, any], ([t, v]) => str(t) === reflectKindName(v ?? null))],
  ['deepEqual', fn([any, any], ([a, b]) => deepEqual(a ?? null, b ?? null))],

  // OS (sprig's env is replaced by Istio's).
  ['env', fn([s], ([k], ctx) => ctx.env[str(k)] ?? '')],
  ['expandenv', fn([s], ([v], ctx: CallContext) => expandEnv(str(v), ctx.env))],

  // Paths.
  ['base', fn([s], ([p]) => pathBase(str(p)))],
  ['dir', fn([s], ([p]) => pathDir(str(p)))],
  ['clean', fn([s], ([p]) => pathClean(str(p)))],
  ['ext', fn([s], ([p]) => pathExt(str(p)))],
  ['isAbs', fn([s], ([p]) => str(p).startsWith('/'))],
  ['osBase', fn([s], ([p]) => pathBase(str(p)))],
  ['osClean', fn([s], ([p]) => pathClean(str(p)))],
  ['osDir', fn([s], ([p]) => pathDir(str(p)))],
  ['osExt', fn([s], ([p]) => pathExt(str(p)))],
  ['osIsAbs', fn([s], ([p]) => str(p).startsWith('/'))],

  // Encoding.
  ['b64enc', fn([s], ([v]) => Buffer.from(utf8Bytes(str(v))).toString('base64'))],
  ['b64dec', fn([s], ([v]) => base64Decode(str(v)))],
  ['b32enc', fn([s], ([v]) => base32Encode(str(v)))],
  ['b32dec', fn([s], ([v]) => base32Decode(str(v)))],

  // Dictionaries.
  ['list', fn([], (args) => anyList([...args]), any)],
  ['tuple', fn([], (args) => anyList([...args]), any)],
  ['dict', fn([], (args) => {
    const m = new Map<string, GoValue>();
    for (let k = 0; k < args.length; k += 2) m.set(strval(args[k] ?? null), k + 1 < args.length ? (args[k + 1] ?? null) : '');
    return anyMap(m);
  }, any)],
  ['get', fn([mapAnyT, s], ([d, k]) => {
    const m = mapArg(d ?? null).m;
    return m && m.has(str(k)) ? (m.get(str(k)) ?? null) : '';
  })],
  ['set', fn([mapAnyT, s, any], ([d, k, v]) => {
    const dict = mapArg(d ?? null);
    if (!dict.m) throw new GoError('assignment to entry in nil map');
    dict.m.set(str(k), v ?? null);
    return dict;
  })],
  ['unset', fn([mapAnyT, s], ([d, k]) => {
    const dict = mapArg(d ?? null);
    dict.m?.delete(str(k));
    return dict;
  })],
  ['hasKey', fn([mapAnyT, s], ([d, k]) => mapArg(d ?? null).m?.has(str(k)) ?? false)],
  ['pluck', fn([s], ([k, ...dicts]) => anyList(dicts.flatMap((d) => {
    const m = mapArg(d).m;
    return m && m.has(str(k)) ? [m.get(str(k)) ?? null] : [];
  })), mapAnyT)],
  ['keys', fn([], (dicts) => stringList(dicts.flatMap((d) => {
    const m = mapArg(d).m;
    return m ? sortedKeys(m) : [];
  })), mapAnyT)],
  ['pick', fn([mapAnyT], ([d, ...keys]) => {
    const m = mapArg(d ?? null).m;
    const out = new Map<string, GoValue>();
    for (const k of keys) if (m && m.has(str(k))) out.set(str(k), m.get(str(k)) ?? null);
    return anyMap(out);
  }, s)],
  ['omit', fn([mapAnyT], ([d, ...keys]) => {
    const m = mapArg(d ?? null).m;
    const drop = new Set(keys.map(str));
    const out = new Map<string, GoValue>();
    if (m) for (const [k, v] of m) if (!drop.has(k)) out.set(k, v);
    return anyMap(out);
  }, s)],
  ...(['merge', 'mustMerge', 'mergeOverwrite', 'mustMergeOverwrite'] as const).map((name): [string, GoFunc] => [
    name,
    fn([mapAnyT], ([d, ...srcs]) => {
      let dst = mapArg(d ?? null);
      for (const src of srcs) {
        const sm = mapArg(src).m;
        if (!sm) continue;
        if (!dst.m) dst = anyMap();
        mergeMaps(dst.m!, sm, name.includes('Overwrite'));
      }
      return dst;
    }, mapAnyT),
  ]),
  ['values', fn([mapAnyT], ([d]) => {
    const m = mapArg(d ?? null).m;
    return anyList(m ? sortedKeys(m).map((k) => m.get(k) ?? null) : []);
  })],

  // Lists.
  ...(['append', 'push', 'mustAppend', 'mustPush'] as const).map((name): [string, GoFunc] => [
    name,
    fn([any, any], ([l, v]) => anyList([...listItems(l ?? null, 'push'), v ?? null])),
  ]),
  ...(['prepend', 'mustPrepend'] as const).map((name): [string, GoFunc] => [
    name,
    fn([any, any], ([l, v]) => anyList([v ?? null, ...listItems(l ?? null, 'prepend')])),
  ]),
  ...(['first', 'mustFirst'] as const).map((name): [string, GoFunc] => [
    name,
    fn([any], ([l]) => listItems(l ?? null, 'find first')[0] ?? null),
  ]),
  ...(['last', 'mustLast'] as const).map((name): [string, GoFunc] => [
    name,
    fn([any], ([l]) => {
      const a = listItems(l ?? null, 'find last');
      return a.length === 0 ? null : (a[a.length - 1] ?? null);
    }),
  ]),
  ...(['rest', 'mustRest'] as const).map((name): [string, GoFunc] => [
    name,
    fn([any], ([l]) => {
      const a = listItems(l ?? null, 'find rest');
      return a.length === 0 ? new GoSlice(TSliceAny, null) : anyList(a.slice(1));
    }),
  ]),
  ...(['initial', 'mustInitial'] as const).map((name): [string, GoFunc] => [
    name,
    fn([any], ([l]) => {
      const a = listItems(l ?? null, 'find initial');
      return a.length === 0 ? new GoSlice(TSliceAny, null) : anyList(a.slice(0, -1));
    }),
  ]),
  ...(['reverse', 'mustReverse'] as const).map((name): [string, GoFunc] => [
    name,
    fn([any], ([l]) => anyList([...listItems(l ?? null, 'find reverse')].reverse())),
  ]),
  ...(['uniq', 'mustUniq'] as const).map((name): [string, GoFunc] => [
    name,
    fn([any], ([l]) => {
      const out: GoValue[] = [];
      for (const x of listItems(l ?? null, 'find uniq')) if (!out.some((y) => deepEqual(x, y))) out.push(x);
      return anyList(out);
    }),
  ]),
  ...(['without', 'mustWithout'] as const).map((name): [string, GoFunc] => [
    name,
    fn([any], ([l, ...omit]) => anyList(listItems(l ?? null, 'find without').filter((x) => !omit.some((y) => deepEqual(x, y)))), any),
  ]),
  ...(['has', 'mustHas'] as const).map((name): [string, GoFunc] => [
    name,
    fn([any, any], ([needle, hay]) => {
      if (hay === null || hay === undefined) return false;
      return listItems(hay, 'find has').some((x) => deepEqual(needle ?? null, x));
    }),
  ]),
  ...(['slice', 'mustSlice'] as const).map((name): [string, GoFunc] => [
    name,
    fn([any], ([l, ...idx]) => {
      const k = listKind(l ?? null);
      if (!(l instanceof GoSlice)) throw new GoError(`list should be type of slice or array but ${k}`);
      const a = l.a ?? [];
      if (a.length === 0) return null;
      const start = idx.length > 0 ? castToInt(idx[0] ?? null) : 0;
      const end = idx.length < 2 ? a.length : castToInt(idx[1] ?? null);
      if (start < 0 || end < start || end > a.length) throw new GoError('reflect.Value.Slice: slice index out of bounds');
      return new GoSlice(l.type, a.slice(start, end));
    }, any),
  ]),
  ['concat', fn([], (lists) => {
    let res: GoValue[] | null = null;
    for (const l of lists) {
      const k = listKind(l);
      if (!(l instanceof GoSlice)) throw new GoError(`Cannot concat type ${k} as list`);
      for (const x of l.a ?? []) (res ??= []).push(x);
    }
    return new GoSlice(TSliceAny, res);
  }, any)],
  ['dig', fn([], (ps) => {
    if (ps.length < 3) throw new GoError('dig needs at least three arguments');
    const dict = typeAssertMap(ps[ps.length - 1] ?? null);
    const def = ps[ps.length - 2] ?? null;
    const keys = ps.slice(0, -2).map((k) => {
      if (typeof k !== 'string') throw new GoError(`interface conversion: interface {} is ${typeOf(k)?.str ?? 'nil'}, not string`);
      return k;
    });
    return digFrom(dict, def, keys);
  }, any)],
  ...(['chunk', 'mustChunk'] as const).map((name): [string, GoFunc] => [
    name,
    fn([i, any], ([size, l]) => {
      const a = listItems(l ?? null, 'chunk');
      const n = int(size);
      const out: GoValue[] = [];
      for (let k = 0; k < a.length; k += n) out.push(anyList(a.slice(k, k + n)));
      return new GoSlice(sliceOf(TSliceAny), out);
    }),
  ]),

  // Flow control.
  ['fail', fn([s], ([msg]) => {
    throw new GoError(str(msg));
  })],

  // Regular expressions.
  ...(['regexMatch', 'mustRegexMatch'] as const).map((name): [string, GoFunc] => [
    name,
    fn([s, s], ([re, v]) => {
      try {
        const r = compileGoRegexp(str(re));
        r.lastIndex = 0;
        return r.test(str(v));
      } catch (err) {
        if (name === 'regexMatch') return false;
        throw err;
      }
    }),
  ]),
  ...(['regexFindAll', 'mustRegexFindAll'] as const).map((name): [string, GoFunc] => [
    name,
    fn([s, s, i], ([re, v, n]) => {
      const r = name === 'regexFindAll' ? regexOrPanic(str(re)) : compileGoRegexp(str(re));
      const found = findAll(r, str(v), int(n)).map((m) => m.m[0]);
      return new GoSlice(TSliceString, found.length === 0 ? null : found);
    }),
  ]),
  ...(['regexFind', 'mustRegexFind'] as const).map((name): [string, GoFunc] => [
    name,
    fn([s, s], ([re, v]) => {
      const r = name === 'regexFind' ? regexOrPanic(str(re)) : compileGoRegexp(str(re));
      return findAll(r, str(v), 1)[0]?.m[0] ?? '';
    }),
  ]),
  ...(['regexReplaceAll', 'mustRegexReplaceAll', 'regexReplaceAllLiteral', 'mustRegexReplaceAllLiteral'] as const).map((name): [string, GoFunc] => [
    name,
    fn([s, s, s], ([re, v, repl]) => {
      const r = name.startsWith('must') ? compileGoRegexp(str(re)) : regexOrPanic(str(re));
      return replaceAll(r, str(v), str(repl), name.endsWith('Literal'));
    }),
  ]),
  ...(['regexSplit', 'mustRegexSplit'] as const).map((name): [string, GoFunc] => [
    name,
    fn([s, s, i], ([re, v, n]) => {
      const r = name === 'regexSplit' ? regexOrPanic(str(re)) : compileGoRegexp(str(re));
      return new GoSlice(TSliceString, regexSplit(r, str(v), int(n), str(re).length));
    }),
  ]),
  ['regexQuoteMeta', fn([s], ([v]) => str(v).replace(/[\\.+*?()|[\]{}^$]/g, '\\$&'))],

  // Durations.
  ['duration', fn([any], ([v]) => {
    // Only strings (base 10) and int64 count; any other type is 0 seconds.
    let secs = 0n;
    if (typeof v === 'string') secs = /^[+-]?\d+$/.test(v) ? BigInt.asIntN(64, BigInt(v)) : 0n;
    else if (v instanceof GoNum && v.type === T.int64) secs = BigInt(v.v);
    return durationString(BigInt.asIntN(64, secs * 1_000_000_000n));
  })],
];

/**
 * goutils.DeleteWhiteSpace: drops white space, walking the string byte by byte; when anything is
 * dropped, every byte of a multi-byte character comes out as the Latin-1 character of that byte.
 */
function deleteWhiteSpace(v: string): string {
  const bytes = utf8Bytes(v);
  let out = '';
  let kept = 0;
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    if (isGoSpace(c)) continue;
    out += c;
    kept++;
  }
  return kept === bytes.length ? v : out;
}

function sprigIndent(n: number, v: string): string {
  const pad = ' '.repeat(Math.max(n, 0));
  return pad + v.replaceAll('\n', `\n${pad}`);
}

function abbrev(width: number, v: string): string {
  if (width < 4) return v;
  const chars = [...v];
  if (chars.length <= width) return v;
  return `${chars.slice(0, width - 3).join('')}...`;
}

function seq(params: number[]): string {
  let list: number[];
  switch (params.length) {
    case 0:
      return '';
    case 1: {
      const end = params[0]!;
      const inc = end < 1 ? -1 : 1;
      list = untilStep(1, end + inc, inc);
      break;
    }
    case 2: {
      const [start, end] = params as [number, number];
      const step = end < start ? -1 : 1;
      list = untilStep(start, end + step, step);
      break;
    }
    case 3: {
      const [start, step, end] = params as [number, number, number];
      let inc = 1;
      if (end < start) {
        inc = -1;
        if (step > 0) return '';
      }
      list = untilStep(start, end + inc, step);
      break;
    }
    default:
      return '';
  }
  return list.join(' ');
}

/** Names sprig defines that meshctl does not execute (clock, randomness, network, crypto, semver, URLs, xstrings). */
const unsupportedNames = [
  'ago', 'date', 'date_in_zone', 'date_modify', 'dateInZone', 'dateModify', 'durationRound', 'htmlDate', 'htmlDateInZone',
  'must_date_modify', 'mustDateModify', 'mustToDate', 'now', 'toDate', 'unixEpoch',
  'abbrevboth', 'initials', 'randAlphaNum', 'randAlpha', 'randAscii', 'randNumeric', 'swapcase', 'shuffle', 'snakecase',
  'camelcase', 'kebabcase', 'wrap', 'wrapWith',
  'getHostByName', 'bcrypt', 'htpasswd', 'genPrivateKey', 'derivePassword', 'buildCustomCert', 'genCA', 'genCAWithKey',
  'genSelfSignedCert', 'genSelfSignedCertWithKey', 'genSignedCert', 'genSignedCertWithKey', 'encryptAES', 'decryptAES',
  'randBytes', 'uuidv4', 'semver', 'semverCompare', 'urlParse', 'urlJoin',
];

/** Sprig's TxtFuncMap. */
export const sprigFuncs: FuncMap = new Map<string, GoFunc>([
  ...entries,
  ...unsupportedNames.map((n): [string, GoFunc] => [n, unsupported(n)]),
]);

