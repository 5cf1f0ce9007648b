/**
 * The executor of Go text/template: compiles parse trees to closures once and runs them over
 * {@link GoValue}s with text/template's exec.go semantics: field and method lookup through
 * pointers and interfaces, argument conversion to the Go parameter types of functions (with Go's
 * "wrong type for value" / "wrong number of args" errors), short-circuit and/or, variable scoping
 * per block, range over slices, maps (sorted keys) and integers, break/continue, template calls
 * without dynamic scoping, and error messages that point at the node being evaluated
 * (`template: inject:12:34: executing "inject" at <.Foo>: ...`).
 */

import { formatValue } from './format.js';
import { type CallContext, type FuncMap, type GoFunc, callFunction } from './funcs.js';
import {
  type AnyNode,
  type ArgNode,
  type BranchNode,
  type CommandNode,
  type ListNode,
  type Node,
  type NumberNode,
  type PipeNode,
  type TemplateNode,
  type Tree,
  type VariableNode,
  isStackOverflow,
  nodeString,
} from './parse.js';
import {
  GoError,
  GoMap,
  GoNum,
  GoPtr,
  GoSlice,
  GoStruct,
  type GoMethod,
  type GoType,
  type GoValue,
  IfaceBox,
  T,
  assignable,
  canBeNil,
  isFloatKind,
  isIntKind,
  isTrue,
  isUintKind,
  makeNum,
  reflectValueString,
  sortedKeys,
  typeOf,
  utf8Length,
  zeroOf,
} from './values.js';

/** A value as the executor holds it: possibly still boxed in an interface slot. */
type Val = GoValue | IfaceBox;

const MISSING: unique symbol = Symbol('missing');
type Final = Val | typeof MISSING;

type Emit = (st: State, dot: Val) => void;
type Eval = (st: State, dot: Val) => Val;
type Cmd = (st: State, dot: Val, final: Final) => Val;

const maxExecDepth = 100000;

/** An execution error, with Go's message and the 1-based line and 0-based byte column of the node. */
export class ExecError extends Error {
  override name = 'ExecError';
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

class BreakSignal {}
class ContinueSignal {}
const breakSignal = new BreakSignal();
const continueSignal = new ContinueSignal();

/** Execution state; one per Execute call. */
class State {
  out = '';
  names: string[];
  vals: Val[];
  node: AnyNode | null = null;
  tmpl: string;
  depth = 0;

  constructor(
    readonly prog: Program,
    root: Val,
    readonly ctx: CallContext,
  ) {
    this.names = ['$'];
    this.vals = [root];
    this.tmpl = prog.name;
  }

  fail(msg: string): never {
    const node = this.node;
    if (!node) throw new ExecError(`template: ${this.tmpl}: ${msg}`, 0, 0);
    const { line, column } = this.prog.locate(node.pos);
    throw new ExecError(
      `template: ${this.prog.name}:${line}:${column}: executing ${JSON.stringify(this.tmpl)} at <${nodeString(node)}>: ${msg}`,
      line,
      column,
    );
  }

  varValue(name: string): Val {
    for (let i = this.names.length - 1; i >= 0; i--) {
      if (this.names[i] === name) return this.vals[i] ?? null;
    }
    return this.fail(`undefined variable: ${name}`);
  }

  setVar(name: string, v: Val): void {
    for (let i = this.names.length - 1; i >= 0; i--) {
      if (this.names[i] === name) {
        this.vals[i] = v;
        return;
      }
    }
    this.fail(`undefined variable: ${name}`);
  }

  push(name: string, v: Val): void {
    this.names.push(name);
    this.vals.push(v);
  }

