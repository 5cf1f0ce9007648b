/**
 * Template functions: the calling convention, and text/template's builtins (and, or, not, len,
 * index, print, printf, println, eq, ne, lt, le, gt, ge, call, html, js, urlquery). Sprig's and
 * Istio's functions live in sprig.ts and istio.ts.
 *
 * A function declares Go parameter types; the executor converts and checks arguments against
 * them exactly as text/template does for a Go func, so `trunc 63 .Values.x` with a float64 fails
 * with Go's "wrong type for value; expected int; got float64". Functions signal a Go error (or a
 * recovered panic) by throwing {@link GoError}; the executor reports `error calling name: ...`.
 */

import { formatValue, sprint, sprintf, sprintln } from './format.js';
import {
  GoError,
  GoMap,
  GoNum,
  GoPtr,
  GoSlice,
  type GoType,
  type GoValue,
  T,
  assignable,
  canBeNil,
  deepEqual,
  isFloatKind,
  isIntKind,
  isTrue,
  isUintKind,
  lengthOf,
  reflectValueString,
  typeOf,
  typeString,
  utf8Bytes,
  zeroOf,
} from './values.js';

/** What a function may read besides its arguments. */
export interface CallContext {
  /** istiod's environment for Istio's `env` helper (never process.env: engines are pure). */
  readonly env: Readonly<Record<string, string>>;
}

/** A function callable from templates. */
export interface GoFunc {
  /** Fixed parameters. */
  readonly params: readonly GoType[];
  /** Element type of a final `...T` parameter. */
  readonly variadic?: GoType;
  /** Calls the function with converted arguments; throws {@link GoError}. */
  readonly call: (args: GoValue[], ctx: CallContext) => GoValue;
}

/** Functions by name. */
export type FuncMap = ReadonlyMap<string, GoFunc>;

/** Declares a function. */
export function fn(params: readonly GoType[], call: (args: GoValue[], ctx: CallContext) => GoValue, variadic?: GoType): GoFunc {
  return variadic ? { params, variadic, call } : { params, call };
}

/** Reads a string argument (the executor guarantees the type). */
export function str(v: GoValue | undefined): string {
  return typeof v === 'string' ? v : '';
}

/** Reads an int argument. */
export function int(v: GoValue | undefined): number {
  return typeof v === 'number' ? v : v instanceof GoNum ? v.v : 0;
}

const rv = T.reflect;

// ---------------------------------------------------------------------------------------------
// Comparison (text/template funcs.go: basicKind, eq, lt).

type BasicKind = 'invalid' | 'bool' | 'int' | 'uint' | 'float' | 'string' | 'other';

function basicKind(v: GoValue): BasicKind {
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return 'int';
    default:
      if (v === null) return 'invalid';
      if (v instanceof GoNum) {
        const k = v.type.kind;
        if (isIntKind(k)) return 'int';
        if (isUintKind(k)) return 'uint';
        if (isFloatKind(k)) return 'float';
      }
      return 'other';
  }
}

function num(v: GoValue): number {
  return typeof v === 'number' ? v : (v as GoNum).v;
}

function isNilValue(v: GoValue): boolean {
  if (v === null) return true;
  if (v instanceof GoMap) return v.m === null;
  if (v instanceof GoSlice) return v.a === null;
  if (v instanceof GoPtr) return v.elem === null;
  return false;
}

function comparable(t: GoType): boolean {
  if (t.kind === 'map' || t.kind === 'slice' || t.kind === 'func') return false;
  if (t.kind === 'struct') return (t.fields ?? []).every((f) => comparable(f.type));
  return true;
}

/**
 * The error for operands of different basic kinds (other than a signed and an unsigned integer,
 * which compare by value). Go names both dynamic types, so `eq 1 1.0` reads "int and float64".
 */
function incompatible(a: GoValue, b: GoValue): GoError {
  return new GoError(`incompatible types for comparison: ${typeString(a)} and ${typeString(b)}`);
}

