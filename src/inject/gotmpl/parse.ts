/**
 * The parser of Go text/template (text/template/parse semantics): builds one tree per template
 * (the top level plus every `{{define}}` and `{{block}}`), checks variables and function names
 * as Go does, and reports errors with Go's wording and line (`template: inject:3: unexpected
 * "}" in operand`). Also supports `{{else with}}` (Go 1.23) and bounds the nesting of
 * parenthesized pipelines as Go 1.25 does.
 */

import { quoteString } from './format.js';
import { Tok, type Token, lex } from './lex.js';

/** Node positions are JS string offsets into the template text. */
interface Base {
  readonly pos: number;
}

/** Literal text between actions. */
export interface TextNode extends Base {
  readonly kind: 'text';
  readonly text: string;
}
/** `{{pipeline}}`: prints the value unless the pipeline declares variables. */
export interface ActionNode extends Base {
  readonly kind: 'action';
  readonly line: number;
  readonly pipe: PipeNode;
}
/** `{{if}}`, `{{range}}` and `{{with}}`, with an optional `{{else}}` list. */
export interface BranchNode extends Base {
  readonly kind: 'if' | 'range' | 'with';
  readonly line: number;
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList: ListNode | null;
}
/** `{{template "name" pipeline}}` (also what `{{block}}` leaves in place). */
export interface TemplateNode extends Base {
  readonly kind: 'template';
  readonly line: number;
  readonly name: string;
  readonly pipe: PipeNode | null;
}
/** `{{break}}` or `{{continue}}` inside a range. */
export interface BreakNode extends Base {
  readonly kind: 'break' | 'continue';
}
/** A sequence of statements. */
export interface ListNode extends Base {
  readonly kind: 'list';
  readonly nodes: Node[];
}
/** Statements: what a template body is a list of. */
export type Node = TextNode | ActionNode | BranchNode | TemplateNode | BreakNode | ListNode;

/** A pipeline: optional `$x :=`/`$x =` declarations and commands joined by `|`. */
export interface PipeNode extends Base {
  readonly kind: 'pipe';
  readonly line: number;
  isAssign: boolean;
  readonly decl: VariableNode[];
  readonly cmds: CommandNode[];
}
/** One command of a pipeline: operands separated by spaces. */
export interface CommandNode extends Base {
  readonly kind: 'command';
  readonly args: ArgNode[];
}
/** `.A.B`: fields of dot. */
export interface FieldNode extends Base {
  readonly kind: 'field';
  readonly ident: string[];
}
/** `$x.A.B`: a variable and optional fields. */
export interface VariableNode extends Base {
  readonly kind: 'variable';
  readonly ident: string[];
}
/** `(pipeline).A.B`: fields of a parenthesized value. */
export interface ChainNode extends Base {
  readonly kind: 'chain';
  readonly node: ArgNode;
  readonly field: string[];
}
/** A function name. */
export interface IdentifierNode extends Base {
  readonly kind: 'identifier';
  readonly ident: string;
}
/** `.` */
export interface DotNode extends Base {
  readonly kind: 'dot';
}
/** The untyped `nil`. */
export interface NilNode extends Base {
  readonly kind: 'nil';
}
/** `true` / `false`. */
export interface BoolNode extends Base {
  readonly kind: 'bool';
  readonly value: boolean;
}
/** A quoted or raw string; `text` is unquoted. */
export interface StringNode extends Base {
  readonly kind: 'string';
  readonly quoted: string;
  readonly text: string;
}
/** A number or character constant, with the Go types it can be (int, uint, float). */
export interface NumberNode extends Base {
  readonly kind: 'number';
  readonly text: string;
  readonly isInt: boolean;
  readonly isUint: boolean;
  readonly isFloat: boolean;
  readonly int: number;
  readonly float: number;
}
/** Operands of a command. */
export type ArgNode =
  | PipeNode
  | FieldNode
  | VariableNode
  | ChainNode
  | IdentifierNode
  | DotNode
  | NilNode
  | BoolNode
  | StringNode
  | NumberNode;

