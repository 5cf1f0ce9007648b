/**
 * The lexer of Go text/template (text/template/parse/lex.go semantics): text, `{{ }}` actions
 * with `{{- ` / ` -}}` trimming of adjacent ASCII white space, comment actions, and inside
 * actions: fields, variables, identifiers, keywords, strings, raw strings, character constants
 * and numbers. The whole input is scanned up front; a lexical error ends the token list with an
 * error token, which the parser reports when it reaches it, as Go's does.
 */

/** Token types (text/template/parse itemType); keywords come last, from Block on. */
export const Tok = {
  Error: 0,
  Bool: 1,
  Char: 2,
  CharConstant: 3,
  Comment: 4,
  Complex: 5,
  Assign: 6,
  Declare: 7,
  EOF: 8,
  Field: 9,
  Identifier: 10,
  LeftDelim: 11,
  LeftParen: 12,
  Number: 13,
  Pipe: 14,
  RawString: 15,
  RightDelim: 16,
  RightParen: 17,
  Space: 18,
  String: 19,
  Text: 20,
  Variable: 21,
  Block: 22,
  Break: 23,
  Continue: 24,
  Dot: 25,
  Define: 26,
  Else: 27,
  End: 28,
  If: 29,
  Nil: 30,
  Range: 31,
  Template: 32,
  With: 33,
} as const;
/** A token type. */
export type Tok = (typeof Tok)[keyof typeof Tok];

/** A token: type, start offset (JS string index), text, and 1-based line. */
export interface Token {
  readonly typ: Tok;
  readonly pos: number;
  readonly val: string;
  readonly line: number;
}

const keywords: ReadonlyMap<string, Tok> = new Map([
  ['.', Tok.Dot],
  ['block', Tok.Block],
  ['break', Tok.Break],
  ['continue', Tok.Continue],
  ['define', Tok.Define],
  ['else', Tok.Else],
  ['end', Tok.End],
  ['if', Tok.If],
  ['range', Tok.Range],
  ['nil', Tok.Nil],
  ['template', Tok.Template],
  ['with', Tok.With],
]);

/** Whether a token type is a keyword (Go: typ > itemKeyword). */
function isKeyword(t: Tok): boolean {
  return t >= Tok.Block;
}

const leftDelim = '{{';
const rightDelim = '}}';
const leftComment = '/*';
const rightComment = '*/';

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

const letterOrDigit = /^[\p{L}\p{Nd}]$/u;

function isAlphaNumeric(c: string | undefined): boolean {
  if (c === undefined) return false;
  if (c === '_') return true;
  const code = c.charCodeAt(0);
  if (code < 0x80) return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
  return letterOrDigit.test(c);
}

function hasLeftTrimMarker(s: string, at: number): boolean {
  return s[at] === '-' && isSpace(s[at + 1]);
}

