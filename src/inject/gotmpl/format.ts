/**
 * Go's fmt printing over the template value model: Sprint, Sprintln, Sprintf and the `%v` form
 * text/template prints actions with. Follows Go 1.2x fmt: maps print as `map[k:v ...]` with sorted
 * keys, slices as `[a b]`, nil as `<nil>`, float64 `%v` as strconv's shortest 'g' form (exponent
 * from 1e+06 up and below 1e-04), named types with a String method through that method, and
 * wrong verbs as `%!d(string=x)`.
 *
 * Not supported: the `%p`, `%b` and `%x` verbs on floats, `%#v` Go-syntax output, and pointer
 * addresses (pointers nested in printed values print as 0xc000000000).
 */

import {
  GoMap,
  GoNum,
  GoPtr,
  GoSlice,
  GoStruct,
  type GoValue,
  isFloatKind,
  isIntKind,
  isUintKind,
  sortedKeys,
  typeString,
  utf8Bytes,
} from './values.js';

// ---------------------------------------------------------------------------------------------
// Floating point: strconv.FormatFloat.

/** Decimal digits of a positive finite double: value = 0.d1d2d3... × 10^dp. */
interface Digits {
  d: string;
  dp: number;
}

/** Shortest digits that round-trip (strconv's shortest mode). */
function shortestDigits(x: number): Digits {
  // JS Number#toString also produces the shortest round-tripping digits (closest when tied).
  const s = String(x);
  const e = s.indexOf('e');
  let mant = e < 0 ? s : s.slice(0, e);
  const exp = e < 0 ? 0 : Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  let dp = dot < 0 ? mant.length : dot;
  mant = mant.replace('.', '');
  let lead = 0;
  while (lead < mant.length - 1 && mant[lead] === '0') lead++;
  dp -= lead;
  mant = mant.slice(lead);
  mant = mant.replace(/0+$/, '');
  if (mant === '') return { d: '', dp: 0 };
  return { d: mant, dp: dp + exp };
}

/** Exact decimal expansion of a positive finite double. */
function exactDigits(x: number): Digits {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const bexp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (bexp === 0) {
    e2 = -1074;
  } else {
    mant |= 1n << 52n;
    e2 = bexp - 1075;
  }
  if (mant === 0n) return { d: '', dp: 0 };
  let digits: string;
  let dp: number;
  if (e2 >= 0) {
    digits = (mant << BigInt(e2)).toString();
    dp = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-e2)).toString();
    dp = digits.length + e2;
  }
  digits = digits.replace(/0+$/, '');
  return { d: digits, dp };
}