  pop(mark: number): void {
    if (this.names.length === mark) return;
    this.names.length = mark;
    this.vals.length = mark;
  }
}

function dig(v: Val): GoValue {
  return v instanceof IfaceBox ? v.v : v;
}

// ---------------------------------------------------------------------------------------------
// Field access and calls (dynamic parts shared by compiled closures).

const fieldIndexes = new WeakMap<GoType, Map<string, number>>();

/** Field name to index, per struct type (built once). */
function fieldIndexOf(t: GoType): Map<string, number> {
  let m = fieldIndexes.get(t);
  if (!m) {
    m = new Map((t.fields ?? []).map((f, i) => [f.name, i]));
    fieldIndexes.set(t, m);
  }
  return m;
}

/** A field or method reached through embedded fields: the embedded-field indexes to walk, then what is found there. */
interface Promoted {
  readonly path: readonly number[];
  readonly field?: number;
  readonly method?: GoMethod;
}

const promotedCache = new WeakMap<GoType, Map<string, Promoted | null>>();

/** The struct type behind an embedded field's type (`T` or `*T`), if any. */
function embeddedStruct(t: GoType): GoType | undefined {
  const s = t.kind === 'ptr' ? t.elem : t;
  return s?.kind === 'struct' ? s : undefined;
}

/**
 * Finds `name` among the fields and methods promoted into struct type `t` from its embedded
 * fields (depth 1 and deeper), as reflect's FieldByName and method sets do: the shallowest depth
 * wins and two candidates at that depth cancel each other out. Depth 0 is the caller's business.
 */
function findPromoted(t: GoType, name: string): Promoted | null {
  let cache = promotedCache.get(t);
  if (!cache) {
    cache = new Map();
    promotedCache.set(t, cache);
  }
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  let level: { type: GoType; path: number[] }[] = [];
  (t.fields ?? []).forEach((f, i) => {
    const inner = f.embedded ? embeddedStruct(f.type) : undefined;
    if (inner) level.push({ type: f.type, path: [i] });
  });
  let found: Promoted | null = null;
  const seen = new Set<GoType>();
  while (level.length > 0 && found === null) {
    const matches: Promoted[] = [];
    const next: { type: GoType; path: number[] }[] = [];
    for (const { type, path } of level) {
      const inner = embeddedStruct(type)!;
      if (seen.has(inner)) continue;
      seen.add(inner);
      const method = (type.kind === 'ptr' ? type.elem?.methods : type.methods)?.get(name) ?? inner.methods?.get(name);
      if (method) matches.push({ path, method });
      const fi = (inner.fields ?? []).findIndex((f) => f.name === name);
      if (fi >= 0) matches.push({ path, field: fi });
      (inner.fields ?? []).forEach((f, i) => {
        if (f.embedded && embeddedStruct(f.type)) next.push({ type: f.type, path: [...path, i] });
      });
    }
    if (matches.length === 1) found = matches[0]!;
    else if (matches.length > 1) break;
    level = next;
  }
  cache.set(name, found);
  return found;
}

function boxIfInterface(t: GoType | undefined, v: GoValue): Val {
  return t && t.kind === 'interface' ? new IfaceBox(v) : v;
}

function evalField(st: State, dot: Val, fieldName: string, node: AnyNode, args: readonly ArgNode[] | null, final: Final, receiver: Val): Val {
  if (receiver === null) return null;
  const boxed = receiver instanceof IfaceBox;
  const r: GoValue = boxed ? receiver.v : receiver;
  const typ = (): string => (boxed ? 'interface {}' : (typeOf(r)?.str ?? '<nil>'));
  // Maps (the common case: .Values.x.y) have no methods here.
  if (r instanceof GoMap) {
    if ((args !== null && args.length > 1) || final !== MISSING) return st.fail(`${fieldName} is not a method but has arguments`);
    const m = r.m;
    if (m === null) return null;
    const v = m.get(fieldName);
    if (v === undefined) return null;
    return r.type.elem === T.any ? new IfaceBox(v) : v;
  }
  if (r === null) return st.fail(`nil pointer evaluating interface {}.${fieldName}`);
  // Indirect through a pointer; a nil pointer stays as it is.
  let target: GoValue = r;
  let isNilPtr = false;
  if (r instanceof GoPtr) {
    if (r.elem === null) isNilPtr = true;
    else target = r.elem;
  }
  const methods = r instanceof GoPtr ? r.type.elem?.methods : typeOf(target)?.methods;
  const method = methods?.get(fieldName);
  if (method) {
    const recv = isNilPtr ? null : target;
    const fn: GoFunc = {
      params: method.params,
      variadic: method.variadic,
      call: (argv) => {
        if (isNilPtr && !method.pointerReceiver) {
          const elem = (r as GoPtr).type.elem?.str ?? '';
          throw new GoError(`value method ${elem}.${fieldName} called using nil *${elem.replace(/^.*\./, '')} pointer`);
        }
        return method.call(recv, argv);
      },
    };
    return evalCall(st, dot, fn, false, node, fieldName, args ? args.slice(1) : [], final);
  }
  const hasArgs = (args !== null && args.length > 1) || final !== MISSING;
  if (target instanceof GoStruct) {
    const i = fieldIndexOf(target.type).get(fieldName);
    if (i !== undefined) {
      const f = target.type.fields![i]!;
      if (!f.exported) return st.fail(`${fieldName} is an unexported field of struct type ${typ()}`);
      if (hasArgs) return st.fail(`${fieldName} has arguments but cannot be invoked as function`);
      return boxIfInterface(f.type, target.f[i] ?? null);
    }
    const promoted = findPromoted(target.type, fieldName);
    if (promoted) {
      // Walk the embedded fields down to the one holding the name.
      let holder: GoValue = target;
      let nilField = '';
      for (const step of promoted.path) {
        const s: GoValue = holder instanceof GoPtr ? holder.elem : holder;
        if (!(s instanceof GoStruct)) break;
        holder = s.f[step] ?? null;
        if (holder instanceof GoPtr && holder.elem === null) nilField = s.type.fields![step]!.name;
      }
      const inner = holder instanceof GoPtr ? holder.elem : holder;
      if (promoted.method) {
        const method = promoted.method;
        const fn: GoFunc = { params: method.params, variadic: method.variadic, call: (argv) => method.call(inner, argv) };
        return evalCall(st, dot, fn, false, node, fieldName, args ? args.slice(1) : [], final);
      }
      if (!(inner instanceof GoStruct)) return st.fail(`reflect: indirection through nil pointer to embedded struct field ${nilField}`);
      const f = inner.type.fields![promoted.field!]!;
      if (!f.exported) return st.fail(`${fieldName} is an unexported field of struct type ${typ()}`);
      if (hasArgs) return st.fail(`${fieldName} has arguments but cannot be invoked as function`);
      return boxIfInterface(f.type, inner.f[promoted.field!] ?? null);
    }
  } else if (target instanceof GoMap) {
    if (hasArgs) return st.fail(`${fieldName} is not a method but has arguments`);
    const m = target.m;
    if (m === null) return null;
    const v = m.get(fieldName);
    return v === undefined ? null : boxIfInterface(target.type.elem, v);
  } else if (isNilPtr) {
    const elem = (r as GoPtr).type.elem;
    const hasField = elem?.kind !== 'struct' || (elem.fields ?? []).some((f) => f.name === fieldName);
    if (hasField) return st.fail(`nil pointer evaluating ${typ()}.${fieldName}`);
  }
  return st.fail(`can't evaluate field ${fieldName} in type ${typ()}`);
}

function evalFieldChain(st: State, dot: Val, receiver: Val, node: AnyNode, ident: readonly string[], args: readonly ArgNode[] | null, final: Final): Val {
  const n = ident.length;
  for (let i = 0; i < n - 1; i++) receiver = evalField(st, dot, ident[i]!, node, null, MISSING, receiver);
  return evalField(st, dot, ident[n - 1]!, node, args, final, receiver);
}

/** Calls a function or method with argument nodes (already without the function's own node). */
function evalCall(st: State, dot: Val, fn: GoFunc, isBuiltin: boolean, node: AnyNode, name: string, argNodes: readonly ArgNode[], final: Final): Val {
  const numIn = argNodes.length + (final !== MISSING ? 1 : 0);
  let numFixed = argNodes.length;
  if (fn.variadic) {
    numFixed = fn.params.length;
    if (numIn < numFixed) return st.fail(`wrong number of args for ${name}: want at least ${numFixed} got ${argNodes.length}`);
  } else if (numIn !== fn.params.length) {
    return st.fail(`wrong number of args for ${name}: want ${fn.params.length} got ${numIn}`);
  }
  if (isBuiltin && (name === 'and' || name === 'or')) {
    const want = name === 'or';
    let v: Val = null;
    for (const a of argNodes) {
      v = evalArg(st, dot, T.reflect, a);
      if (isTrue(dig(v)) === want) return v;
    }
    if (final !== MISSING) v = final;
    return v;
  }
  const argv: GoValue[] = new Array<GoValue>(numIn);
  let i = 0;
  for (; i < numFixed && i < argNodes.length; i++) argv[i] = evalArg(st, dot, fn.params[i]!, argNodes[i]!);
  if (fn.variadic) for (; i < argNodes.length; i++) argv[i] = evalArg(st, dot, fn.variadic, argNodes[i]!);
  if (final !== MISSING) {
    let t: GoType;
    if (fn.variadic) t = numIn - 1 < numFixed ? fn.params[numIn - 1]! : fn.variadic;
    else t = fn.params[fn.params.length - 1]!;
    argv[i] = validateType(st, final, t);
  }
  if (isBuiltin && name === 'call') {
    // Go's evalCall hands `call` the callee's name as an extra first argument, for its errors.
    const callee = calleeName(argNodes, final);
    const named: GoFunc = { params: fn.params, variadic: fn.variadic, call: ([f, ...rest]) => callFunction(callee, f ?? null, rest) };
    return invoke(st, named, argv, node, name);
  }
  return invoke(st, fn, argv, node, name);
}

/**
 * The name Go's `call` gives its callee: the source text of the first argument node (`.Values.f`,
 * `"a"`, a parenthesized pipeline without its parentheses) or, when the callee is the value of
 * the preceding pipeline command, reflect.Value.String() of that value.
 */
function calleeName(argNodes: readonly ArgNode[], final: Final): string {
  const first = argNodes[0];
  if (first) return nodeString(first);
  return final === MISSING ? '' : reflectValueString(dig(final));
}

function invoke(st: State, fn: GoFunc, argv: GoValue[], node: AnyNode, name: string): GoValue {
  try {
    return fn.call(argv, st.ctx);
  } catch (err) {
    if (err instanceof ExecError || err instanceof BreakSignal || err instanceof ContinueSignal || isStackOverflow(err)) throw err;
    st.node = node;
    const msg = err instanceof GoError ? err.message : String((err as Error).message ?? err);
    return st.fail(`error calling ${name}: ${msg}`);
  }
}

/** Checks that a value may be passed as a parameter of type `typ` (null: any), converting as Go does. */
function validateType(st: State, boxed: Val, typ: GoType | null): GoValue {
  let value: GoValue;
  if (boxed instanceof IfaceBox) {
    if (typ === null || typ.kind === 'reflect' || typ === T.any) return boxed.v;
    if (boxed.v === null) return st.fail(`wrong type for value; expected ${typ.str}; got interface {}`);
    value = boxed.v;
  } else {
    value = boxed;
  }
  if (value === null) {
    if (typ === null || typ.kind === 'reflect') return null;
    if (canBeNil(typ)) return zeroOf(typ);
    return st.fail(`invalid value; expected ${typ.str}`);
  }
  if (typ === null || typ.kind === 'reflect') return value;
  if (typeof value === 'string') {
    if (typ === T.string || typ === T.any) return value;
  } else if (typeof value === 'number') {
    if (typ === T.int || typ === T.any) return value;
  } else if (typeof value === 'boolean') {
    if (typ === T.bool || typ === T.any) return value;
  }
  const vt = typeOf(value)!;
  if (assignable(vt, typ)) return value;
  if (value instanceof GoPtr && vt.elem && assignable(vt.elem, typ)) {
    if (value.elem === null) return st.fail(`dereference of nil pointer of type ${typ.str}`);
    return value.elem;
  }
  if (value instanceof GoStruct && typ.kind === 'ptr' && typ.elem && assignable(vt, typ.elem)) return new GoPtr(typ, value);
  return st.fail(`wrong type for value; expected ${typ.str}; got ${vt.str}`);
}

function idealConstant(st: State, n: NumberNode): GoValue {
  st.node = n;
  const isHexInt = /^[+-]?0[xX]/.test(n.text) && !/[pP]/.test(n.text);
  if (n.isFloat && !isHexInt && n.text[0] !== "'" && /[.eEpP]/.test(n.text)) return new GoNum(T.float64, n.float);
  if (n.isInt) return n.int;
  if (n.isUint) return st.fail(`${n.text} overflows int`);
  return null;
}

function literalArg(st: State, dot: Val, typ: GoType, n: ArgNode): GoValue {
  st.node = n;
  const k = typ.kind;
  if (k === 'bool') {
    if (n.kind === 'bool') return n.value;
    return st.fail(`expected bool; found ${nodeString(n)}`);
  }
  if (isFloatKind(k)) {
    if (n.kind === 'number' && n.isFloat) return makeNum(typ, n.float);
    return st.fail(`expected float; found ${nodeString(n)}`);
  }
  if (isIntKind(k)) {
    if (n.kind === 'number' && n.isInt) return makeNum(typ, n.int);
    return st.fail(`expected integer; found ${nodeString(n)}`);
  }
  if (isUintKind(k)) {
    if (n.kind === 'number' && n.isUint) return makeNum(typ, n.int);
    return st.fail(`expected unsigned integer; found ${nodeString(n)}`);
  }
  if (k === 'string') {
    if (n.kind === 'string') return n.text;
    return st.fail(`expected string; found ${nodeString(n)}`);
  }
  if (typ === T.any || k === 'reflect') {
    switch (n.kind) {
      case 'bool':
        return n.value;
      case 'number':
        return idealConstant(st, n);
      case 'string':
        return n.text;
      default:
        return dig(dot);
    }
  }
  return st.fail(`can't handle ${nodeString(n)} for arg of type ${typ.str}`);
}

/** Evaluates an argument node for a parameter of type `typ` (null: the receiver of a chain). */
function evalArg(st: State, dot: Val, typ: GoType | null, n: ArgNode): GoValue {
  st.node = n;
  switch (n.kind) {
    case 'dot':
      return validateType(st, dot, typ);
    case 'nil':
      if (typ && canBeNil(typ)) return zeroOf(typ);
      return st.fail(`cannot assign nil to ${typ?.str ?? '<nil>'}`);
    case 'field':
      return validateType(st, evalFieldChain(st, dot, dot, n, n.ident, [n], MISSING), typ);
    case 'variable':
      return validateType(st, evalVariable(st, dot, n, null, MISSING), typ);
    case 'pipe':
      return validateType(st, st.prog.pipeline(n)(st, dot), typ);
    case 'identifier':
      return validateType(st, st.prog.function(n, n)(st, dot, MISSING), typ);
    case 'chain':
      return validateType(st, evalChain(st, dot, n, null, MISSING), typ);
    default:
      if (typ === null) return st.fail(`can't handle ${nodeString(n)} for arg of type <nil>`);
      return literalArg(st, dot, typ, n);
  }
}

function evalVariable(st: State, dot: Val, n: VariableNode, args: readonly ArgNode[] | null, final: Final): Val {
  st.node = n;
  const value = st.varValue(n.ident[0]!);
  if (n.ident.length === 1) {
    notAFunction(st, args, final);
    return value;
  }
  return evalFieldChain(st, dot, value, n, n.ident.slice(1), args, final);
}

function evalChain(st: State, dot: Val, n: ArgNode & { kind: 'chain' }, args: readonly ArgNode[] | null, final: Final): Val {
  st.node = n;
  if (n.node.kind === 'nil') return st.fail(`indirection through explicit nil in ${nodeString(n)}`);
  const recv = evalArg(st, dot, null, n.node);
  return evalFieldChain(st, dot, recv, n, n.field, args, final);
}

function notAFunction(st: State, args: readonly ArgNode[] | null, final: Final): void {
  if ((args !== null && args.length > 1) || final !== MISSING) {
    st.fail(`can't give argument to non-function ${nodeString(args?.[0] ?? st.node!)}`);
  }
}

function printValue(st: State, node: AnyNode, v: GoValue): void {
  st.node = node;
  if (typeof v === 'string') {
    st.out += v;
    return;
  }
  if (v === null) {
    st.out += '<no value>';
    return;
  }
  if (v instanceof GoPtr) {
    st.out += v.elem === null ? '<nil>' : formatValue(v.elem);
    return;
  }
  st.out += formatValue(v);
}

function rangeValueError(v: GoValue): string {
  return v === null ? '<nil>' : formatValue(v instanceof GoPtr && v.elem !== null ? v.elem : v);
}

// ---------------------------------------------------------------------------------------------
// Compilation.

/** A parsed template set compiled to closures. */
export class Program {
  private readonly compiled = new Map<string, Emit>();
  private readonly lineStarts: number[];

