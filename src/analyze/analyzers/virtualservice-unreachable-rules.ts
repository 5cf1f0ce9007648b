/**
 * Routes of a VirtualService that can never be used (IST0130) and matches that repeat or are
 * covered by an earlier one (IST0131), as Istio 1.30.3's VirtualService validation warns
 * (pkg/config/validation/validation.go, analyzeUnreachable{HTTP,TCP,TLS}Rules) and its
 * schema.ValidationAnalyzer.VirtualService reports. Facts:
 * - within each of `http`, `tcp` and `tls`, rules are read in order; a rule without `match` takes
 *   everything, so any later rule without matches is unused ("only the last rule can have no
 *   matches") and every match of a later rule with matches makes that rule unused ("route without
 *   matches defined before", once per match);
 * - a match equal to a match of an earlier rule (compared without its `name`) is ineffective, and
 *   a rule all of whose matches are such repeats is unused ("all matches used by prior rules");
 * - HTTP only: among matches with a `uri.prefix`, a later one is ineffective when an earlier one's
 *   prefix is a proper prefix of its own and the earlier one otherwise covers it: same port; method
 *   (no method meaning exact GET), authority, and each header, query parameter and withoutHeaders
 *   entry equal, or the earlier one's value a string prefix of the later one's in the
 *   `exact:`/`prefix:` form (the key sets must be the same);
 * - rules are named by their `name` quoted, else `#<index>`; matches likewise.
 */
import { asList, asMap, type JsonMap, type ObjectPath } from '../resource.js';

/** One finding about a VirtualService's rules, with the template arguments of its message. */
export interface RuleFinding {
  kind: 'unreachable' | 'ineffective';
  /** IST0130: [rule, reason]; IST0131: [rule, match, earlier rule]. */
  args: string[];
  /** The rule (IST0130) or match (IST0131) the finding is about. */
  path: ObjectPath;
}

/** Returns Go's `%q` of a string (a JSON string is the same for the names routes carry). */
function quoted(s: string): string {
  return JSON.stringify(s);
}

function ruleName(rule: JsonMap, index: number, http: boolean): string {
  return http && typeof rule.name === 'string' && rule.name !== '' ? quoted(rule.name) : `#${index}`;
}

function matchName(match: JsonMap, index: number, http: boolean): string {
  return http && typeof match.name === 'string' && match.name !== '' ? quoted(match.name) : `#${index}`;
}

/**
 * Returns a canonical text of a match for equality: without `name`, keys sorted, zero values
 * (false, 0, '', empty lists and maps, null) left out as Go's JSON of the proto omits them.
 */
export function matchKey(match: unknown): string {
  const canon = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canon);
    if (v !== null && typeof v === 'object') {
      const out: JsonMap = {};
      for (const k of Object.keys(v).sort()) {
        const c = canon((v as JsonMap)[k]);
        if (!isZero(c)) out[k] = c;
      }
      return out;
    }
    return v;
  };
  const m = { ...asMap(match) };
  delete m.name;
  return JSON.stringify(canon(m));
}

function isZero(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.keys(v).length === 0;
}

/** `exact:<v>` or `prefix:<v>` of a StringMatch (exact first), '' for neither. */
function exactOrPrefix(v: unknown): string {
  const m = asMap(v);
  if (typeof m.exact === 'string' && m.exact !== '') return `exact:${m.exact}`;
  if (typeof m.prefix === 'string' && m.prefix !== '') return `prefix:${m.prefix}`;
  return '';
}

function stringMatches(v: unknown): Map<string, string> {
  return new Map(Object.entries(asMap(v)).map(([k, s]) => [k, exactOrPrefix(s)]));
}

/** What the prefix-overlap check compares of one HTTP match. */
interface PrefixMatch {
  rule: string;
  match: string;
  path: ObjectPath;
  prefix: string;
  port: number;
  method: string;
  authority: string;
  headers: Map<string, string>;
  queryParams: Map<string, string>;
  withoutHeaders: Map<string, string>;
}

