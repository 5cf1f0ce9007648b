/**
 * `meshctl analyze -o`: golden outputs of every format for one input set (findings of two levels,
 * one finding suppressed by annotation and one by -S), the same with unparseable files, SARIF
 * checked against the OASIS 2.1.0 schema, JUnit checked by an XML parser, and the escaping rules
 * of each format on hostile text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOMParser, type Element } from '@xmldom/xmldom';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Finding } from '../../src/analyze/engine.js';
import { MESSAGES } from '../../src/analyze/messages.js';
import { escapeData, escapeProperty, formatGithub } from '../../src/analyze/output/github.js';
import { escapeXml, formatJunit } from '../../src/analyze/output/junit.js';
import type { ReportInput } from '../../src/analyze/output/report.js';
import { artifactUri } from '../../src/analyze/output/sarif.js';
import { ANALYZERS } from '../../src/analyze/registry.js';
import type { Resource } from '../../src/analyze/resource.js';
import { ANALYZE_FORMATS } from '../../src/cli/analyze.js';
import { repoRoot, run } from '../helpers.js';

// Paths as the user would type them from the repository root (vitest's working directory), so
// the goldens hold no machine-specific prefix.
const OUT = 'test/testdata/analyze/output';
const SHOP = `${OUT}/input/shop.yaml`;
const CLEAN = `${OUT}/input/clean.yaml`;
// Only the finished analyzers, so analyzers added later cannot change the goldens.
const ONLY = ['--analyzer', 'service.PortNameAnalyzer', '--analyzer', 'workload.AppVersionLabelAnalyzer'];
const GOLDEN_ARGS = ['analyze', CLEAN, SHOP, '-S', 'IST0118=Service shop/legacy-*', ...ONLY];
const PROBLEM_ARGS = ['analyze', `${OUT}/problems`, SHOP, '-S', 'IST0118=Service shop/legacy-*', ...ONLY];

const golden = (name: string): string => `../testdata/analyze/output/golden/${name}.golden`;

const schema = JSON.parse(readFileSync(join(repoRoot, OUT, 'sarif-schema-2.1.0.json'), 'utf8')) as object;
// The OASIS schema is draft-04 (`id`, draft-04 `$schema`), which plain Ajv 8 does not load.
// Both packages are CommonJS; their class and plugin are also their `default` property.
const ajv = new ajvDraft04.default({ allErrors: true, strict: false });
ajvFormats.default(ajv);
const validateSarif = ajv.compile(schema);

/** Returns the SARIF schema errors of `text` (empty when valid). */
function sarifErrors(text: string): unknown[] {
  return validateSarif(JSON.parse(text)) ? [] : [...(validateSarif.errors ?? [])];
}

/**
 * Parses XML strictly and returns the document element: any warning is an error, except the note
 * on U+FFFD, which the JUnit writer puts in place of characters XML cannot hold.
 */
function parseXml(text: string): Element {
  const onError = (level: 'warning' | 'error' | 'fatalError', message: string): void => {
    if (level === 'warning' && message.startsWith('Unicode replacement character')) return;
    throw new Error(`${level}: ${message}`);
  };
  return new DOMParser({ onError }).parseFromString(text, 'text/xml').documentElement!;
}

const elements = (root: Element, tag: string): Element[] => Array.from(root.getElementsByTagName(tag));

