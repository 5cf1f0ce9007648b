/**
 * Analyzer conformance: every case of upstream's analyzer test grid (Istio 1.30.3,
 * pkg/config/analysis/analyzers/analyzers_test.go, as ../shared/conformance/istio-1.30.3/analyze/cases.json).
 *
 * Each case runs `meshctl analyze --analyzer <name> -o json` over the case's files (with its
 * `--meshConfigFile`/`--meshNetworksFile`), as upstream runs the case with only that analyzer enabled, and
 * compares the multiset of `[code, origin]` with the case's expectation. Every finding the analyzer reports
 * counts (upstream's `codesByAnalyzer` lists what each analyzer may report, so a case expecting nothing still
 * catches false findings); meshctl's own MSH codes are not upstream's and are left out.
 * `--output-threshold Info` (the default, given explicitly) prints every level, as upstream's grid
 * compares every level; suppressed findings (the `galley.istio.io/analyze-suppress` annotation) stay
 * out of the JSON, as upstream filters them.
 *
 * Origins: upstream's grid reads files without a default namespace, so an object that names none has the
 * origin `Kind name`; meshctl places it in `default` (as `kubectl apply` would) and reports `Kind default/name`.
 * The suite maps such origins back when the case's files hold that object without a namespace.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ANALYZERS } from '../../src/analyze/registry.js';
import { run } from '../helpers.js';
import { CONFORMANCE_DIR, conformanceAvailable, readConformanceJson, scoreLine, suiteTitle } from './support.js';

interface AnalyzeCase {
  name: string;
  files: string[];
  meshConfigFile: string | null;
  meshNetworksFile: string | null;
  analyzer: string;
  expected: [string, string][];
}

interface AnalyzeData {
  codesByAnalyzer: Record<string, string[]>;
  cases: AnalyzeCase[];
}

/**
 * The data folder (cases.json and testdata/): upstream's shared cases, or another folder in the same
 * format named by MESHCTL_ANALYZE_CASES (held-back cases are scored that way).
 */
const DATA_DIR = process.env.MESHCTL_ANALYZE_CASES ?? join(CONFORMANCE_DIR, 'analyze');
const data: AnalyzeData = process.env.MESHCTL_ANALYZE_CASES
  ? JSON.parse(readFileSync(join(DATA_DIR, 'cases.json'), 'utf8')) as AnalyzeData
  : conformanceAvailable ? readConformanceJson<AnalyzeData>('analyze/cases.json') : { codesByAnalyzer: {}, cases: [] };

/**
 * Cases meshctl knowingly does not match, by `analyzer: name`, each with the reason. They run with
 * `it.fails`, so one that starts passing is noticed and must leave this list.
 */
const KNOWN_DIFFERENCES: ReadonlyMap<string, string> = new Map<string, string>([
]);

/** Returns a test id for a case: names repeat across analyzers (and even within one), so the analyzer and the position qualify it. */
function caseId(c: AnalyzeCase): string {
  return `${c.analyzer}: ${c.name}`;
}

/** `kind\0name` of every object in the files that names no namespace, and of those that do name one. */
function namespaceIndex(files: readonly string[]): { without: Set<string>; withDefault: Set<string> } {
  const without = new Set<string>();
  const withDefault = new Set<string>();
  const visit = (o: unknown): void => {
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return;
    const obj = o as Record<string, unknown>;
    if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
      obj.items.forEach(visit);
      return;
    }
    const meta = (obj.metadata ?? {}) as Record<string, unknown>;
    const key = `${String(obj.kind)}\u0000${String(meta.name)}`;
    if (typeof meta.namespace === 'string' && meta.namespace !== '') {
      if (meta.namespace === 'default') withDefault.add(key);
    } else without.add(key);
  };
  for (const f of files) {
    for (const doc of parseAllDocuments(readFileSync(join(DATA_DIR, f), 'utf8'))) {
      if (!Array.isArray(doc)) visit(doc.toJS());
    }
  }
  return { without, withDefault };
}