  constructor(
    readonly name: string,
    private readonly text: string,
    private readonly trees: ReadonlyMap<string, Tree>,
    private readonly funcs: FuncMap,
    private readonly builtins: FuncMap,
  ) {
    this.lineStarts = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }

  /** Returns the 1-based line and 0-based UTF-8 byte column of a text offset (Go's ErrorContext). */
  locate(pos: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    const start = this.lineStarts[lo]!;
    return { line: lo + 1, column: utf8Length(this.text.slice(start, pos)) };
  }

  /** Returns the compiled body of a named template, or undefined when there is none. */
  template(name: string): Emit | undefined {
    let c = this.compiled.get(name);
    if (c) return c;
    const tree = this.trees.get(name);
    if (!tree) return undefined;
    // Template calls resolve their callee when they run, so compiling never recurses.
    c = this.list(tree.root);
    this.compiled.set(name, c);
    return c;
  }

  /** Executes the top-level template over `data`. Throws {@link ExecError}. */
  execute(data: GoValue, ctx: CallContext): string {
    const body = this.template(this.name);
    const st = new State(this, data, ctx);
    if (!body) return st.fail(`${JSON.stringify(this.name)} is an incomplete or empty template`);
    try {
      body(st, data);
    } catch (err) {
      if (isStackOverflow(err)) {
        st.node = null;
        return st.fail(`exceeded maximum template depth (${maxExecDepth})`);
      }
      throw err;
    }
    return st.out;
  }

