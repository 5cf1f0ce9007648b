/**
 * Go regexp (RE2 syntax) on top of JS RegExp, for sprig's regex functions: translates the Go
 * pattern (`(?P<name>`, `\A`, `\z`, `\Q...\E`, POSIX classes, `\pL`, `.` not matching only `\n`,
 * `\s` as `[\t\n\f\r ]`, leading `(?ims)` flags) and reproduces Go's FindAll/ReplaceAll/Split
 * match iteration (an empty match right after a match is skipped) and `$name` expansion.
 * Constructs RE2 rejects (backreferences, lookaround) are rejected here too. Inline flag groups
 * other than a leading one are not supported.
 */

import { GoError } from './values.js';

const jsSyntax = new Set('^$\\.*+?()[]{}|/'.split(''));

const posixClasses: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

function escapeLiteral(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

function unicodeClass(name: string): string {
  // One-letter general categories and scripts (Greek, Han, ...).
  if (/^[A-Z][a-z]?$/.test(name)) return name;
  return `Script=${name}`;
}

/** Go's error for a pattern: `error parsing regexp: ...`. */
function parseError(code: string, expr: string): GoError {
  return new GoError(`error parsing regexp: ${code}: \`${expr}\``);
}

/** Translates a Go regular expression to a JS RegExp with the `g` and `u` flags; throws GoError. */
export function compileGoRegexp(pattern: string): RegExp {
  let flags = 'gu';
  let src = pattern;
  let dotAll = false;
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    const f = lead[1]!;
    if (f.includes('U')) throw parseError('invalid or unsupported Perl syntax', '(?U');
    if (f.includes('i')) flags += 'i';
    if (f.includes('m')) flags += 'm';
    if (f.includes('s')) dotAll = true;
    src = src.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  let depth = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const e = src[i + 1];
      if (e === undefined) throw parseError('trailing backslash at end of expression', '');
      i++;
      if (e === 'Q') {
        const end = src.indexOf('\\E', i + 1);
        const lit = end < 0 ? src.slice(i + 1) : src.slice(i + 1, end);
        out += escapeLiteral(lit);
        i = end < 0 ? src.length : end + 1;
        continue;
      }
      if (e === 'A') {
        out += '(?<![\\s\\S])';
        continue;
      }
      if (e === 'z') {
        out += '(?![\\s\\S])';
        continue;
      }
      if (e === 's') {
        out += inClass ? '\\t\\n\\f\\r ' : '[\\t\\n\\f\\r ]';
        continue;
      }
      if (e === 'S' && !inClass) {
        out += '[^\\t\\n\\f\\r ]';
        continue;
      }
      if (e === 'p' || e === 'P') {
        let name: string;
        if (src[i + 1] === '{') {
          const end = src.indexOf('}', i + 2);
          if (end < 0) throw parseError('invalid character class range', src.slice(i - 1));
          name = src.slice(i + 2, end);
          i = end;
        } else {
          name = src[i + 1] ?? '';
          i++;
        }
        let neg = e === 'P';
        if (name.startsWith('^')) {
          neg = !neg;
          name = name.slice(1);
        }
        out += `\\${neg ? 'P' : 'p'}{${unicodeClass(name)}}`;
        continue;
      }
      if (/[1-9]/.test(e)) throw parseError('invalid escape sequence', `\\${e}`);
      if (/[dDwWbBfnrtv0x]/.test(e) || e === 'S') {
        out += `\\${e}`;
        continue;
      }
      if (/[a-zA-Z]/.test(e)) throw parseError('invalid escape sequence', `\\${e}`);
      // Escaped punctuation is a literal.
      out += jsSyntax.has(e) || (inClass && e === '-') ? `\\${e}` : e;
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') {
        const end = src.indexOf(':]', i + 2);
        if (end > 0) {
          let name = src.slice(i + 2, end);
          const neg = name.startsWith('^');
          if (neg) name = name.slice(1);
          const cls = posixClasses[name];
          if (!cls) throw parseError('invalid character class range', src.slice(i, end + 2));
          if (neg) throw parseError('invalid character class range', src.slice(i, end + 2));
          out += cls;
          i = end + 1;
          continue;
        }
      }
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c;
      continue;
    }
    switch (c) {
      case '[':
        inClass = true;
        out += c;
        if (src[i + 1] === '^') {
          out += '^';
          i++;
        }
        if (src[i + 1] === ']') {
          out += '\\]';
          i++;
        }
        continue;
      case '.':
        out += dotAll ? '[\\s\\S]' : '[^\\n]';
        continue;
      case '(':
        depth++;
        if (src[i + 1] === '?') {
          if (src.startsWith('(?P<', i)) {
            out += '(?<';
            i += 3;
            continue;
          }
          if (src[i + 2] === ':') {
            out += '(?:';
            i += 2;
            continue;
          }
          throw parseError('invalid or unsupported Perl syntax', src.slice(i, i + 3));
        }
        out += c;
        continue;
      case ')':
        depth--;
        if (depth < 0) throw parseError('unexpected )', pattern);
        out += c;
        continue;
      default:
        out += c;
    }
  }
  if (inClass) throw parseError('missing closing ]', src.slice(src.lastIndexOf('[')));
  if (depth > 0) throw parseError('missing closing )', pattern);
  try {
    return new RegExp(out, flags);
  } catch (err) {
    throw new GoError(`error parsing regexp: ${(err as Error).message}`);
  }
}