/** Returns eq(a, bs...) with Go's rules; throws GoError for incomparable operands. */
function goEq(a: GoValue, bs: readonly GoValue[]): boolean {
  if (bs.length === 0) throw new GoError('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of bs) {
    const k2 = basicKind(b);
    let truth = false;
    if (k1 !== k2 && !(k1 === 'other' && k2 === 'invalid') && !(k1 === 'invalid' && k2 === 'other')) {
      if ((k1 === 'int' && k2 === 'uint') || (k1 === 'uint' && k2 === 'int')) {
        truth = num(a) >= 0 && num(a) === num(b);
      } else if (a !== null && b !== null) {
        throw incompatible(a, b);
      }
    } else {
      switch (k1) {
        case 'bool':
        case 'string':
          truth = a === b;
          break;
        case 'int':
        case 'uint':
        case 'float':
          truth = num(a) === num(b);
          break;
        default: {
          const ta = typeOf(a);
          const tb = typeOf(b);
          if (ta && tb && ta.kind !== tb.kind) {
            // Go's format is "%s: %v, %s: %v": the first value prints with %s, the second with %v.
            throw new GoError(`non-comparable types ${sprintf('%s', [a])}: ${ta.str}, ${tb.str}: ${sprintf('%v', [b])}`);
          }
          if (isNilValue(a) || isNilValue(b)) {
            truth = isNilValue(a) === isNilValue(b);
          } else {
            if (tb && !comparable(tb)) throw new GoError(`non-comparable type ${sprintf('%s', [b])}: ${tb.str}`);
            if (a instanceof GoPtr || b instanceof GoPtr) truth = a === b || (a instanceof GoPtr && b instanceof GoPtr && a.elem === b.elem);
            else truth = ta === tb && deepEqual(a, b);
          }
        }
      }
    }
    if (truth) return true;
  }
  return false;
}

/** Returns lt(a, b) with Go's rules. */
function goLt(a: GoValue, b: GoValue): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'invalid' || k1 === 'other' || k2 === 'invalid' || k2 === 'other') throw new GoError('invalid type for comparison');
  if (k1 !== k2) {
    if (k1 === 'int' && k2 === 'uint') return num(a) < 0 || num(a) < num(b);
    if (k1 === 'uint' && k2 === 'int') return num(b) >= 0 && num(a) < num(b);
    throw incompatible(a, b);
  }
  switch (k1) {
    case 'bool':
      throw new GoError('invalid type for comparison');
    case 'string':
      return (a as string) < (b as string);
    default:
      return num(a) < num(b);
  }
}

// ---------------------------------------------------------------------------------------------
// index, len, call.

function prepareArg(value: GoValue, t: GoType): GoValue {
  if (value === null) {
    if (!canBeNil(t)) throw new GoError(`value is nil; should be of type ${t.str}`);
    return zeroOf(t);
  }
  const vt = typeOf(value)!;
  if (assignable(vt, t)) return value;
  throw new GoError(`value has type ${vt.str}; should be ${t.str}`);
}

function indexArg(index: GoValue, cap: number): number {
  let x: number;
  if (index === null) throw new GoError('cannot index slice/array with nil');
  if (typeof index === 'number') x = index;
  else if (index instanceof GoNum && (isIntKind(index.type.kind) || isUintKind(index.type.kind))) x = index.v;
  else throw new GoError(`cannot index slice/array with type ${typeOf(index)?.str ?? ''}`);
  if (x < 0 || x > cap) throw new GoError(`index out of range: ${x}`);
  return x;
}

/** text/template's index: item[i][j]...; maps yield the zero value for missing keys. */
function goIndex(item: GoValue, indexes: readonly GoValue[]): GoValue {
  if (item === null) throw new GoError('index of untyped nil');
  for (const index of indexes) {
    if (item instanceof GoPtr) {
      if (item.elem === null) throw new GoError('index of nil pointer');
      item = item.elem;
    }
    if (typeof item === 'string') {
      const bytes = utf8Bytes(item);
      const x = indexArg(index, bytes.length);
      if (x === bytes.length) throw new GoError(`reflect: string index out of range`);
      item = new GoNum(T.uint8, bytes[x] ?? 0);
    } else if (item instanceof GoSlice) {
      const a: GoValue[] = item.a ?? [];
      const x = indexArg(index, a.length);
      if (x === a.length) throw new GoError('reflect: slice index out of range');
      item = a[x] ?? null;
    } else if (item instanceof GoMap) {
      const key = prepareArg(index, item.type.key ?? T.string);
      const k = typeof key === 'string' ? key : formatValue(key);
      item = item.m && item.m.has(k) ? (item.m.get(k) ?? null) : zeroOf(item.type.elem ?? T.any);
    } else if (item === null) {
      throw new GoError('index of untyped nil');
    } else {
      throw new GoError(`can't index item of type ${typeOf(item)?.str ?? ''}`);
    }
  }
  return item;
}