/** Returns upstream's origin for a meshctl origin (see the file comment). */
function upstreamOrigin(origin: string, index: ReturnType<typeof namespaceIndex>): string {
  const m = /^(\S+) default\/(.+)$/.exec(origin);
  if (!m) return origin;
  const key = `${m[1]}\u0000${m[2]}`;
  return index.without.has(key) && !index.withDefault.has(key) ? `${m[1]} ${m[2]}` : origin;
}

/** Returns `[code, origin]` pairs sorted, for a multiset comparison that reads well when it fails. */
function sorted(pairs: readonly (readonly [string, string])[]): string[] {
  return pairs.map(([c, o]) => `${c} ${o}`).sort();
}

/** Runs one case and returns meshctl's pairs, or the reason it could not run. */
async function findingsOf(c: AnalyzeCase): Promise<string[]> {
  // Info is the lowest level: every finding is printed, as upstream's grid compares every level.
  const argv = ['analyze', '--analyzer', c.analyzer, '-o', 'json', '--output-threshold', 'Info'];
  if (c.meshConfigFile) argv.push('--meshConfigFile', join(DATA_DIR, c.meshConfigFile));
  if (c.meshNetworksFile) argv.push('--meshNetworksFile', join(DATA_DIR, c.meshNetworksFile));
  argv.push(...c.files.map((f) => join(DATA_DIR, f)));
  const r = await run(argv);
  if (r.code !== 0 && r.code !== 79) return [`<exit ${r.code}: ${r.stderr.trim().split('\n')[0]}>`];
  const index = namespaceIndex(c.files);
  const records = JSON.parse(r.stdout) as { code: string; origin?: string }[];
  return sorted(records.filter((f) => !f.code.startsWith('MSH')).map((f) => [f.code, upstreamOrigin(f.origin ?? '', index)] as const));
}

/** One unique test name per case, in the data's order (a repeated name gets ` (2)`, ` (3)`). */
const ids: string[] = (() => {
  const seen = new Map<string, number>();
  return data.cases.map((c) => {
    const base = caseId(c);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base} (${n})`;
  });
})();

const results = new Map<string, boolean>();

/** Cases named by MESHCTL_ANALYZE_CASES run whether or not ../shared is present. */
const casesGiven = process.env.MESHCTL_ANALYZE_CASES !== undefined;
const title = 'analyze conformance (Istio 1.30.3 analyzer grid, single-analyzer mode)';

describe.skipIf(!conformanceAvailable && !casesGiven)(casesGiven ? `${title}: ${DATA_DIR}` : suiteTitle(title), () => {
  for (const [i, c] of data.cases.entries()) {
    const id = ids[i]!;
    const known = KNOWN_DIFFERENCES.get(id);
    const body = async (): Promise<void> => {
      results.set(id, false);
      const actual = await findingsOf(c);
      const expected = sorted(c.expected);
      results.set(id, JSON.stringify(actual) === JSON.stringify(expected));
      expect(actual).toEqual(expected);
    };
    if (known) it.fails(`${id} [known difference: ${known}]`, body);
    else it(id, body);
  }

  it('declares, for each analyzer named as upstream\'s, only IST codes that upstream\'s analyzer reports', () => {
    for (const a of ANALYZERS) {
      const upstream = data.codesByAnalyzer[a.name];
      if (!upstream) continue;
      const extra = a.messages.map((m) => m.code).filter((code) => code.startsWith('IST') && !upstream.includes(code));
      expect(extra, a.name).toEqual([]);
    }
  });

  afterAll(() => {
    const passed = [...results.values()].filter(Boolean).length;
    console.log(scoreLine('analyze', passed, data.cases.length));
    const byAnalyzer = new Map<string, [number, number]>();
    data.cases.forEach((c, i) => {
      const s = byAnalyzer.get(c.analyzer) ?? [0, 0];
      s[1]++;
      if (results.get(ids[i]!)) s[0]++;
      byAnalyzer.set(c.analyzer, s);
    });
    const lines = [...byAnalyzer].sort(([a], [b]) => (a < b ? -1 : 1)).map(([a, [p, t]]) => `  ${a}: ${p}/${t}`);
    console.log(`analyze conformance by analyzer:\n${lines.join('\n')}`);
  });
});