function prefixMatch(m: JsonMap, rule: string, match: string, path: ObjectPath): PrefixMatch | undefined {
  const prefix = asMap(m.uri).prefix;
  if (typeof prefix !== 'string' || prefix === '') return undefined;
  return {
    rule, match, path, prefix,
    port: typeof m.port === 'number' ? m.port : 0,
    method: exactOrPrefix(m.method) || 'exact:GET',
    authority: exactOrPrefix(m.authority),
    headers: stringMatches(m.headers),
    queryParams: stringMatches(m.queryParams),
    withoutHeaders: stringMatches(m.withoutHeaders),
  };
}

/** Returns true when both maps have the same keys and each of `a`'s values equals or starts with `b`'s. */
function mapCovered(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined || (v !== w && !v.startsWith(w))) return false;
  }
  return true;
}

/** Returns true when the earlier prefix match `a` takes every request the later `b` would. */
function coveredBy(a: PrefixMatch, b: PrefixMatch): boolean {
  if (!b.prefix.startsWith(a.prefix)) return false;
  if (a.port !== b.port) return false;
  // Istio compares these in the direction written here (the earlier value must start with the later one).
  if (a.method !== b.method && !a.method.startsWith(b.method)) return false;
  if (a.authority !== b.authority && !a.authority.startsWith(b.authority)) return false;
  return mapCovered(a.headers, b.headers) && mapCovered(a.queryParams, b.queryParams) && mapCovered(a.withoutHeaders, b.withoutHeaders);
}

/** Returns the findings for one list of rules (`http`, `tcp` or `tls`) of a VirtualService spec. */
function rulesFindings(spec: JsonMap, section: 'http' | 'tcp' | 'tls'): RuleFinding[] {
  const http = section === 'http';
  const rules = asList(spec[section]);
  const out: RuleFinding[] = [];
  const seen = new Map<string, number>();
  let catchAll = -1;
  const prefixMatches: PrefixMatch[] = [];
  rules.forEach((raw, i) => {
    if (raw === null || raw === undefined) return;
    const rule = asMap(raw);
    const name = ruleName(rule, i, http);
    const rulePath = ['spec', section, i];
    const matches = asList(rule.match);
    if (matches.length === 0) {
      if (catchAll >= 0) out.push({ kind: 'unreachable', args: [name, 'only the last rule can have no matches'], path: rulePath });
      catchAll = i;
      return;
    }
    let repeats = 0;
    matches.forEach((rawMatch, j) => {
      const match = asMap(rawMatch);
      const matchPath = [...rulePath, 'match', j];
      if (catchAll >= 0) {
        out.push({ kind: 'unreachable', args: [name, 'route without matches defined before'], path: rulePath });
        return;
      }
      const key = matchKey(rawMatch);
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        out.push({ kind: 'ineffective', args: [name, matchName(match, j, http), ruleName(asMap(rules[earlier]), earlier, http)], path: matchPath });
        repeats++;
        return;
      }
      seen.set(key, i);
      if (http) {
        const pm = prefixMatch(match, name, matchName(match, j, http), matchPath);
        if (pm) prefixMatches.push(pm);
      }
    });
    if (repeats === matches.length) out.push({ kind: 'unreachable', args: [name, 'all matches used by prior rules'], path: rulePath });
  });
  for (let a = 0; a < prefixMatches.length; a++) {
    for (let b = a + 1; b < prefixMatches.length; b++) {
      const earlier = prefixMatches[a]!;
      const later = prefixMatches[b]!;
      if (later.prefix === earlier.prefix || !coveredBy(earlier, later)) continue;
      out.push({
        kind: 'ineffective',
        args: [later.rule, `${later.match} of prefix ${later.prefix}`, `${earlier.match} of prefix ${earlier.prefix} on ${earlier.rule}`],
        path: later.path,
      });
    }
  }
  return out;
}

/** Returns the IST0130/IST0131 findings of a VirtualService spec: HTTP rules, then TCP, then TLS. */
export function unreachableRuleFindings(spec: unknown): RuleFinding[] {
  const s = asMap(spec);
  return [...rulesFindings(s, 'http'), ...rulesFindings(s, 'tcp'), ...rulesFindings(s, 'tls')];
}