function goLen(item: GoValue): number {
  if (item instanceof GoPtr) {
    if (item.elem === null) throw new GoError('len of nil pointer');
    item = item.elem;
  }
  if (item === null) throw new GoError('reflect: call of reflect.Value.Type on zero Value');
  const n = lengthOf(item);
  if (n < 0) throw new GoError(`len of type ${typeOf(item)?.str ?? ''}`);
  return n;
}

/**
 * Runs text/template's `call` builtin on `f`. `callee` is the name Go's executor gives the callee
 * in errors: the source text of the callee argument (`.Values.x`, `"a"`, `$f`), or, when the callee
 * is the value of the preceding pipeline command, reflect.Value.String() of that value (a string's
 * own text, `<int Value>`). Throws {@link GoError}.
 */
export function callFunction(callee: string, f: GoValue, _args: readonly GoValue[]): GoValue {
  if (f === null) throw new GoError('call of nil');
  // Template data never holds Go func values (the value model has none), so whatever is left is
  // not callable; Go reports that before it looks at the arguments.
  throw new GoError(`non-function ${callee} of type ${typeString(f)}`);
}

// ---------------------------------------------------------------------------------------------
// Escapers (html, js, urlquery): fmt.Sprint of the arguments, pointers followed, nil as <no value>.

function evalArgs(args: readonly GoValue[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(
    args.map((a) => {
      if (a instanceof GoPtr) return a.elem;
      return a === null ? '<no value>' : a;
    }),
  );
}

/** Returns template.HTMLEscapeString(s). */
function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => {
    switch (c) {
      case '\0':
        return '\ufffd';
      case '"':
        return '&#34;';
      case "'":
        return '&#39;';
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      default:
        return '&gt;';
    }
  });
}

const printableRune = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** Returns template.JSEscapeString(s). */
function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x80) {
      switch (ch) {
        case '\\':
          out += '\\\\';
          continue;
        case "'":
          out += "\\'";
          continue;
        case '"':
          out += '\\"';
          continue;
        case '<':
          out += '\\u003C';
          continue;
        case '>':
          out += '\\u003E';
          continue;
        case '&':
          out += '\\u0026';
          continue;
        case '=':
          out += '\\u003D';
          continue;
        default:
          out += c < 0x20 ? `\\u00${c.toString(16).toUpperCase().padStart(2, '0')}` : ch;
      }
    } else if (printableRune.test(ch)) {
      out += ch;
    } else {
      out += `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
    }
  }
  return out;
}

/** Returns url.QueryEscape(s). */
function queryEscape(s: string): string {
  let out = '';
  for (const b of utf8Bytes(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

/** text/template's builtin functions (Go 1.2x). `slice` is left out: sprig's replaces it. */
export const builtins: FuncMap = new Map<string, GoFunc>([
  ['and', fn([rv], () => null, rv)],
  ['or', fn([rv], () => null, rv)],
  ['not', fn([rv], ([a]) => !isTrue(a ?? null))],
  ['len', fn([rv], ([a]) => goLen(a ?? null))],
  ['index', fn([rv], ([item, ...rest]) => goIndex(item ?? null, rest), rv)],
  ['print', fn([], (args) => sprint(args), T.any)],
  ['printf', fn([T.string], ([f, ...rest]) => sprintf(str(f), rest), T.any)],
  ['println', fn([], (args) => sprintln(args), T.any)],
  ['eq', fn([rv], ([a, ...bs]) => goEq(a ?? null, bs), rv)],
  ['ne', fn([rv, rv], ([a, b]) => !goEq(a ?? null, [b ?? null]))],
  ['lt', fn([rv, rv], ([a, b]) => goLt(a ?? null, b ?? null))],
  ['le', fn([rv, rv], ([a, b]) => goLt(a ?? null, b ?? null) || goEq(a ?? null, [b ?? null]))],
  ['gt', fn([rv, rv], ([a, b]) => !(goLt(a ?? null, b ?? null) || goEq(a ?? null, [b ?? null])))],
  ['ge', fn([rv, rv], ([a, b]) => !goLt(a ?? null, b ?? null))],
  // The executor names the callee itself (see callFunction); without a source text to go on, a
  // callee is named as Go names one that arrives through a pipeline.
  ['call', fn([rv], ([f, ...args]) => callFunction(reflectValueString(f ?? null), f ?? null, args), rv)],
  ['html', fn([], (args) => htmlEscape(evalArgs(args)), T.any)],
  ['js', fn([], (args) => jsEscape(evalArgs(args)), T.any)],
  ['urlquery', fn([], (args) => queryEscape(evalArgs(args)), T.any)],
]);