/** Returns Go's panic text for regexp.MustCompile. */
export function mustCompileMessage(pattern: string, err: GoError): string {
  const q = pattern.includes('`') ? JSON.stringify(pattern) : `\`${pattern}\``;
  return `regexp: Compile(${q}): ${err.message}`;
}

/** A match: index, end, and the capture groups. */
export interface GoMatch {
  readonly index: number;
  readonly end: number;
  readonly m: RegExpExecArray;
}

/** Successive non-overlapping matches with Go's rule for empty matches; `n < 0` means all. */
export function findAll(re: RegExp, s: string, n: number): GoMatch[] {
  const out: GoMatch[] = [];
  if (n === 0) return out;
  re.lastIndex = 0;
  let prevEnd = -1;
  let pos = 0;
  while (pos <= s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) break;
    const end = m.index + m[0].length;
    let accept = true;
    if (m[0].length === 0) {
      if (m.index === prevEnd) accept = false;
      // Step over one code point.
      const cp = s.codePointAt(m.index);
      pos = m.index + (cp !== undefined && cp > 0xffff ? 2 : 1);
    } else {
      pos = end;
    }
    if (accept) {
      out.push({ index: m.index, end, m });
      prevEnd = end;
      if (n > 0 && out.length >= n) break;
    }
  }
  return out;
}

/** Expands `$1`, `${1}`, `$name`, `${name}` and `$$` in a replacement as regexp.Expand does. */
function expand(template: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    if (template[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    let next = i;
    if (template[i + 1] === '{') {
      const end = template.indexOf('}', i + 2);
      const inner = end < 0 ? '' : template.slice(i + 2, end);
      if (end >= 0 && /^[A-Za-z0-9_]+$/.test(inner)) {
        name = inner;
        next = end;
      }
    } else {
      const mm = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (mm) {
        name = mm[0];
        next = i + mm[0].length;
      }
    }
    if (name === undefined) {
      out += '$';
      continue;
    }
    i = next;
    if (/^\d+$/.test(name)) {
      const k = Number(name);
      out += k < m.length ? (m[k] ?? '') : '';
    } else {
      out += m.groups?.[name] ?? '';
    }
  }
  return out;
}

/** regexp.ReplaceAllString (literal when `literal`). */
export function replaceAll(re: RegExp, s: string, repl: string, literal: boolean): string {
  let out = '';
  let last = 0;
  for (const { index, end, m } of findAll(re, s, -1)) {
    out += s.slice(last, index) + (literal ? repl : expand(repl, m));
    last = end;
  }
  return out + s.slice(last);
}

/** regexp.Split. */
export function split(re: RegExp, s: string, n: number, exprLength: number): string[] | null {
  if (n === 0) return null;
  if (exprLength > 0 && s.length === 0) return [''];
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const match of findAll(re, s, n)) {
    if (n > 0 && out.length === n - 1) break;
    end = match.index;
    if (match.end !== 0) out.push(s.slice(beg, end));
    beg = match.end;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}