/** Any node; what execution errors point at. */
export type AnyNode = Node | ArgNode | CommandNode;

/** A parse tree: one template. */
export interface Tree {
  readonly name: string;
  readonly root: ListNode;
}

/**
 * How deeply parenthesized pipelines may nest: Go's maxStackDepth (Go 1.25), past which Go
 * reports "max expression depth exceeded" rather than exhausting its stack.
 */
export const maxExpressionDepth = 10000;

/** Whether an error is the JS engine running out of stack (kept cheap: it runs with little stack left). */
export function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && err.message.includes('call stack');
}

/** Thrown for syntax errors; `message` is Go's full text (`template: inject:3: ...`). */
export class ParseError extends Error {
  override name = 'ParseError';
  constructor(
    message: string,
    readonly line: number,
    readonly pos: number,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// String forms of nodes, as Go's Node.String() (used in error contexts).

/** Returns Go's String() of a node. */
export function nodeString(n: AnyNode): string {
  switch (n.kind) {
    case 'text':
      return n.text;
    case 'action':
      return `{{${nodeString(n.pipe)}}}`;
    case 'if':
    case 'range':
    case 'with':
      return `{{${n.kind} ${nodeString(n.pipe)}}}${nodeString(n.list)}${n.elseList ? `{{else}}${nodeString(n.elseList)}` : ''}{{end}}`;
    case 'template':
      return `{{template ${quoteString(n.name)}${n.pipe ? ` ${nodeString(n.pipe)}` : ''}}}`;
    case 'break':
      return '{{break}}';
    case 'continue':
      return '{{continue}}';
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'pipe': {
      const decl = n.decl.length > 0 ? `${n.decl.map(nodeString).join(', ')} ${n.isAssign ? '=' : ':='} ` : '';
      return decl + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.kind === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'field':
      return n.ident.map((i) => `.${i}`).join('');
    case 'variable':
      return n.ident.join('.');
    case 'chain':
      return (n.node.kind === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node)) + n.field.map((f) => `.${f}`).join('');
    case 'identifier':
      return n.ident;
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return n.value ? 'true' : 'false';
    case 'string':
      return n.quoted;
    case 'number':
      return n.text;
  }
}

/** Go's %q of a token in "unexpected" messages. */
function tokenString(t: Token): string {
  switch (t.typ) {
    case Tok.EOF:
      return 'EOF';
    case Tok.Error:
      return t.val;
    default:
      if (t.typ >= Tok.Block) return `<${t.val}>`;
      if ([...t.val].length > 10) return `${goQuote([...t.val].slice(0, 10).join(''))}...`;
      return goQuote(t.val);
  }
}

function goQuote(s: string): string {
  return quoteString(s);
}

// ---------------------------------------------------------------------------------------------
// strconv.Unquote and number parsing.

const simpleEscapes: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

/** strconv.Unquote for "..." and `...` literals; throws "invalid syntax". */
function unquote(q: string): string {
  if (q.length < 2) throw new Error('invalid syntax');
  if (q[0] === '`') {
    if (q[q.length - 1] !== '`' || q.indexOf('`', 1) !== q.length - 1) throw new Error('invalid syntax');
    return q.slice(1, -1).replaceAll('\r', '');
  }
  return unquoteEscaped(q, '"');
}

function unquoteEscaped(q: string, quote: string): string {
  if (q[0] !== quote || q[q.length - 1] !== quote) throw new Error('invalid syntax');
  const body = q.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === quote || c === '\n') throw new Error('invalid syntax');
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === undefined) throw new Error('invalid syntax');
    if (e in simpleEscapes) {
      out += simpleEscapes[e];
      continue;
    }
    if (e === quote) {
      out += e;
      continue;
    }
    let digits = 0;
    let base = 16;
    switch (e) {
      case 'x':
        digits = 2;
        break;
      case 'u':
        digits = 4;
        break;
      case 'U':
        digits = 8;
        break;
      default:
        if (e >= '0' && e <= '7') {
          digits = 3;
          base = 8;
          i--;
        } else {
          throw new Error('invalid syntax');
        }
    }
    const hex = body.slice(i + 1, i + 1 + digits);
    if (hex.length !== digits || !(base === 16 ? /^[0-9a-fA-F]+$/ : /^[0-7]+$/).test(hex)) throw new Error('invalid syntax');
    const v = parseInt(hex, base);
    i += digits;
    if ((e === 'u' || e === 'U') && (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))) throw new Error('invalid syntax');
    if (base === 8 && v > 255) throw new Error('invalid syntax');
    // \x and octal escapes are bytes; bytes >= 0x80 cannot be kept apart from UTF-8 here.
    out += (e === 'x' || base === 8) && v >= 0x80 ? '\ufffd' : String.fromCodePoint(v);
  }
  return out;
}