/** Rounds exact digits to `nd` significant digits, half to even on exact ties (strconv decimal.Round). */
function roundDigits(x: Digits, nd: number): Digits {
  if (nd < 0) return { d: '', dp: x.dp };
  if (nd >= x.d.length) return x;
  const next = x.d.charCodeAt(nd) - 48;
  let up: boolean;
  if (next === 5 && nd + 1 === x.d.length) {
    up = nd > 0 && (x.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  } else {
    up = next >= 5;
  }
  let d = x.d.slice(0, nd);
  let dp = x.dp;
  if (up) {
    let i = d.length - 1;
    while (i >= 0 && d[i] === '9') i--;
    if (i < 0) {
      d = '1';
      dp++;
    } else {
      d = d.slice(0, i) + String.fromCharCode(d.charCodeAt(i) + 1);
    }
  }
  return { d: d.replace(/0+$/, ''), dp };
}

function digitAt(x: Digits, i: number): string {
  return i >= 0 && i < x.d.length ? x.d[i]! : '0';
}

function fmtE(x: Digits, prec: number, e: 'e' | 'E'): string {
  let s = digitAt(x, 0);
  if (prec > 0) {
    s += '.';
    for (let i = 1; i <= prec; i++) s += digitAt(x, i);
  }
  const exp = x.d === '' ? 0 : x.dp - 1;
  const ae = Math.abs(exp);
  return `${s}${e}${exp < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
}

function fmtF(x: Digits, prec: number): string {
  let s = '';
  if (x.dp > 0) {
    for (let i = 0; i < x.dp; i++) s += digitAt(x, i);
  } else {
    s = '0';
  }
  if (prec > 0) {
    s += '.';
    for (let i = 0; i < prec; i++) s += digitAt(x, x.dp + i);
  }
  return s;
}

/**
 * Returns strconv.FormatFloat(v, fmt, prec, 64) for fmt in e, E, f, F, g, G; prec -1 means the
 * shortest representation.
 */
export function formatFloat(v: number, fmt: string, prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const neg = v < 0 || Object.is(v, -0);
  const a = Math.abs(v);
  const shortest = prec < 0;
  let digs: Digits;
  if (shortest) {
    digs = a === 0 ? { d: '', dp: 0 } : shortestDigits(a);
  } else {
    const exact = a === 0 ? { d: '', dp: 0 } : exactDigits(a);
    switch (fmt) {
      case 'e':
      case 'E':
        digs = roundDigits(exact, prec + 1);
        break;
      case 'f':
      case 'F':
        digs = roundDigits(exact, exact.dp + prec);
        break;
      default:
        digs = roundDigits(exact, prec === 0 ? 1 : prec);
    }
  }
  const nd = Math.max(digs.d.length, 1);
  let out: string;
  switch (fmt) {
    case 'e':
    case 'E':
      out = fmtE(digs, shortest ? nd - 1 : prec, fmt);
      break;
    case 'f':
    case 'F':
      out = fmtF(digs, shortest ? Math.max(digs.d.length - digs.dp, 0) : prec);
      break;
    default: {
      let p = shortest ? digs.d.length : prec === 0 ? 1 : prec;
      let eprec = p;
      if (eprec > digs.d.length && digs.d.length >= digs.dp) eprec = digs.d.length;
      if (shortest) eprec = 6;
      const exp = digs.d === '' ? 0 : digs.dp - 1;
      if (exp < -4 || exp >= eprec) {
        if (p > digs.d.length) p = digs.d.length;
        out = fmtE(digs, Math.max(p - 1, 0), fmt === 'G' ? 'E' : 'e');
      } else {
        if (p > digs.dp) p = digs.d.length;
        out = fmtF(digs, Math.max(p - digs.dp, 0));
      }
    }
  }
  return neg ? `-${out}` : out;
}

// ---------------------------------------------------------------------------------------------
// strconv.Quote

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isPrint(cp: number): boolean {
  if (cp < 0x7f) return cp >= 0x20;
  return printable.test(String.fromCodePoint(cp));
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Returns strconv.Quote(s) (or with `'` as quote, QuoteRune's escaping). */
export function quoteString(s: string, quote = '"'): string {
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0xfffd;
    if (ch === quote || ch === '\\') {
      out += `\\${ch}`;
      continue;
    }
    if (cp >= 0x20 && cp < 0x7f) {
      out += ch;
      continue;
    }
    if (cp >= 0xd800 && cp <= 0xdfff) {
      out += '\ufffd';
      continue;
    }
    if (cp >= 0x80 && isPrint(cp)) {
      out += ch;
      continue;
    }
    switch (cp) {
      case 7:
        out += '\\a';
        break;
      case 8:
        out += '\\b';
        break;
      case 12:
        out += '\\f';
        break;
      case 10:
        out += '\\n';
        break;
      case 13:
        out += '\\r';
        break;
      case 9:
        out += '\\t';
        break;
      case 11:
        out += '\\v';
        break;
      default:
        if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
        else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
        else out += `\\U${hex(cp, 8)}`;
    }
  }
  return out + quote;
}

// ---------------------------------------------------------------------------------------------
// The printer (fmt's pp).

interface Flags {
  plus: boolean;
  /** %+v: struct field names (the + flag is not a sign for %v). */
  plusV: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  wid: number; // -1 when absent
  prec: number; // -1 when absent
}

const noFlags: Flags = { plus: false, plusV: false, minus: false, sharp: false, space: false, zero: false, wid: -1, prec: -1 };

function pad(s: string, f: Flags): string {
  if (f.wid < 0) return s;
  const n = f.wid - [...s].length;
  if (n <= 0) return s;
  if (f.minus) return s + ' '.repeat(n);
  return (f.zero ? '0' : ' ').repeat(n) + s;
}

class Printer {
  out = '';

  constructor(private f: Flags) {}

  setFlags(f: Flags): void {
    this.f = f;
  }

  private badVerb(verb: string, v: GoValue | undefined): void {
    this.out += `%!${verb}(`;
    if (v === undefined || v === null) {
      this.out += '<nil>';
    } else {
      this.out += `${typeString(v)}=`;
      const saved = this.f;
      this.f = noFlags;
      this.printArg(v, 'v', 0);
      this.f = saved;
    }
    this.out += ')';
  }

