/**
 * The Go value model the template engine executes over.
 *
 * Go templates are dynamically typed only on the surface: every value carries a static Go type,
 * and that type decides how a field is looked up, whether an argument may be passed to a
 * function, how `eq` compares, how fmt prints and how encoding/json encodes. This module gives
 * each value its type while keeping the common cases cheap:
 *
 * - a JS `string` is a Go `string`, a JS `boolean` a Go `bool`, a JS `number` a Go `int`;
 * - `null` is the invalid reflect.Value, which in templates is the same thing as a nil `interface{}`
 *   (a missing map key, an unset value);
 * - every other value is a small object naming its {@link GoType}: {@link GoNum} (float64, int64,
 *   int32, named integer types such as an enum), {@link GoMap}, {@link GoSlice}, {@link GoStruct},
 *   {@link GoPtr}.
 *
 * Go ints are 64-bit; here they are JS numbers, exact up to 2^53.
 */

/** reflect.Kind, plus `reflect` for parameters of type reflect.Value (which accept anything). */
export type Kind =
  | 'bool'
  | 'int'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'float32'
  | 'float64'
  | 'string'
  | 'interface'
  | 'map'
  | 'slice'
  | 'struct'
  | 'ptr'
  | 'func'
  | 'reflect';

/** encoding/json options of a struct field, from its `json:"name,omitempty"` tag. */
export interface JsonTag {
  readonly name: string;
  readonly omitEmpty: boolean;
}

/** A struct field. Unexported fields exist for error messages only; they are never read. */
export interface GoField {
  readonly name: string;
  readonly type: GoType;
  readonly exported: boolean;
  /** The JSON tag; absent means the Go field name, no omitempty. */
  readonly json?: JsonTag;
  /**
   * An embedded (anonymous) field: its fields and methods are promoted to the outer struct, as Go
   * resolves `.Name` on a struct embedding `*gateway.Gateway` (which embeds `ObjectMeta`).
   */
  readonly embedded?: boolean;
}

/** A method callable from a template (`.Field.Method arg...`). */
export interface GoMethod {
  readonly params: readonly GoType[];
  readonly variadic?: GoType;
  /** True when declared on the pointer type (callable on a nil pointer). */
  readonly pointerReceiver: boolean;
  /** Calls the method; `recv` is the receiver value, `null` for a nil pointer receiver. Throws {@link GoError}. */
  readonly call: (recv: GoValue, args: readonly GoValue[]) => GoValue;
}

/** A Go type: enough of reflect.Type for templates, fmt and encoding/json. */
export interface GoType {
  readonly kind: Kind;
  /** reflect.Type.String(): `string`, `map[string]interface {}`, `*v1alpha1.ProxyConfig`. */
  readonly str: string;
  /** Whether this is a defined (named) type rather than a type literal. */
  readonly named: boolean;
  /** Element type of maps, slices and pointers. */
  readonly elem?: GoType;
  /** Key type of maps (always a string kind here). */
  readonly key?: GoType;
  /** Fields of struct types. */
  readonly fields?: readonly GoField[];
  /** Methods of named types (value and pointer receivers alike). */
  readonly methods?: ReadonlyMap<string, GoMethod>;
  /** The String() method, when the type implements fmt.Stringer. */
  readonly stringer?: (v: GoValue) => string;
}

/** A numeric value of any type but `int` (which is a plain JS number). */
export class GoNum {
  constructor(
    readonly type: GoType,
    readonly v: number,
  ) {}
}

/** A Go map with string keys. `m === null` is a nil map. */
export class GoMap {
  constructor(
    readonly type: GoType,
    readonly m: Map<string, GoValue> | null,
  ) {}
}

/** A Go slice. `a === null` is a nil slice. */
export class GoSlice {
  constructor(
    readonly type: GoType,
    readonly a: GoValue[] | null,
  ) {}
}

/** A Go struct value; `f` holds the fields in declaration order. `hidden` carries unexported state. */
export class GoStruct {
  constructor(
    readonly type: GoType,
    readonly f: GoValue[],
    readonly hidden?: unknown,
  ) {}
}

/** A Go pointer. `elem === null` is a nil pointer. */
export class GoPtr {
  constructor(
    readonly type: GoType,
    readonly elem: Exclude<GoValue, null> | null,
  ) {}
}