/** strconv.ParseInt/ParseUint with base 0 (prefixes, underscores); returns undefined on syntax error. */
function parseGoInt(text: string): bigint | undefined {
  let s = text;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  let base = 10;
  let digits = s;
  let prefixed = false;
  if (/^0[xX]/.test(s)) {
    base = 16;
    digits = s.slice(2);
    prefixed = true;
  } else if (/^0[bB]/.test(s)) {
    base = 2;
    digits = s.slice(2);
    prefixed = true;
  } else if (/^0[oO]/.test(s)) {
    base = 8;
    digits = s.slice(2);
    prefixed = true;
  } else if (/^0\d/.test(s) || s === '0_') {
    base = 8;
    digits = s.slice(1);
    prefixed = true;
  }
  // Underscores only between digits (or after a prefix).
  if (digits.includes('_')) {
    if (!new RegExp(`^${prefixed ? '_?' : ''}[0-9a-fA-F]+(_[0-9a-fA-F]+)*$`).test(digits)) return undefined;
    digits = digits.replaceAll('_', '');
  }
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[base as 2 | 8 | 10 | 16];
  if (!valid.test(digits)) return undefined;
  let v = 0n;
  const b = BigInt(base);
  for (const d of digits.toLowerCase()) v = v * b + BigInt(parseInt(d, 16));
  return neg ? -v : v;
}

const maxInt64 = (1n << 63n) - 1n;
const minInt64 = -(1n << 63n);
const maxUint64 = (1n << 64n) - 1n;

function newNumber(pos: number, text: string, typ: Tok): NumberNode {
  if (typ === Tok.CharConstant) {
    const r = unquoteEscaped(text, "'");
    if ([...r].length !== 1) throw new Error(`malformed character constant: ${text}`);
    const cp = r.codePointAt(0) ?? 0;
    return { kind: 'number', pos, text, isInt: true, isUint: true, isFloat: true, int: cp, float: cp };
  }
  if (typ === Tok.Complex || text.endsWith('i')) throw new Error(`complex constants are not supported: ${goQuote(text)}`);
  let isInt = false;
  let isUint = false;
  let isFloat = false;
  let int = 0;
  let float = 0;
  const n = parseGoInt(text);
  if (n !== undefined) {
    if (n >= 0n && n <= maxUint64) isUint = true;
    if (n >= minInt64 && n <= maxInt64) {
      isInt = true;
      if (n === 0n) isUint = true;
    }
  }
  if (n !== undefined && (isInt || isUint)) {
    int = Number(n);
    isFloat = true;
    float = Number(n);
  } else {
    const f = parseGoFloat(text);
    if (f !== undefined) {
      if (!/[.eEpP]/.test(text)) throw new Error(`integer overflow: ${goQuote(text)}`);
      isFloat = true;
      float = f;
      if (Number.isInteger(f) && Math.abs(f) < 2 ** 63) {
        isInt = true;
        int = f;
        if (f >= 0) isUint = true;
      }
    }
  }
  if (!isInt && !isUint && !isFloat) throw new Error(`illegal number syntax: ${goQuote(text)}`);
  return { kind: 'number', pos, text, isInt, isUint, isFloat, int, float };
}