  private fmtString(s: string, verb: string, v: GoValue): void {
    const f = this.f;
    switch (verb) {
      case 'v':
      case 's':
        if (f.prec >= 0) s = [...s].slice(0, f.prec).join('');
        this.out += pad(s, f);
        return;
      case 'q':
        if (f.prec >= 0) s = [...s].slice(0, f.prec).join('');
        this.out += pad(quoteString(s), f);
        return;
      case 'x':
      case 'X':
        this.out += pad(hexBytes(utf8Bytes(f.prec >= 0 ? [...s].slice(0, f.prec).join('') : s), verb, f), f);
        return;
      default:
        this.badVerb(verb, v);
    }
  }

  private fmtBool(b: boolean, verb: string, v: GoValue): void {
    if (verb === 't' || verb === 'v') this.out += pad(b ? 'true' : 'false', this.f);
    else this.badVerb(verb, v);
  }

  private fmtInteger(n: number, unsigned: boolean, verb: string, v: GoValue): void {
    const f = this.f;
    let base = 10;
    let upper = false;
    switch (verb) {
      case 'v':
      case 'd':
        break;
      case 'b':
        base = 2;
        break;
      case 'o':
      case 'O':
        base = 8;
        break;
      case 'x':
        base = 16;
        break;
      case 'X':
        base = 16;
        upper = true;
        break;
      case 'c':
        this.out += pad(String.fromCodePoint(validRune(n)), f);
        return;
      case 'q':
        this.out += pad(quoteRune(n), f);
        return;
      case 'U': {
        let s = `U+${n.toString(16).toUpperCase().padStart(4, '0')}`;
        if (f.sharp && n >= 0 && n <= 0x10ffff && isPrint(n)) s += ` '${String.fromCodePoint(n)}'`;
        this.out += pad(s, f);
        return;
      }
      default:
        this.badVerb(verb, v);
        return;
    }
    const neg = n < 0 && !unsigned;
    let digits = Math.abs(n).toString(base);
    if (upper) digits = digits.toUpperCase();
    if (f.prec >= 0) {
      if (f.prec === 0 && n === 0) digits = '';
      digits = digits.padStart(f.prec, '0');
    }
    let prefix = '';
    if (f.sharp) {
      if (base === 8 && !digits.startsWith('0')) prefix = '0';
      else if (base === 16) prefix = upper ? '0X' : '0x';
      else if (base === 2) prefix = '0b';
    }
    if (verb === 'O') prefix = '0o';
    const sign = neg ? '-' : f.plus ? '+' : f.space ? ' ' : '';
    if (f.zero && !f.minus && f.wid > 0 && f.prec < 0) {
      // Zero padding goes between the sign and the digits; a 0x prefix comes on top.
      this.out += sign + prefix + digits.padStart(f.wid - sign.length, '0');
      return;
    }
    this.out += pad(sign + prefix + digits, { ...f, zero: false });
  }

  private fmtFloat(x: number, verb: string, v: GoValue): void {
    const f = this.f;
    let fmt: string;
    let prec = f.prec;
    switch (verb) {
      case 'v':
        fmt = 'g';
        break;
      case 'g':
      case 'G':
      case 'e':
      case 'E':
        fmt = verb;
        break;
      case 'f':
      case 'F':
        fmt = 'f';
        if (prec < 0) prec = 6;
        break;
      default:
        this.badVerb(verb, v);
        return;
    }
    if ((fmt === 'e' || fmt === 'E') && prec < 0) prec = 6;
    let num = formatFloat(x, fmt, prec);
    if (num[0] !== '-' && num[0] !== '+') num = `+${num}`;
    if (f.space && num[0] === '+' && !f.plus) num = ` ${num.slice(1)}`;
    if (num[1] === 'I' || num[1] === 'N') {
      if (num[1] === 'N' && !f.space && !f.plus) num = num.slice(1);
      this.out += pad(num, { ...f, zero: false });
      return;
    }
    if (f.plus || num[0] !== '+') {
      if (f.zero && !f.minus && f.wid > num.length) {
        this.out += num[0] + num.slice(1).padStart(f.wid - 1, '0');
        return;
      }
      this.out += pad(num, f);
      return;
    }
    const body = num.slice(1);
    if (f.zero && !f.minus && f.wid > body.length) {
      this.out += body.padStart(f.wid, '0');
      return;
    }
    this.out += pad(body, f);
  }