describe('analyze -o goldens', () => {
  it('covers every format the command accepts', () => {
    expect([...ANALYZE_FORMATS].sort()).toEqual(['github', 'json', 'junit', 'log', 'sarif', 'yaml']);
  });

  for (const format of ANALYZE_FORMATS) {
    it(`writes ${format} as the golden file says, with the summary on stderr`, async () => {
      const r = await run([...GOLDEN_ARGS, '-o', format]);
      expect(r.stderr).toBe('3 findings: 1 warning, 2 info (2 suppressed)\n');
      expect(r.code).toBe(0);
      await expect(r.stdout).toMatchFileSnapshot(golden(format));
    });

    it(`writes ${format} with unparseable files as the golden file says, exit 65`, async () => {
      const r = await run([...PROBLEM_ARGS, '-o', format]);
      expect(r.code).toBe(65);
      expect(r.stderr).toBe([
        `Error: ${OUT}/problems/broken.yaml:9:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]`,
        `Error: ${OUT}/problems/no-kind.yaml:12:1: object has no kind`,
        '3 findings: 1 warning, 2 info (2 suppressed)',
        'Error: 2 file(s) could not be parsed',
        '',
      ].join('\n'));
      await expect(r.stdout).toMatchFileSnapshot(golden(`${format}-problems`));
    });
  }

  it('agrees across formats on which findings are shown and where they point', async () => {
    const log = (await run([...GOLDEN_ARGS, '-o', 'log'])).stdout;
    const positions = [...log.matchAll(/^(\w+) \[(\w+)\] \(\S+ \S+ (\S+):(\d+):(\d+)\)/gm)].map((m) => `${m[2]} ${m[3]}:${m[4]}:${m[5]}`);
    expect(positions).toEqual([
      `IST0150 ${SHOP}:48:11`,
      `IST0118 ${SHOP}:15:5`,
      `MSH0001 ${SHOP}:29:7`,
    ]);
    const json = JSON.parse((await run([...GOLDEN_ARGS, '-o', 'json'])).stdout) as { code: string; reference: string; column: number }[];
    expect(json.map((f) => `${f.code} ${f.reference}:${f.column}`)).toEqual(positions);
    const yaml = parseYaml((await run([...GOLDEN_ARGS, '-o', 'yaml'])).stdout) as typeof json;
    expect(yaml).toEqual(json);
    const github = (await run([...GOLDEN_ARGS, '-o', 'github'])).stdout.trimEnd().split('\n')
      .map((l) => /title=(\w+)::/.exec(l)![1] + ' ' + /file=([^,]+),line=(\d+),col=(\d+)/.exec(l)!.slice(1).join(':'));
    expect(github).toEqual(positions);
    const sarif = JSON.parse((await run([...GOLDEN_ARGS, '-o', 'sarif'])).stdout);
    const unsuppressed = sarif.runs[0].results.filter((r: any) => !r.suppressions)
      .map((r: any) => `${r.ruleId} ${r.locations[0].physicalLocation.artifactLocation.uri}:${r.locations[0].physicalLocation.region.startLine}:${r.locations[0].physicalLocation.region.startColumn}`);
    expect(unsuppressed).toEqual(positions);
    const junit = parseXml((await run([...GOLDEN_ARGS, '-o', 'junit'])).stdout);
    expect(elements(junit, 'failure').map((f) => `${f.parentElement!.getAttribute('name')!.split(' ')[0]} ${f.textContent!.split(': ')[0]}`)).toEqual(positions);
  });
});

describe('sarif', () => {
  it('is valid SARIF 2.1.0 for findings, unparseable files and standard input', async () => {
    expect(sarifErrors((await run([...GOLDEN_ARGS, '-o', 'sarif'])).stdout)).toEqual([]);
    expect(sarifErrors((await run([...PROBLEM_ARGS, '-o', 'sarif'])).stdout)).toEqual([]);
    const stdin = await run(['analyze', '-', ...ONLY, '-o', 'sarif'], { stdin: readFileSync(join(repoRoot, SHOP), 'utf8') });
    expect(sarifErrors(stdin.stdout)).toEqual([]);
    const log = JSON.parse(stdin.stdout);
    expect(log.runs[0].artifacts).toEqual([{ location: { uri: '%3Cstdin%3E', description: { text: 'standard input' } } }]);
    expect(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation).toEqual({ uri: '%3Cstdin%3E', index: 0, description: { text: 'standard input' } });
  });

  it('the schema check catches a broken log (the validator is not vacuous)', async () => {
    const log = JSON.parse((await run([...GOLDEN_ARGS, '-o', 'sarif'])).stdout);
    log.runs[0].results[0].level = 'info';
    expect(sarifErrors(JSON.stringify(log))).not.toEqual([]);
    delete log.version;
    expect(sarifErrors(JSON.stringify(log))).not.toEqual([]);
  });

  it('has one rule per code of the analyzers that ran, and results point at their rule', async () => {
    const log = JSON.parse((await run([...GOLDEN_ARGS, '-o', 'sarif'])).stdout);
    const { driver } = log.runs[0].tool;
    expect(driver.name).toBe('meshctl');
    expect(driver.version).toBe('0.0.0-test');
    expect(driver.rules.map((r: any) => r.id)).toEqual(['IST0118', 'IST0150', 'MSH0001', 'MSH0002']);
    expect(driver.rules[0]).toEqual({
      id: 'IST0118',
      name: 'PortNameIsNotUnderNamingConvention',
      shortDescription: { text: MESSAGES.PortNameIsNotUnderNamingConvention.summary },
      helpUri: 'https://istio.io/v1.30/docs/reference/config/analysis/ist0118/?ref=istioctl-analyze',
      defaultConfiguration: { level: 'note' },
    });
    expect(driver.rules.map((r: any) => r.defaultConfiguration.level)).toEqual(['note', 'warning', 'note', 'warning']);
    for (const result of log.runs[0].results) expect(driver.rules[result.ruleIndex].id).toBe(result.ruleId);
    expect(log.runs[0].invocations).toEqual([{ executionSuccessful: true }]);

    const all = JSON.parse((await run(['analyze', CLEAN, '-o', 'sarif'])).stdout);
    // A default run leaves the opt-in analyzers out, and their codes with them.
    const codes = new Set(ANALYZERS.filter((a) => !a.optIn).flatMap((a) => a.messages.map((m) => m.code)));
    expect(all.runs[0].tool.driver.rules.map((r: any) => r.id)).toEqual([...codes].sort());
    expect(all.runs[0].results).toEqual([]);
  });

  it('keeps suppressed findings, external for -S and inSource at the annotation', async () => {
    const log = JSON.parse((await run([...GOLDEN_ARGS, '-o', 'sarif'])).stdout);
    const suppressed = log.runs[0].results.filter((r: any) => r.suppressions).map((r: any) => [r.locations[0].logicalLocations[0].fullyQualifiedName, r.suppressions]);
    const at = (line: number, column: number) => ({
      physicalLocation: { artifactLocation: { uri: SHOP, index: 1 }, region: { startLine: line, startColumn: column } },
    });
    expect(suppressed).toEqual([
      ['Service shop/admin', [{ kind: 'inSource', status: 'accepted', justification: 'galley.istio.io/analyze-suppress: IST0118', location: at(58, 39) }]],
      ['Service shop/legacy-api', [{ kind: 'external', status: 'accepted', justification: '-S IST0118=Service shop/legacy-*' }]],
    ]);
  });

  it('reports unparseable files as error notifications with their positions', async () => {
    const log = JSON.parse((await run([...PROBLEM_ARGS, '-o', 'sarif'])).stdout);
    const [invocation] = log.runs[0].invocations;
    expect(invocation.executionSuccessful).toBe(false);
    expect(invocation.toolExecutionNotifications.map((n: any) => [n.level, n.message.text, n.locations[0].physicalLocation.artifactLocation.uri, n.locations[0].physicalLocation.region])).toEqual([
      ['error', 'YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]', `${OUT}/problems/broken.yaml`, { startLine: 9, startColumn: 1 }],
      ['error', 'object has no kind', `${OUT}/problems/no-kind.yaml`, { startLine: 12, startColumn: 1 }],
    ]);
  });

  it('writes file names as URI references', () => {
    expect(artifactUri('k8s/app.yaml')).toBe('k8s/app.yaml');
    expect(artifactUri('./k8s/app.yaml')).toBe('k8s/app.yaml');
    expect(artifactUri('my dir/a#1%.yaml')).toBe('my%20dir/a%231%25.yaml');
    expect(artifactUri('c:d.yaml')).toBe('c%3Ad.yaml');
    expect(artifactUri('/srv/mesh/app.yaml')).toBe('file:///srv/mesh/app.yaml');
    expect(artifactUri('C:\\mesh\\a b.yaml')).toBe('file:///C:/mesh/a%20b.yaml');
    expect(artifactUri('<stdin>')).toBe('%3Cstdin%3E');
  });
});