function hasRightTrimMarker(s: string, at: number): boolean {
  return isSpace(s[at]) && s[at + 1] === '-';
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf('\n', from); i >= 0 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** Returns `%#U` of a character, as Go prints it in lexer errors: `U+0023 '#'`. */
function describeRune(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  const printable = cp >= 0x20 && cp !== 0x7f && !/^[\p{C}\p{Z}]$/u.test(c) ? ` '${c}'` : '';
  return `U+${hex}${cp === 0x20 ? " ' '" : printable}`;
}

/**
 * Scans a template into tokens. The list always ends with an EOF or an Error token.
 */
export function lex(input: string): Token[] {
  const items: Token[] = [];
  let pos = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;

  const emit = (typ: Tok): void => {
    items.push({ typ, pos: start, val: input.slice(start, pos), line: startLine });
    start = pos;
    startLine = line;
  };
  const ignore = (): void => {
    line += countNewlines(input, start, pos);
    start = pos;
    startLine = line;
  };
  const fail = (msg: string): Token[] => {
    items.push({ typ: Tok.Error, pos: start, val: msg, line: startLine });
    return items;
  };
  // Reads the character at pos (one code point), advancing pos and line.
  const next = (): string | undefined => {
    if (pos >= input.length) {
      pos = input.length + 1; // past the end: backup() is a no-op at EOF, as in Go
      return undefined;
    }
    const cp = input.codePointAt(pos) ?? 0;
    const c = cp > 0xffff ? input.slice(pos, pos + 2) : input[pos]!;
    pos += c.length;
    if (c === '\n') line++;
    return c;
  };
  const backup = (c: string | undefined): void => {
    if (c === undefined) {
      pos = input.length;
      return;
    }
    pos -= c.length;
    if (c === '\n') line--;
  };
  const peek = (): string | undefined => {
    if (pos >= input.length) return undefined;
    const cp = input.codePointAt(pos) ?? 0;
    return cp > 0xffff ? input.slice(pos, pos + 2) : input[pos];
  };
  const accept = (valid: string): boolean => {
    const c = next();
    if (c !== undefined && valid.includes(c)) return true;
    backup(c);
    return false;
  };
  const acceptRun = (valid: string): void => {
    for (;;) {
      const c = next();
      if (c === undefined || !valid.includes(c)) {
        backup(c);
        return;
      }
    }
  };
  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (hasRightTrimMarker(input, pos) && input.startsWith(rightDelim, pos + 2)) return { delim: true, trim: true };
    if (input.startsWith(rightDelim, pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  };
  const atTerminator = (): boolean => {
    const c = peek();
    if (c === undefined || isSpace(c)) return true;
    switch (c) {
      case '.':
      case ',':
      case '|':
      case ':':
      case ')':
      case '(':
        return true;
      default:
        return input.startsWith(rightDelim, pos);
    }
  };
  const scanNumber = (): boolean => {
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    accept('i');
    if (isAlphaNumeric(peek())) {
      next();
      return false;
    }
    return true;
  };
  /** Lexes a number (or a complex constant) at `pos`; returns the failure tokens on bad syntax. */
  const lexNumber = (): Token[] | undefined => {
    const bad = () => fail(`bad number syntax: ${JSON.stringify(input.slice(start, pos))}`);
    if (!scanNumber()) return bad();
    const sign = peek();
    if (sign === '+' || sign === '-') {
      if (!scanNumber() || input[pos - 1] !== 'i') return bad();
      emit(Tok.Complex);
    } else {
      emit(Tok.Number);
    }
    return undefined;
  };
  /** Lexes the rest of a quoted string or character constant (backslash escapes, no newlines); returns the failure tokens when unterminated. */
  const lexQuoted = (quote: string, tok: Tok, unterminated: string): Token[] | undefined => {
    for (;;) {
      const c = next();
      if (c === '\\') {
        const e = next();
        if (e !== undefined && e !== '\n') continue;
        return fail(unterminated);
      }
      if (c === undefined || c === '\n') return fail(unterminated);
      if (c === quote) break;
    }
    emit(tok);
    return undefined;
  };

  // lexText: text up to the next "{{".
  for (;;) {
    const x = input.indexOf(leftDelim, pos);
    if (x < 0) {
      pos = input.length;
      if (pos > start) {
        line += countNewlines(input, start, pos);
        emit(Tok.Text);
      }
      emit(Tok.EOF);
      return items;
    }
    pos = x;
    let trimLength = 0;
    if (hasLeftTrimMarker(input, pos + leftDelim.length)) {
      let k = pos;
      while (k > start && isSpace(input[k - 1])) k--;
      trimLength = pos - k;
    }
    pos -= trimLength;
    if (pos > start) {
      line += countNewlines(input, start, pos);
      emit(Tok.Text);
    }
    pos += trimLength;
    ignore();

    // lexLeftDelim
    pos += leftDelim.length;
    const trimSpace = hasLeftTrimMarker(input, pos);
    const afterMarker = trimSpace ? 2 : 0;
    if (input.startsWith(leftComment, pos + afterMarker)) {
      pos += afterMarker;
      ignore();
      // lexComment
      pos += leftComment.length;
      const i = input.indexOf(rightComment, pos);
      if (i < 0) return fail('unclosed comment');
      pos = i + rightComment.length;
      const { delim, trim } = atRightDelim();
      if (!delim) return fail('comment ends before closing delimiter');
      if (trim) pos += 2;
      pos += rightDelim.length;
      if (trim) while (pos < input.length && isSpace(input[pos])) pos++;
      ignore();
      continue;
    }
    emit(Tok.LeftDelim);
    pos += afterMarker;
    ignore();
    parenDepth = 0;

    // lexInsideAction until the right delimiter.
    for (;;) {
      const { delim } = atRightDelim();
      if (delim) {
        if (parenDepth !== 0) return fail('unclosed left paren');
        // lexRightDelim
        const trim = hasRightTrimMarker(input, pos);
        if (trim) {
          pos += 2;
          ignore();
        }
        pos += rightDelim.length;
        emit(Tok.RightDelim);
        if (trim) {
          while (pos < input.length && isSpace(input[pos])) pos++;
          ignore();
        }
        break;
      }
      const r = next();
      if (r === undefined) return fail('unclosed action');
      if (isSpace(r)) {
        // lexSpace: a run of spaces, minding a " -}}" that starts inside it.
        backup(r);
        let numSpaces = 0;
        while (isSpace(peek())) {
          next();
          numSpaces++;
        }
        if (hasRightTrimMarker(input, pos - 1) && input.startsWith(rightDelim, pos + 1)) {
          backup(input[pos - 1]);
          if (numSpaces === 1) continue; // on the delimiter now
        }
        emit(Tok.Space);
        continue;
      }
      switch (r) {
        case '=':
          emit(Tok.Assign);
          continue;
        case ':':
          if (next() !== '=') return fail('expected :=');
          emit(Tok.Declare);
          continue;
        case '|':
          emit(Tok.Pipe);
          continue;
        case '"': {
          const bad = lexQuoted('"', Tok.String, 'unterminated quoted string');
          if (bad) return bad;
          continue;
        }
        case '`': {
          const end = input.indexOf('`', pos);
          if (end < 0) return fail('unterminated raw quoted string');
          line += countNewlines(input, pos, end);
          pos = end + 1;
          emit(Tok.RawString);
          continue;
        }
        case '$':
        case '.': {
          if (r === '.' && pos < input.length && input[pos]! >= '0' && input[pos]! <= '9') {
            backup(r);
            const bad = lexNumber();
            if (bad) return bad;
            continue;
          }
          // lexFieldOrVariable
          if (atTerminator()) {
            emit(r === '$' ? Tok.Variable : Tok.Dot);
            continue;
          }
          let c: string | undefined;
          for (;;) {
            c = next();
            if (!isAlphaNumeric(c)) {
              backup(c);
              break;
            }
          }
          if (!atTerminator()) return fail(`bad character ${describeRune(c ?? '')}`);
          emit(r === '$' ? Tok.Variable : Tok.Field);
          continue;
        }
        case "'": {
          const bad = lexQuoted("'", Tok.CharConstant, 'unterminated character constant');
          if (bad) return bad;
          continue;
        }
        case '(':
          emit(Tok.LeftParen);
          parenDepth++;
          continue;
        case ')':
          // An unmatched ")" is a lexical error reported in its place, so the parser never sees
          // the paren itself (it would otherwise say `unexpected ")" in command`).
          parenDepth--;
          if (parenDepth < 0) return fail('unexpected right paren');
          emit(Tok.RightParen);
          continue;
        default:
      }
      if (r === '+' || r === '-' || (r >= '0' && r <= '9')) {
        backup(r);
        const bad = lexNumber();
        if (bad) return bad;
        continue;
      }
      if (isAlphaNumeric(r)) {
        // lexIdentifier
        let c: string | undefined;
        for (;;) {
          c = next();
          if (!isAlphaNumeric(c)) {
            backup(c);
            break;
          }
        }
        const word = input.slice(start, pos);
        if (!atTerminator()) return fail(`bad character ${describeRune(c ?? '')}`);
        const kw = keywords.get(word);
        if (kw !== undefined && isKeyword(kw)) emit(kw);
        else if (word === 'true' || word === 'false') emit(Tok.Bool);
        else emit(Tok.Identifier);
        continue;
      }
      const code = r.codePointAt(0) ?? 0;
      if (code <= 0x7f && code >= 0x20 && code !== 0x7f) {
        emit(Tok.Char);
        continue;
      }
      return fail(`unrecognized character in action: ${describeRune(r)}`);
    }
  }
}