/** strconv.ParseFloat for decimal and hex floats with underscores; undefined on syntax error. */
function parseGoFloat(text: string): number | undefined {
  let s = text;
  if (s.includes('_')) {
    if (!/^[+-]?(0[xX])?_?[0-9a-fA-F]+(_[0-9a-fA-F]+)*(\.[0-9a-fA-F]*(_[0-9a-fA-F]+)*)?([eEpP][+-]?\d+(_\d+)*)?$/.test(s)) return undefined;
    s = s.replaceAll('_', '');
  }
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const f = Number(s);
    return Number.isFinite(f) ? f : undefined;
  }
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(s);
  if (hex && (hex[2] || hex[3])) {
    const intPart = hex[2] ?? '';
    const frac = hex[3] ?? '';
    const m = parseInt(intPart + frac || '0', 16);
    const f = m * 2 ** (Number(hex[4]) - 4 * frac.length);
    return hex[1] === '-' ? -f : f;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The parser.

class Parser {
  private i = 0;
  private furthest = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private parenDepth = 0;
  private actionLine = 0;
  private readonly tokens: Token[];

  constructor(
    private readonly name: string,
    text: string,
    private readonly hasFunction: (name: string) => boolean,
    private readonly trees: Map<string, Tree>,
    private readonly maxParenDepth: number,
  ) {
    this.tokens = lex(text);
  }

  private fetch(i: number): Token {
    const t = this.tokens[Math.min(i, this.tokens.length - 1)]!;
    if (i > this.furthest) this.furthest = Math.min(i, this.tokens.length - 1);
    return t;
  }
  private next(): Token {
    return this.fetch(this.i++);
  }
  private backup(): void {
    this.i--;
  }
  private peek(): Token {
    return this.fetch(this.i);
  }
  private nextNonSpace(): Token {
    let t: Token;
    do t = this.next();
    while (t.typ === Tok.Space);
    return t;
  }
  private peekNonSpace(): Token {
    const save = this.i;
    const t = this.nextNonSpace();
    this.i = save;
    // Go's peekNonSpace consumes the spaces before the token; so does this.
    while (this.tokens[this.i]?.typ === Tok.Space) this.i++;
    return t;
  }

  errorf(msg: string, pos?: number): never {
    const line = this.fetch(this.furthest).line;
    throw new ParseError(`template: ${this.name}:${line}: ${msg}`, line, pos ?? this.fetch(this.furthest).pos);
  }

  /**
   * Reports that the parser ran out of JS stack. It recurses once per nesting level (of
   * parentheses, and of if/range/with blocks), and the JS stack runs out after a few thousand
   * levels where Go's growable stack does not. Running out of stack is what Go's bound on
   * parentheses exists to report, so this reports Go's error, at the parenthesis of the action
   * being parsed that goes past the bound, which is where Go reports it. When the action stays
   * within the bound, Go would accept the template; it is reported at the furthest token read
   * instead of escaping as a RangeError.
   */
  outOfStack(): never {
    let i = this.furthest;
    while (i > 0 && this.tokens[i]!.typ !== Tok.LeftDelim) i--;
    for (let depth = 0; i < this.tokens.length; i++) {
      const t = this.tokens[i]!;
      if (t.typ === Tok.RightDelim || t.typ === Tok.Error || t.typ === Tok.EOF) break;
      if (t.typ === Tok.RightParen) depth--;
      if (t.typ === Tok.LeftParen && ++depth > this.maxParenDepth) {
        this.furthest = i;
        this.errorf('max expression depth exceeded', t.pos);
      }
    }
    this.errorf('max expression depth exceeded');
  }

  private unexpected(token: Token, context: string): never {
    if (token.typ === Tok.Error) {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== token.line) {
        extra = ` in action started at ${this.name}:${this.actionLine}`;
        if (token.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      this.errorf(`${token.val}${extra}`, token.pos);
    }
    this.errorf(`unexpected ${tokenString(token)} in ${context}`, token.pos);
  }

  private expect(typ: Tok, context: string): Token {
    const t = this.nextNonSpace();
    if (t.typ !== typ) this.unexpected(t, context);
    return t;
  }

  private add(tree: Tree): void {
    const old = this.trees.get(tree.name);
    if (!old || isEmptyTree(old.root)) {
      this.trees.set(tree.name, tree);
      return;
    }
    if (!isEmptyTree(tree.root)) this.errorf(`template: multiple definition of template ${goQuote(tree.name)}`);
  }

  /** Parses the top-level template. */
  parse(): void {
    const root = this.newList(this.peek().pos);
    while (this.peek().typ !== Tok.EOF) {
      if (this.peek().typ === Tok.LeftDelim) {
        const save = this.i;
        this.next();
        if (this.nextNonSpace().typ === Tok.Define) {
          this.parseDefinition();
          continue;
        }
        this.i = save;
      }
      const n = this.textOrAction();
      if (n === 'end' || n === 'else') this.errorf(`unexpected {{${n}}}`);
      root.nodes.push(n);
    }
    this.add({ name: this.name, root });
  }

  private withFreshScope<R>(f: () => R): R {
    const vars = this.vars;
    const depth = this.rangeDepth;
    this.vars = ['$'];
    this.rangeDepth = 0;
    try {
      return f();
    } finally {
      this.vars = vars;
      this.rangeDepth = depth;
    }
  }

  private parseDefinition(): void {
    const context = 'define clause';
    const t = this.nextNonSpace();
    if (t.typ !== Tok.String && t.typ !== Tok.RawString) this.unexpected(t, context);
    const name = this.unquoteOrFail(t.val);
    this.expect(Tok.RightDelim, context);
    this.withFreshScope(() => {
      const [root, end] = this.itemList();
      if (end !== 'end') this.errorf(`unexpected {{${end}}} in ${context}`);
      this.add({ name, root });
    });
  }

  private unquoteOrFail(q: string): string {
    try {
      return unquote(q);
    } catch (err) {
      this.errorf((err as Error).message);
    }
  }

  private newList(pos: number): ListNode {
    return { kind: 'list', pos, nodes: [] };
  }

  /** Items up to {{end}} or {{else}}, which is returned as the second element. */
  private itemList(): [ListNode, 'end' | 'else'] {
    const list = this.newList(this.peekNonSpace().pos);
    while (this.peekNonSpace().typ !== Tok.EOF) {
      const n = this.textOrAction();
      if (n === 'end' || n === 'else') return [list, n];
      list.nodes.push(n);
    }
    this.errorf('unexpected EOF');
  }

  private textOrAction(): Node | 'end' | 'else' {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case Tok.Text:
        return { kind: 'text', pos: t.pos, text: t.val };
      case Tok.LeftDelim:
        this.actionLine = t.line;
        try {
          return this.action();
        } finally {
          this.actionLine = 0;
        }
      default:
        this.unexpected(t, 'input');
    }
  }

  private action(): Node | 'end' | 'else' {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case Tok.Block:
        return this.blockControl();
      case Tok.Break:
      case Tok.Continue: {
        const word = t.typ === Tok.Break ? 'break' : 'continue';
        const next = this.nextNonSpace();
        if (next.typ !== Tok.RightDelim) this.unexpected(next, `{{${word}}}`);
        if (this.rangeDepth === 0) this.errorf(`{{${word}}} outside {{range}}`);
        return { kind: word, pos: t.pos };
      }
      case Tok.Else: {
        const peek = this.peekNonSpace();
        if (peek.typ === Tok.If || peek.typ === Tok.With) return 'else';
        this.expect(Tok.RightDelim, 'else');
        return 'else';
      }
      case Tok.End:
        this.expect(Tok.RightDelim, 'end');
        return 'end';
      case Tok.If:
        return this.control('if');
      case Tok.Range:
        return this.control('range');
      case Tok.With:
        return this.control('with');
      case Tok.Template:
        return this.templateControl();
      default:
    }
    this.backup();
    const token = this.peek();
    return { kind: 'action', pos: token.pos, line: token.line, pipe: this.pipeline('command', Tok.RightDelim) };
  }

  private control(kind: 'if' | 'range' | 'with'): BranchNode {
    const mark = this.vars.length;
    try {
      const pipe = this.pipeline(kind, Tok.RightDelim);
      if (kind === 'range') this.rangeDepth++;
      const [list, next] = this.itemList();
      if (kind === 'range') this.rangeDepth--;
      let elseList: ListNode | null = null;
      if (next === 'else') {
        const peek = this.peek();
        if (kind === 'if' && peek.typ === Tok.If) {
          // {{else if x}} is {{else}}{{if x}}...{{end}}{{end}} with the inner {{end}} shared.
          this.next();
          elseList = this.newList(peek.pos);
          elseList.nodes.push(this.control('if'));
        } else if (kind === 'with' && peek.typ === Tok.With) {
          this.next();
          elseList = this.newList(peek.pos);
          elseList.nodes.push(this.control('with'));
        } else {
          const [list2, end] = this.itemList();
          if (end !== 'end') this.errorf(`expected end; found {{${end}}}`);
          elseList = list2;
        }
      }
      return { kind, pos: pipe.pos, line: pipe.line, pipe, list, elseList };
    } finally {
      this.vars.length = mark;
    }
  }

  private templateControl(): TemplateNode {
    const context = 'template clause';
    const token = this.nextNonSpace();
    const name = this.templateName(token, context);
    let pipe: PipeNode | null = null;
    if (this.nextNonSpace().typ !== Tok.RightDelim) {
      this.backup();
      pipe = this.pipeline(context, Tok.RightDelim);
    }
    return { kind: 'template', pos: token.pos, line: token.line, name, pipe };
  }

  private blockControl(): TemplateNode {
    const context = 'block clause';
    const token = this.nextNonSpace();
    const name = this.templateName(token, context);
    const pipe = this.pipeline(context, Tok.RightDelim);
    this.withFreshScope(() => {
      const [root, end] = this.itemList();
      if (end !== 'end') this.errorf(`unexpected {{${end}}} in ${context}`);
      this.add({ name, root });
    });
    return { kind: 'template', pos: token.pos, line: token.line, name, pipe };
  }

  private templateName(token: Token, context: string): string {
    if (token.typ === Tok.String || token.typ === Tok.RawString) return this.unquoteOrFail(token.val);
    this.unexpected(token, context);
  }

  private pipeline(context: string, end: Tok): PipeNode {
    const first = this.peekNonSpace();
    const pipe: PipeNode = { kind: 'pipe', pos: first.pos, line: first.line, isAssign: false, decl: [], cmds: [] };
    // Declarations or assignments.
    for (;;) {
      const v = this.peekNonSpace();
      if (v.typ !== Tok.Variable) break;
      const save = this.i;
      this.next();
      const next = this.peekNonSpace();
      if (next.typ === Tok.Assign || next.typ === Tok.Declare) {
        pipe.isAssign = next.typ === Tok.Assign;
        this.nextNonSpace();
        pipe.decl.push({ kind: 'variable', pos: v.pos, ident: v.val.split('.') });
        this.vars.push(v.val);
        break;
      }
      if (next.typ === Tok.Char && next.val === ',') {
        this.nextNonSpace();
        pipe.decl.push({ kind: 'variable', pos: v.pos, ident: v.val.split('.') });
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const after = this.peekNonSpace().typ;
          if (after === Tok.Variable || after === Tok.RightDelim || after === Tok.RightParen) continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      }
      this.i = save;
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.typ === end) {
        if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
        pipe.cmds.slice(1).forEach((c, i) => {
          const k = c.args[0]?.kind;
          if (k === 'bool' || k === 'dot' || k === 'nil' || k === 'number' || k === 'string') {
            this.errorf(`non executable command in pipeline stage ${i + 2}`);
          }
        });
        return pipe;
      }
      switch (t.typ) {
        case Tok.Bool:
        case Tok.CharConstant:
        case Tok.Complex:
        case Tok.Dot:
        case Tok.Field:
        case Tok.Identifier:
        case Tok.Number:
        case Tok.Nil:
        case Tok.RawString:
        case Tok.String:
        case Tok.Variable:
        case Tok.LeftParen:
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private command(): CommandNode {
    const cmd: CommandNode = { kind: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.typ === Tok.Space) continue;
      if (t.typ === Tok.RightDelim || t.typ === Tok.RightParen) this.backup();
      else if (t.typ !== Tok.Pipe) this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): ArgNode | null {
    const node = this.term();
    if (!node) return null;
    if (this.peek().typ !== Tok.Field) return node;
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().typ === Tok.Field) fields.push(this.next().val.slice(1));
    switch (node.kind) {
      case 'field':
        return { kind: 'field', pos, ident: [...node.ident, ...fields] };
      case 'variable':
        return { kind: 'variable', pos, ident: [...node.ident, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        this.errorf(`unexpected . after term ${goQuote(nodeString(node))}`);
      // falls through (errorf never returns)
      default:
        return { kind: 'chain', pos, node, field: fields };
    }
  }

  private term(): ArgNode | null {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case Tok.Identifier:
        if (!this.hasFunction(t.val)) this.errorf(`function ${goQuote(t.val)} not defined`);
        return { kind: 'identifier', pos: t.pos, ident: t.val };
      case Tok.Dot:
        return { kind: 'dot', pos: t.pos };
      case Tok.Nil:
        return { kind: 'nil', pos: t.pos };
      case Tok.Variable: {
        const ident = t.val.split('.');
        if (!this.vars.includes(ident[0]!)) this.errorf(`undefined variable ${goQuote(ident[0]!)}`);
        return { kind: 'variable', pos: t.pos, ident };
      }
      case Tok.Field:
        return { kind: 'field', pos: t.pos, ident: t.val.slice(1).split('.') };
      case Tok.Bool:
        return { kind: 'bool', pos: t.pos, value: t.val === 'true' };
      case Tok.CharConstant:
      case Tok.Complex:
      case Tok.Number:
        try {
          return newNumber(t.pos, t.val, t.typ);
        } catch (err) {
          this.errorf((err as Error).message);
        }
      // falls through (errorf never returns)
      case Tok.LeftParen:
        if (this.parenDepth >= this.maxParenDepth) this.errorf('max expression depth exceeded', t.pos);
        this.parenDepth++;
        try {
          return this.pipeline('parenthesized pipeline', Tok.RightParen);
        } finally {
          this.parenDepth--;
        }
      case Tok.String:
      case Tok.RawString:
        return { kind: 'string', pos: t.pos, quoted: t.val, text: this.unquoteOrFail(t.val) };
      default:
        this.backup();
        return null;
    }
  }
}

/** Whether a tree holds nothing but white space text (parse.IsEmptyTree). */
function isEmptyTree(n: Node): boolean {
  switch (n.kind) {
    case 'list':
      return n.nodes.every(isEmptyTree);
    case 'text':
      return n.text.trim() === '';
    default:
      return false;
  }
}

/**
 * Parses a template and the templates it defines. Returns the trees by name; throws
 * {@link ParseError} with Go's message.
 *
 * `maxParenDepth` is Go's bound on nested parenthesized pipelines; it is a parameter only so that
 * the bound itself can be exercised at small depths, as Go's own tests lower maxStackDepth.
 */
export function parse(
  name: string,
  text: string,
  hasFunction: (name: string) => boolean,
  maxParenDepth: number = maxExpressionDepth,
): Map<string, Tree> {
  const trees = new Map<string, Tree>();
  const parser = new Parser(name, text, hasFunction, trees, maxParenDepth);
  try {
    parser.parse();
  } catch (err) {
    if (!isStackOverflow(err)) throw err;
    parser.outOfStack();
  }
  return trees;
}