  private list(l: ListNode): Emit {
    const items = l.nodes.map((n) => this.node(n));
    if (items.length === 0) return () => {};
    if (items.length === 1) return items[0]!;
    return (st, dot) => {
      for (let i = 0; i < items.length; i++) items[i]!(st, dot);
    };
  }

  private node(n: Node): Emit {
    switch (n.kind) {
      case 'text': {
        const text = n.text;
        return (st) => {
          st.out += text;
        };
      }
      case 'action': {
        const pipe = this.pipeline(n.pipe);
        if (n.pipe.decl.length > 0) {
          return (st, dot) => {
            st.node = n;
            pipe(st, dot);
          };
        }
        return (st, dot) => {
          st.node = n;
          printValue(st, n, dig(pipe(st, dot)));
        };
      }
      case 'if':
      case 'with':
        return this.ifOrWith(n);
      case 'range':
        return this.range(n);
      case 'template':
        return this.templateCall(n);
      case 'break':
        return () => {
          throw breakSignal;
        };
      case 'continue':
        return () => {
          throw continueSignal;
        };
      case 'list':
        return this.list(n);
    }
  }

  private ifOrWith(n: BranchNode): Emit {
    const pipe = this.pipeline(n.pipe);
    const list = this.list(n.list);
    const elseList = n.elseList ? this.list(n.elseList) : null;
    const isWith = n.kind === 'with';
    return (st, dot) => {
      st.node = n;
      const mark = st.names.length;
      const val = pipe(st, dot);
      if (isTrue(dig(val))) list(st, isWith ? val : dot);
      else if (elseList) elseList(st, dot);
      st.pop(mark);
    };
  }