/** Any Go value; `null` is nil / the invalid value. */
export type GoValue = null | string | boolean | number | GoNum | GoMap | GoSlice | GoStruct | GoPtr;

/**
 * A value read from a slot of static type `interface{}` (a map[string]interface{} element, a
 * []interface{} element), before text/template "digs down one level". Only the executor sees these:
 * they decide error wording ("in type interface {}") and nil-interface handling.
 */
export class IfaceBox {
  constructor(readonly v: GoValue) {}
}

/** An error with Go's wording, as a template function or method returns or panics with. */
export class GoError extends Error {
  override name = 'GoError';
}

// ---------------------------------------------------------------------------------------------
// Types

function basic(kind: Kind, str: string = kind): GoType {
  return { kind, str, named: false };
}

/** The predeclared types, plus `interface {}` (any), `error` and reflect.Value. */
export const T = {
  bool: basic('bool'),
  int: basic('int'),
  int8: basic('int8'),
  int16: basic('int16'),
  int32: basic('int32'),
  int64: basic('int64'),
  uint: basic('uint'),
  uint8: basic('uint8'),
  uint16: basic('uint16'),
  uint32: basic('uint32'),
  uint64: basic('uint64'),
  float32: basic('float32'),
  float64: basic('float64'),
  string: basic('string'),
  any: basic('interface', 'interface {}'),
  /** reflect.Value parameters: anything, including the invalid value. */
  reflect: basic('reflect', 'reflect.Value'),
  error: basic('interface', 'error'),
} as const;

const mapTypes = new Map<string, GoType>();
const sliceTypes = new Map<string, GoType>();
const ptrTypes = new Map<GoType, GoType>();

/** Returns the type `map[string]elem` (interned, so types compare by identity). */
export function mapOf(elem: GoType, key: GoType = T.string): GoType {
  const str = `map[${key.str}]${elem.str}`;
  let t = mapTypes.get(str);
  if (!t) {
    t = { kind: 'map', str, named: false, key, elem };
    mapTypes.set(str, t);
  }
  return t;
}

/** Returns the type `[]elem` (interned). */
export function sliceOf(elem: GoType): GoType {
  const str = `[]${elem.str}`;
  let t = sliceTypes.get(str);
  if (!t) {
    t = { kind: 'slice', str, named: false, elem };
    sliceTypes.set(str, t);
  }
  return t;
}

/** Returns the type `*elem` (interned). Methods of `elem` are reachable through it. */
export function ptrTo(elem: GoType): GoType {
  let t = ptrTypes.get(elem);
  if (!t) {
    t = { kind: 'ptr', str: `*${elem.str}`, named: false, elem };
    ptrTypes.set(elem, t);
  }
  return t;
}

/** `map[string]interface {}`. */
export const TMapAny = mapOf(T.any);
/** `map[string]string`. */
export const TMapString = mapOf(T.string);
/** `[]interface {}`. */
export const TSliceAny = sliceOf(T.any);
/** `[]string`. */
export const TSliceString = sliceOf(T.string);
/** `[]int`. */
export const TSliceInt = sliceOf(T.int);
/** `[]uint8` (`[]byte`). */
export const TSliceUint8 = sliceOf(T.uint8);

/** Returns the dynamic type of a value; `null` for nil. */
export function typeOf(v: GoValue): GoType | null {
  switch (typeof v) {
    case 'string':
      return T.string;
    case 'boolean':
      return T.bool;
    case 'number':
      return T.int;
    default:
      return v === null ? null : v.type;
  }
}

/**
 * Returns the name Go prints for a value's dynamic type (reflect.Type.String(): `int`, `float64`,
 * `[]interface {}`, `v1alpha1.ProxyConfig_InboundInterceptionMode`), or `<nil>` for nil, which
 * is how fmt prints a nil reflect.Type. Error messages that name operand types use this, so they
 * read as Go's do.
 */
export function typeString(v: GoValue): string {
  return typeOf(v)?.str ?? '<nil>';
}

/**
 * Returns reflect.Value.String() of a value: the text itself for a string, `<invalid Value>` for
 * nil, and `<T Value>` naming the dynamic type for anything else. text/template prints this where
 * it names a value that has no source text (the callee of `call` given through a pipeline).
 */