  private fmtNumber(v: GoNum, verb: string): void {
    const k = v.type.kind;
    if (isFloatKind(k)) this.fmtFloat(v.v, verb, v);
    else this.fmtInteger(v.v, isUintKind(k), verb, v);
  }

  /** fmt's printArg: `depth` 0 is a top-level operand. */
  printArg(v: GoValue, verb: string, depth: number): void {
    if (v === null) {
      // A nil interface inside a map, slice or struct prints as <nil> whatever the verb.
      if (depth > 0 || verb === 'v' || verb === 'T') this.out += pad('<nil>', this.f);
      else this.badVerb(verb, undefined);
      return;
    }
    if (verb === 'T') {
      this.out += pad(typeString(v), this.f);
      return;
    }
    switch (typeof v) {
      case 'string':
        this.fmtString(v, verb, v);
        return;
      case 'boolean':
        this.fmtBool(v, verb, v);
        return;
      case 'number':
        this.fmtInteger(v, false, verb, v);
        return;
      default:
    }
    const t = v.type;
    if (t.stringer && (verb === 'v' || verb === 's' || verb === 'x' || verb === 'X' || verb === 'q')) {
      if (v instanceof GoPtr && v.elem === null) {
        this.out += pad('<nil>', this.f);
        return;
      }
      this.fmtString(t.stringer(v), verb, v);
      return;
    }
    if (v instanceof GoNum) {
      this.fmtNumber(v, verb);
      return;
    }
    if (v instanceof GoMap) {
      this.out += 'map[';
      if (v.m) {
        let first = true;
        for (const k of sortedKeys(v.m)) {
          if (!first) this.out += ' ';
          first = false;
          this.printArg(k, verb, depth + 1);
          this.out += ':';
          this.printArg(v.m.get(k) ?? null, verb, depth + 1);
        }
      }
      this.out += ']';
      return;
    }
    if (v instanceof GoSlice) {
      if (t.elem?.kind === 'uint8' && (verb === 's' || verb === 'q' || verb === 'x' || verb === 'X')) {
        const bytes = Uint8Array.from((v.a ?? []).map((b) => (typeof b === 'number' ? b : b instanceof GoNum ? b.v : 0)));
        if (verb === 'x' || verb === 'X') this.out += pad(hexBytes(bytes, verb, this.f), this.f);
        else this.fmtString(new TextDecoder().decode(bytes), verb, v);
        return;
      }
      this.out += '[';
      (v.a ?? []).forEach((x, i) => {
        if (i > 0) this.out += ' ';
        this.printArg(x, verb, depth + 1);
      });
      this.out += ']';
      return;
    }
    if (v instanceof GoStruct) {
      this.out += '{';
      const fields = t.fields ?? [];
      v.f.forEach((x, i) => {
        if (i > 0) this.out += ' ';
        if (this.f.plusV) this.out += `${fields[i]?.name ?? ''}:`;
        this.printArg(x, verb, depth + 1);
      });
      this.out += '}';
      return;
    }
    // Pointers.
    if (v.elem === null) {
      if (verb === 'v') this.out += pad('<nil>', this.f);
      else if (verb === 'd' || verb === 'x' || verb === 'X' || verb === 'o' || verb === 'b') this.fmtInteger(0, true, verb, v);
      else this.badVerb(verb, v);
      return;
    }
    if (depth === 0 && (v.elem instanceof GoStruct || v.elem instanceof GoMap || v.elem instanceof GoSlice)) {
      this.out += '&';
      this.printArg(v.elem, verb, depth + 1);
      return;
    }
    if (verb === 'v') this.out += pad('0xc000000000', this.f);
    else this.badVerb(verb, v);
  }
}

function validRune(n: number): number {
  return n < 0 || n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff) ? 0xfffd : n;
}

function quoteRune(n: number): string {
  return quoteString(String.fromCodePoint(validRune(n)), "'");
}

function hexBytes(b: Uint8Array, verb: string, f: Flags): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    if (i > 0 && f.space) s += ' ';
    if (f.sharp && (i === 0 || f.space)) s += verb === 'X' ? '0X' : '0x';
    s += hex(b[i] ?? 0, 2);
  }
  return verb === 'X' ? s.toUpperCase() : s;
}

// ---------------------------------------------------------------------------------------------
// Public entry points.