  private range(n: BranchNode): Emit {
    const pipe = this.pipeline(n.pipe);
    const list = this.list(n.list);
    const elseList = n.elseList ? this.list(n.elseList) : null;
    const ndecl = n.pipe.decl.length;
    return (st, dot) => {
      st.node = n;
      const outer = st.names.length;
      let val = dig(pipe(st, dot));
      if (val instanceof GoPtr && val.elem !== null) val = val.elem;
      const mark = st.names.length;
      let ran = false;
      const one = (index: Val, elem: Val): boolean => {
        if (ndecl > 0) st.vals[mark - 1] = elem;
        if (ndecl > 1) st.vals[mark - 2] = index;
        try {
          list(st, elem);
        } catch (err) {
          st.pop(mark);
          if (err === continueSignal) return true;
          if (err === breakSignal) return false;
          throw err;
        }
        st.pop(mark);
        return true;
      };
      if (val instanceof GoSlice) {
        const a = val.a;
        if (a && a.length > 0) {
          ran = true;
          const boxed = val.type.elem?.kind === 'interface';
          for (let i = 0; i < a.length; i++) {
            const e = a[i] ?? null;
            if (!one(i, boxed ? new IfaceBox(e) : e)) break;
          }
        }
      } else if (val instanceof GoMap) {
        const m = val.m;
        if (m && m.size > 0) {
          ran = true;
          const boxed = val.type.elem?.kind === 'interface';
          for (const k of sortedKeys(m)) {
            const e = m.get(k) ?? null;
            if (!one(k, boxed ? new IfaceBox(e) : e)) break;
          }
        }
      } else if (typeof val === 'number' || (val instanceof GoNum && !isFloatKind(val.type.kind))) {
        // Go 1.22+: range over an integer.
        if (ndecl > 1) st.fail(`can't use ${formatValue(val)} to iterate over more than one variable`);
        const count = typeof val === 'number' ? val : val.v;
        const t = typeOf(val)!;
        if (count > 0) {
          ran = true;
          for (let i = 0; i < count; i++) if (!one(null, makeNum(t, i))) break;
        }
      } else if (val !== null) {
        st.fail(`range can't iterate over ${rangeValueError(val)}`);
      }
      if (!ran && elseList) elseList(st, dot);
      st.pop(outer);
    };
  }