export function reflectValueString(v: GoValue): string {
  if (typeof v === 'string') return v;
  return v === null ? '<invalid Value>' : `<${typeString(v)} Value>`;
}

/** Returns reflect.Kind of a value's dynamic type, `invalid` for nil. */
export function kindOf(v: GoValue): Kind | 'invalid' {
  const t = typeOf(v);
  return t ? t.kind : 'invalid';
}

const intKinds = new Set<Kind>(['int', 'int8', 'int16', 'int32', 'int64']);
const uintKinds = new Set<Kind>(['uint', 'uint8', 'uint16', 'uint32', 'uint64']);

/** Whether a kind is a signed integer kind. */
export function isIntKind(k: Kind | 'invalid'): boolean {
  return intKinds.has(k as Kind);
}

/** Whether a kind is an unsigned integer kind. */
export function isUintKind(k: Kind | 'invalid'): boolean {
  return uintKinds.has(k as Kind);
}

/** Whether a kind is float32 or float64. */
export function isFloatKind(k: Kind | 'invalid'): boolean {
  return k === 'float32' || k === 'float64';
}

/** Makes a value of a numeric type (a plain number for `int`). */
export function makeNum(type: GoType, v: number): GoValue {
  return type === T.int ? v : new GoNum(type, v);
}

/** Makes a float64. */
export function f64(v: number): GoNum {
  return new GoNum(T.float64, v);
}

/** Makes an int64. */
export function i64(v: number): GoNum {
  return new GoNum(T.int64, v);
}

/** Returns the zero value of a type. */
export function zeroOf(t: GoType): GoValue {
  switch (t.kind) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'int':
      return 0;
    case 'map':
      return new GoMap(t, null);
    case 'slice':
      return new GoSlice(t, null);
    case 'ptr':
      return new GoPtr(t, null);
    case 'struct':
      return new GoStruct(
        t,
        (t.fields ?? []).map((f) => zeroOf(f.type)),
      );
    case 'interface':
    case 'reflect':
    case 'func':
      return null;
    default:
      return new GoNum(t, 0);
  }
}

/** Whether an untyped nil may be assigned to the type (reflect canBeNil). */
export function canBeNil(t: GoType): boolean {
  switch (t.kind) {
    case 'map':
    case 'slice':
    case 'ptr':
    case 'interface':
    case 'func':
    case 'reflect':
      return true;
    default:
      return false;
  }
}

/**
 * Whether a value of type `from` may be assigned to a parameter of type `to` (Go
 * assignability, restricted to the types that occur here: identical types, anything to an empty
 * interface).
 */
export function assignable(from: GoType, to: GoType): boolean {
  if (from === to) return true;
  if (to.kind === 'interface') {
    if (to === T.any) return true;
    if (to === T.error) return false;
  }
  return from.str === to.str && from.kind === to.kind;
}

/** Returns the length of a string (in UTF-8 bytes), map or slice; -1 for other kinds. */
export function lengthOf(v: GoValue): number {
  if (typeof v === 'string') return utf8Length(v);
  if (v instanceof GoMap) return v.m ? v.m.size : 0;
  if (v instanceof GoSlice) return v.a ? v.a.length : 0;
  return -1;
}

/**
 * Reports template truth (text/template isTrue): false for nil, zero numbers, false, empty
 * strings/maps/slices and nil pointers; structs are always true.
 */
export function isTrue(v: GoValue): boolean {
  switch (typeof v) {
    case 'string':
      return v.length > 0;
    case 'boolean':
      return v;
    case 'number':
      return v !== 0;
    default:
      if (v === null) return false;
      if (v instanceof GoNum) return v.v !== 0;
      if (v instanceof GoMap) return v.m !== null && v.m.size > 0;
      if (v instanceof GoSlice) return v.a !== null && v.a.length > 0;
      if (v instanceof GoPtr) return v.elem !== null;
      return true;
  }
}

// ---------------------------------------------------------------------------------------------
// Strings: Go strings are UTF-8 bytes; JS strings are UTF-16.