/** A finding on a made-up resource, for the escaping tests. */
function finding(message: string, file: string, suppressed?: Finding['suppressed']): Finding {
  const resource: Resource = { key: 'Service', group: '', version: 'v1', kind: 'Service', namespace: 'a&b', name: 'x"<y>', object: {} };
  return {
    type: MESSAGES.PortNameIsNotUnderNamingConvention, message, resource, path: ['spec', 'ports', 0, 'name'],
    position: { file, line: 3, column: 7 }, analyzer: 'service.PortNameAnalyzer', ...(suppressed ? { suppressed } : {}),
  };
}

function report(findings: Finding[], extra: Partial<ReportInput> = {}): ReportInput {
  return { findings, problems: [], files: [...new Set(findings.map((f) => f.position!.file))], analyzers: ANALYZERS.slice(0, 1), version: '0.0.0-test', color: false, ...extra };
}

const HOSTILE = 'a < b && c > d "quoted" \'single\'\nsecond line\r\tend ]]> 100% \u0001\u001b[31m \uD800 \uFFFE \u{1F600}';

describe('junit', () => {
  it('has one suite per file, failures for findings, skipped for suppressed, errors for parse errors', async () => {
    const root = parseXml((await run([...PROBLEM_ARGS, '-o', 'junit'])).stdout);
    expect(root.tagName).toBe('testsuites');
    const suites = elements(root, 'testsuite');
    expect(suites.map((s) => [s.getAttribute('name'), s.getAttribute('tests'), s.getAttribute('failures'), s.getAttribute('errors'), s.getAttribute('skipped')])).toEqual([
      [`${OUT}/problems/broken.yaml`, '1', '0', '1', '0'],
      [`${OUT}/problems/no-kind.yaml`, '1', '0', '1', '0'],
      [SHOP, '5', '3', '0', '2'],
    ]);
    expect([root.getAttribute('tests'), root.getAttribute('failures'), root.getAttribute('errors'), root.getAttribute('skipped')]).toEqual(['7', '3', '2', '2']);
    const error = elements(suites[1]!, 'error')[0]!;
    expect(error.getAttribute('message')).toBe('object has no kind');
    expect(error.textContent).toBe(`${OUT}/problems/no-kind.yaml:12:1: object has no kind`);
    const failure = elements(suites[2]!, 'failure')[0]!;
    expect(failure.getAttribute('type')).toBe('Warning');
    expect(failure.parentElement!.getAttribute('classname')).toBe('service.PortNameAnalyzer');
    expect(failure.parentElement!.getAttribute('name')).toBe('IST0150 Service shop/orders-db (spec.ports[0].name)');
    expect(elements(suites[2]!, 'skipped').map((s) => s.getAttribute('message'))).toEqual([
      'suppressed by galley.istio.io/analyze-suppress: IST0118',
      'suppressed by -S IST0118=Service shop/legacy-*',
    ]);
  });

  it('gives a clean file one passing test case', async () => {
    const root = parseXml((await run(['analyze', CLEAN, ...ONLY, '-o', 'junit'])).stdout);
    const cases = elements(root, 'testcase');
    expect(cases.map((c) => [c.getAttribute('name'), c.getAttribute('classname'), c.childNodes.length])).toEqual([['no findings', 'meshctl.analyze', 0]]);
  });

  it('escapes markup, quotes, line breaks and characters XML cannot hold', () => {
    const xml = formatJunit(report([finding(HOSTILE, 'dir/a&b.yaml'), finding('quiet', 'dir/a&b.yaml', { by: 'flag', rule: 'IST0118=Service a&b/*' })]));
    const root = parseXml(xml);
    const failure = elements(root, 'failure')[0]!;
    // What XML 1.0 cannot carry becomes U+FFFD; everything else comes back as it was, line breaks and tab included.
    const expected = HOSTILE.replace(/[\u0001\u001b\uD800\uFFFE]/g, '\uFFFD');
    expect(failure.getAttribute('message')).toBe(expected);
    expect(failure.textContent).toContain(`dir/a&b.yaml:3:7: Info [IST0118] ${expected}`);
    expect(failure.parentElement!.getAttribute('name')).toBe('IST0118 Service a&b/x"<y> (spec.ports[0].name)');
    expect(elements(root, 'testsuite')[0]!.getAttribute('name')).toBe('dir/a&b.yaml');
    expect(elements(root, 'skipped')[0]!.getAttribute('message')).toBe('suppressed by -S IST0118=Service a&b/*');
  });

  it('escapes attribute and text content as XML 1.0 requires', () => {
    expect(escapeXml('<a href="x">&\'</a>', true)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
    expect(escapeXml('<a href="x">&\'</a>')).toBe('&lt;a href="x"&gt;&amp;\'&lt;/a&gt;');
    expect(escapeXml('1\n2\t3\r', true)).toBe('1&#10;2&#9;3&#13;');
    expect(escapeXml('1\n2\t3\r')).toBe('1\n2\t3&#13;');
    expect(escapeXml('\u0000\u0008\u000b\uDFFF\uFFFF ok \u{10FFFF}')).toBe('\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD ok \u{10FFFF}');
  });
});

describe('github', () => {
  it('writes one workflow command per unsuppressed finding with the level mapped', async () => {
    const lines = (await run([...GOLDEN_ARGS, '-o', 'github'])).stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.slice(0, l.indexOf(' ')))).toEqual(['::warning', '::notice', '::notice']);
    expect(lines.some((l) => l.includes('legacy-api') || l.includes('admin'))).toBe(false);
  });

  it('escapes data and properties as the Actions runner expects', () => {
    expect(escapeData('100% done\r\nnext: a,b')).toBe('100%25 done%0D%0Anext: a,b');
    expect(escapeProperty('100% done\r\nnext: a,b')).toBe('100%25 done%0D%0Anext%3A a%2Cb');
    const out = formatGithub(report([finding('50% of ports:\nunnamed, see docs', 'k8s/a,b:c.yaml'), finding('hidden', 'k8s/x.yaml', { by: 'annotation', rule: 'r' })]));
    expect(out).toBe('::notice file=k8s/a%2Cb%3Ac.yaml,line=3,col=7,title=IST0118::50%25 of ports:%0Aunnamed, see docs\n');
  });

  it('annotates unparseable files, and leaves out the file for standard input', () => {
    const out = formatGithub(report([finding('on stdin', '<stdin>')], {
      problems: [{ file: 'bad.yaml', position: { file: 'bad.yaml', line: 4, column: 2 }, message: 'YAML syntax error: x' }, { file: 'gone.yaml', message: 'no such file or directory' }],
    }));
    expect(out).toBe([
      '::error file=bad.yaml,line=4,col=2,title=parse error::YAML syntax error: x',
      '::error file=gone.yaml,title=parse error::no such file or directory',
      '::notice title=IST0118::on stdin',
      '',
    ].join('\n'));
  });
});