  private templateCall(n: TemplateNode): Emit {
    const pipe = n.pipe ? this.pipeline(n.pipe) : null;
    return (st, dot) => {
      st.node = n;
      const body = this.template(n.name);
      if (!body) return st.fail(`template ${JSON.stringify(n.name)} not defined`);
      if (st.depth === maxExecDepth) return st.fail(`exceeded maximum template depth (${maxExecDepth})`);
      const newDot = pipe ? pipe(st, dot) : null;
      const { names, vals, tmpl } = st;
      st.names = ['$'];
      st.vals = [newDot];
      st.tmpl = n.name;
      st.depth++;
      let overflow = false;
      try {
        body(st, newDot);
      } catch (err) {
        // Go allows 100000 nested calls; the JS stack runs out sooner. Report it the same way.
        if (!isStackOverflow(err)) throw err;
        overflow = true;
      } finally {
        st.names = names;
        st.vals = vals;
        st.tmpl = tmpl;
        st.depth--;
      }
      if (overflow) {
        st.node = n;
        st.fail(`exceeded maximum template depth (${maxExecDepth})`);
      }
    };
  }

  private readonly pipes = new Map<PipeNode, Eval>();

  /** Returns the compiled pipeline (cached per node; parenthesized pipelines compile lazily). */
  pipeline(p: PipeNode): Eval {
    let c = this.pipes.get(p);
    if (c) return c;
    c = this.compilePipeline(p);
    this.pipes.set(p, c);
    return c;
  }