/** Returns fmt.Sprint(v): the `%v` form of one value, as a template action prints it. */
export function formatValue(v: GoValue): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      if (v instanceof GoNum && v.type.kind === 'float64') return formatFloat(v.v, 'g', -1);
      if (v instanceof GoNum && isIntKind(v.type.kind) && !v.type.stringer) return String(v.v);
  }
  const p = new Printer(noFlags);
  p.printArg(v, 'v', 0);
  return p.out;
}

/** Returns fmt.Sprint(args...): operands joined, with a space between two operands when neither is a string. */
export function sprint(args: readonly GoValue[]): string {
  let out = '';
  let prevString = false;
  args.forEach((a, i) => {
    const isString = typeof a === 'string';
    if (i > 0 && !isString && !prevString) out += ' ';
    out += formatValue(a);
    prevString = isString;
  });
  return out;
}

/** Returns fmt.Sprintln(args...): operands separated by spaces, then a newline. */
export function sprintln(args: readonly GoValue[]): string {
  return `${args.map(formatValue).join(' ')}\n`;
}

/** Returns fmt.Sprintf(format, args...), with Go's `%!verb(type=value)` and `%!(EXTRA ...)` error forms. */
export function sprintf(format: string, args: readonly GoValue[]): string {
  const p = new Printer(noFlags);
  let argNum = 0;
  let reordered = false;
  const end = format.length;
  let i = 0;
  while (i < end) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      p.out += format.slice(i);
      break;
    }
    p.out += format.slice(i, pct);
    i = pct + 1;
    const f: Flags = { ...noFlags };
    // Flags.
    for (; i < end; i++) {
      const c = format[i];
      if (c === '#') f.sharp = true;
      else if (c === '0') f.zero = !f.minus;
      else if (c === '+') f.plus = true;
      else if (c === '-') {
        f.minus = true;
        f.zero = false;
      } else if (c === ' ') f.space = true;
      else break;
    }
    // Argument index, width.
    const argIndex = (): void => {
      if (format[i] !== '[') return;
      const close = format.indexOf(']', i);
      if (close < 0) return;
      const n = Number(format.slice(i + 1, close));
      if (Number.isInteger(n) && n >= 1) {
        argNum = n - 1;
        reordered = true;
      }
      i = close + 1;
    };
    argIndex();
    if (format[i] === '*') {
      i++;
      const w = args[argNum++];
      if (typeof w === 'number' || (w instanceof GoNum && !isFloatKind(w.type.kind))) {
        f.wid = typeof w === 'number' ? w : w.v;
        if (f.wid < 0) {
          f.minus = true;
          f.zero = false;
          f.wid = -f.wid;
        }
      } else {
        p.out += '%!(BADWIDTH)';
      }
    } else {
      const start = i;
      while (i < end && format[i]! >= '0' && format[i]! <= '9') i++;
      if (i > start) f.wid = Number(format.slice(start, i));
    }
    if (format[i] === '.') {
      i++;
      argIndex();
      if (format[i] === '*') {
        i++;
        const pr = args[argNum++];
        if (typeof pr === 'number' || (pr instanceof GoNum && !isFloatKind(pr.type.kind))) {
          f.prec = typeof pr === 'number' ? pr : pr.v;
          if (f.prec < 0) f.prec = -1;
        } else {
          p.out += '%!(BADPREC)';
        }
      } else {
        const start = i;
        while (i < end && format[i]! >= '0' && format[i]! <= '9') i++;
        f.prec = i > start ? Number(format.slice(start, i)) : 0;
      }
    }
    argIndex();
    if (i >= end) {
      p.out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) ?? 0xfffd);
    i += verb.length;
    if (verb === '%') {
      p.out += '%';
      continue;
    }
    if (argNum >= args.length) {
      p.out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argNum++] ?? null;
    if (verb === 'v' && f.plus) {
      f.plus = false;
      f.plusV = true;
    }
    p.setFlags(f);
    p.printArg(arg, verb, 0);
  }
  if (!reordered && argNum < args.length) {
    p.setFlags(noFlags);
    p.out += '%!(EXTRA ';
    args.slice(argNum).forEach((a, k) => {
      if (k > 0) p.out += ', ';
      if (a === null) p.out += '<nil>';
      else {
        p.out += `${typeString(a)}=`;
        p.printArg(a, 'v', 0);
      }
    });
    p.out += ')';
  }
  return p.out;
}