const nonAscii = /[^\x00-\x7f]/;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Returns the UTF-8 length of a string (Go's len). */
export function utf8Length(s: string): number {
  if (!nonAscii.test(s)) return s.length;
  return encoder.encode(s).length;
}

/** Returns the UTF-8 bytes of a string. */
export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Decodes UTF-8 bytes; invalid sequences become U+FFFD (Go would keep the raw bytes). */
export function utf8Decode(b: Uint8Array): string {
  return decoder.decode(b);
}

/** Go's s[start:end] on byte offsets. */
export function byteSlice(s: string, start: number, end: number): string {
  if (!nonAscii.test(s)) return s.slice(start, end);
  return decoder.decode(encoder.encode(s).subarray(start, end));
}

/** Compares two strings by Go's byte-wise (UTF-8, i.e. code point) order. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) {
      // Surrogates (astral code points) sort after U+E000..U+FFFF in code point order.
      const sa = ca >= 0xd800 && ca <= 0xdfff;
      const sb = cb >= 0xd800 && cb <= 0xdfff;
      if (sa !== sb) return sa ? 1 : -1;
      return ca - cb;
    }
  }
  return a.length - b.length;
}

/** Returns a map's keys in Go's sorted (fmtsort) order. */
export function sortedKeys(m: Map<string, GoValue>): string[] {
  return [...m.keys()].sort(compareStrings);
}

// ---------------------------------------------------------------------------------------------
// Deep equality (reflect.DeepEqual) and copying.

/** reflect.DeepEqual over the value model: same dynamic types and deeply equal contents. */
export function deepEqual(a: GoValue, b: GoValue): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  const ta = typeOf(a);
  const tb = typeOf(b);
  if (!ta || !tb || ta.str !== tb.str || ta.kind !== tb.kind) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (a instanceof GoNum && b instanceof GoNum) return a.v === b.v;
  if (a instanceof GoMap && b instanceof GoMap) {
    if ((a.m === null) !== (b.m === null)) return false;
    if (!a.m || !b.m) return true;
    if (a.m.size !== b.m.size) return false;
    for (const [k, v] of a.m) {
      if (!b.m.has(k) || !deepEqual(v, b.m.get(k) ?? null)) return false;
    }
    return true;
  }
  if (a instanceof GoSlice && b instanceof GoSlice) {
    if ((a.a === null) !== (b.a === null)) return false;
    if (!a.a || !b.a) return true;
    if (a.a.length !== b.a.length) return false;
    return a.a.every((v, i) => deepEqual(v, b.a?.[i] ?? null));
  }
  if (a instanceof GoStruct && b instanceof GoStruct) {
    return a.f.every((v, i) => deepEqual(v, b.f[i] ?? null));
  }
  if (a instanceof GoPtr && b instanceof GoPtr) {
    if (a.elem === null || b.elem === null) return a.elem === b.elem;
    return deepEqual(a.elem, b.elem);
  }
  return false;
}

/**
 * Deep copy of maps, slices, structs and pointers (mitchellh/copystructure.Copy). Like
 * copystructure, it cannot see unexported state: a copied struct loses `hidden`.
 */
export function deepCopy(v: GoValue): GoValue {
  if (v === null || typeof v !== 'object' || v instanceof GoNum) return v;
  if (v instanceof GoMap) {
    if (!v.m) return v;
    const m = new Map<string, GoValue>();
    for (const [k, x] of v.m) m.set(k, deepCopy(x));
    return new GoMap(v.type, m);
  }
  if (v instanceof GoSlice) return v.a ? new GoSlice(v.type, v.a.map(deepCopy)) : v;
  if (v instanceof GoStruct) return new GoStruct(v.type, v.f.map(deepCopy));
  return v.elem === null ? v : new GoPtr(v.type, deepCopy(v.elem) as Exclude<GoValue, null>);
}

/** Whether a value is "empty" in sprig's sense (`empty`, `default`): nil, zero, false, length 0. */
export function isEmpty(v: GoValue): boolean {
  if (v instanceof GoStruct) return false;
  return !isTrue(v);
}

/** Makes a `[]interface{}`. */
export function anyList(items: GoValue[]): GoSlice {
  return new GoSlice(TSliceAny, items);
}

/** Makes a `[]string`. */
export function stringList(items: string[]): GoSlice {
  return new GoSlice(TSliceString, items);
}

/** Makes a `map[string]interface{}`. */
export function anyMap(m: Map<string, GoValue> = new Map()): GoMap {
  return new GoMap(TMapAny, m);
}