  private compilePipeline(p: PipeNode): Eval {
    const cmds = p.cmds.map((c) => this.command(c));
    const decl = p.decl.map((d) => d.ident[0]!);
    const isAssign = p.isAssign;
    if (cmds.length === 1 && decl.length === 0) {
      const cmd = cmds[0]!;
      return (st, dot) => {
        st.node = p;
        return dig(cmd(st, dot, MISSING));
      };
    }
    return (st, dot) => {
      st.node = p;
      let v: Final = MISSING;
      for (let i = 0; i < cmds.length; i++) v = dig(cmds[i]!(st, dot, v));
      const value = v === MISSING ? null : v;
      for (const name of decl) {
        if (isAssign) st.setVar(name, value);
        else st.push(name, value);
      }
      return value;
    };
  }

  private command(c: CommandNode): Cmd {
    const first = c.args[0]!;
    const args = c.args;
    switch (first.kind) {
      case 'field': {
        const ident = first.ident;
        return (st, dot, final) => {
          st.node = first;
          return evalFieldChain(st, dot, dot, first, ident, args, final);
        };
      }
      case 'chain':
        return (st, dot, final) => evalChain(st, dot, first, args, final);
      case 'identifier':
        return this.function(first, c);
      case 'pipe': {
        return (st, dot, final) => {
          notAFunction(st, args, final);
          return this.pipeline(first)(st, dot);
        };
      }
      case 'variable':
        return (st, dot, final) => evalVariable(st, dot, first, args, final);
      default:
    }
    if (first.kind === 'dot') {
      return (st, dot, final) => {
        st.node = first;
        notAFunction(st, args, final);
        return dot;
      };
    }
    // Constants: bool, number, string, nil.
    return (st, _dot, final) => {
      st.node = first;
      notAFunction(st, args, final);
      switch (first.kind) {
        case 'bool':
          return first.value;
        case 'number':
          return idealConstant(st, first);
        case 'string':
          return first.text;
        case 'nil':
          return st.fail('nil is not a command');
        default:
          return st.fail(`can't evaluate command ${JSON.stringify(nodeString(first))}`);
      }
    };
  }

