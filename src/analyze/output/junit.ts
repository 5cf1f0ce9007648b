/**
 * The junit format: JUnit XML for the test tabs of CI systems (GitLab merge request test reports,
 * Jenkins' JUnit plugin, GitHub test-report actions).
 *
 * One `<testsuite>` per analyzed file, because a file is what the reader of a CI dashboard fixes:
 * the suite list then reads as the list of inputs, a clean file shows up as passed, and a file
 * that could not be parsed shows up as an error in its own place. Within a suite each finding is
 * a `<testcase>` whose classname is the analyzer (`service.PortNameAnalyzer`): Jenkins splits
 * classnames at dots into package and class, which suits analyzer names (`service` /
 * `PortNameAnalyzer`) and would mangle file names (`bookinfo` / `yaml`). Test names are
 * `CODE Kind ns/name (object path)`, stable when lines move, so dashboards keep history.
 * Suppressed findings are `<skipped>` test cases; findings below the output threshold are absent.
 */
import type { Finding } from '../engine.js';
import { documentationUrl } from '../messages.js';
import { friendlyName } from '../resource.js';
import type { InputProblem } from '../sources.js';
import { formatObjectPath, type Formatter } from './report.js';

/** Classname of test cases that belong to no analyzer: clean files and parse errors. */
const OWN_CLASSNAME = 'meshctl.analyze';

/** Suite name of findings that carry no file (none do in file mode; kept for cluster sources). */
const NO_FILE = '(no file)';

/**
 * Returns `text` escaped for XML 1.0 character data, or for a double-quoted attribute value when
 * `attribute` is set. Characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates,
 * U+FFFE/U+FFFF), which a YAML double-quoted string can hold, become U+FFFD. In attributes, tab and
 * line breaks are written as character references so parsers do not normalise them to spaces.
 * Written here rather than taken from a library: the XML libraries are full builders or parsers
 * (several packages) for a document of four element kinds, and the small escaping packages leave
 * the invalid characters in, which breaks the whole report.
 */
export function escapeXml(text: string, attribute = false): string {
  const valid = text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD');
  const escaped = valid.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
  if (!attribute) return escaped;
  return escaped.replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

/** Writes attributes `name="value"` in the given order, skipping undefined values. */
function attrs(pairs: Record<string, string | number | undefined>): string {
  return Object.entries(pairs).filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}="${escapeXml(String(v), true)}"`).join('');
}

/** One test case before it is written. */
interface Case {
  name: string;
  classname: string;
  file?: string;
  line?: number;
  /** `failure`, `error` or `skipped`; a passing case has none. */
  outcome?: { element: 'failure' | 'error' | 'skipped'; message: string; type?: string; body?: string };
}

function findingCase(f: Finding): Case {
  const origin = f.resource ? friendlyName(f.resource) : '';
  const path = f.path && f.path.length > 0 ? formatObjectPath(f.path) : '';
  const name = `${f.type.code}${origin ? ` ${origin}` : ''}${path ? ` (${path})` : ''}`;
  const c: Case = { name, classname: f.analyzer };
  if (f.position) {
    c.file = f.position.file;
    c.line = f.position.line;
  }
  if (f.suppressed) {
    c.outcome = { element: 'skipped', message: `suppressed by ${f.suppressed.by === 'flag' ? `-S ${f.suppressed.rule}` : f.suppressed.rule}` };
    return c;
  }
  const where = f.position ? `${f.position.file}:${f.position.line}:${f.position.column}: ` : '';
  const body = [
    `${where}${f.type.level} [${f.type.code}] ${f.message}`,
    ...(origin ? [`Resource: ${origin}`] : []),
    ...(path ? [`Path: ${path}`] : []),
    `Documentation: ${documentationUrl(f.type.code)}`,
  ].join('\n');
  c.outcome = { element: 'failure', message: f.message, type: f.type.level, body };
  return c;
}

function problemCase(p: InputProblem): Case {
  const at = p.position ? ` at ${p.position.line}:${p.position.column}` : '';
  const where = p.position ? `${p.position.file}:${p.position.line}:${p.position.column}` : p.file;
  return {
    name: `parse error${at}`, classname: OWN_CLASSNAME, file: p.file, ...(p.position ? { line: p.position.line } : {}),
    outcome: { element: 'error', message: p.message, type: 'ParseError', body: `${where}: ${p.message}` },
  };
}

function writeCase(c: Case): string {
  const open = `    <testcase${attrs({ name: c.name, classname: c.classname, file: c.file, line: c.line })}`;
  if (!c.outcome) return `${open}/>\n`;
  const o = c.outcome;
  const el = `<${o.element}${attrs({ message: o.message, type: o.type })}${o.body === undefined ? '/>' : `>${escapeXml(o.body)}</${o.element}>`}`;
  return `${open}>\n      ${el}\n    </testcase>\n`;
}

function counts(cases: readonly Case[]): Record<string, number> {
  const n = (e: string): number => cases.filter((c) => c.outcome?.element === e).length;
  return { tests: cases.length, failures: n('failure'), errors: n('error'), skipped: n('skipped') };
}

/**
 * Formats the report as JUnit XML (see the module comment): suites in the order files were given,
 * then files known only from problems or findings; within a suite, parse errors first, then
 * findings in report order; a file without either gets one passing `no findings` case.
 */
export const formatJunit: Formatter = (input) => {
  const suites = new Map<string, Case[]>();
  const suite = (file: string): Case[] => {
    let list = suites.get(file);
    if (!list) suites.set(file, (list = []));
    return list;
  };
  for (const file of input.files) suite(file);
  for (const p of input.problems) suite(p.file).push(problemCase(p));
  for (const f of input.findings) suite(f.position?.file ?? NO_FILE).push(findingCase(f));
  for (const [file, cases] of suites) if (cases.length === 0) cases.push({ name: 'no findings', classname: OWN_CLASSNAME, file });

  const all = [...suites.values()].flat();
  let out = '<?xml version="1.0" encoding="UTF-8"?>\n';
  out += `<testsuites${attrs({ name: 'meshctl analyze', ...counts(all) })}>\n`;
  for (const [file, cases] of suites) {
    out += `  <testsuite${attrs({ name: file, ...counts(cases) })}>\n`;
    for (const c of cases) out += writeCase(c);
    out += '  </testsuite>\n';
  }
  return `${out}</testsuites>\n`;
};