  private readonly functions = new Map<AnyNode, Cmd>();

  /** Returns the compiled call of a function named by `id`; `errNode` is what a failed call points at. */
  function(id: ArgNode & { kind: 'identifier' }, errNode: AnyNode): Cmd {
    let c = this.functions.get(errNode);
    if (c) return c;
    c = this.compileFunction(id, errNode);
    this.functions.set(errNode, c);
    return c;
  }

  private compileFunction(id: ArgNode & { kind: 'identifier' }, errNode: AnyNode): Cmd {
    const name = id.ident;
    let fn = this.funcs.get(name);
    let isBuiltin = false;
    if (!fn) {
      fn = this.builtins.get(name);
      isBuiltin = true;
    }
    const argNodes = errNode.kind === 'command' ? errNode.args.slice(1) : [];
    if (!fn) {
      return (st) => {
        st.node = id;
        return st.fail(`${JSON.stringify(name)} is not a defined function`);
      };
    }
    const f = fn;
    // and/or short-circuit and call is told its callee's name: evalCall's special cases.
    const special = isBuiltin && (name === 'and' || name === 'or' || name === 'call');
    // Fast path: right arity, no pipeline value; arguments pre-compiled for their parameter types.
    if (!special && (f.variadic ? argNodes.length >= f.params.length : argNodes.length === f.params.length)) {
      const evals = argNodes.map((a, i) => this.argEval(a, i < f.params.length ? f.params[i]! : f.variadic!));
      const n = evals.length;
      return (st, dot, final) => {
        st.node = id;
        if (final !== MISSING) return evalCall(st, dot, f, isBuiltin, errNode, name, argNodes, final);
        const argv = new Array<GoValue>(n);
        for (let i = 0; i < n; i++) argv[i] = evals[i]!(st, dot);
        return invoke(st, f, argv, errNode, name);
      };
    }
    return (st, dot, final) => {
      st.node = id;
      return evalCall(st, dot, f, isBuiltin, errNode, name, argNodes, final);
    };
  }

  /** Compiles an argument for a known parameter type. */
  private argEval(a: ArgNode, typ: GoType): (st: State, dot: Val) => GoValue {
    switch (a.kind) {
      case 'string':
        if (typ === T.string || typ === T.any || typ.kind === 'reflect') {
          const text = a.text;
          return (st) => {
            st.node = a;
            return text;
          };
        }
        break;
      case 'variable':
        if (a.ident.length === 1) {
          const name = a.ident[0]!;
          return (st) => {
            st.node = a;
            return validateType(st, st.varValue(name), typ);
          };
        }
        break;
      case 'field': {
        const ident = a.ident;
        const self = [a];
        return (st, dot) => {
          st.node = a;
          return validateType(st, evalFieldChain(st, dot, dot, a, ident, self, MISSING), typ);
        };
      }
      default:
    }
    return (st, dot) => evalArg(st, dot, typ, a);
  }
}
