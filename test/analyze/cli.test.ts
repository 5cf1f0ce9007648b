/**
 * `meshctl analyze` as a command: the exit-code matrix over every output format, thresholds,
 * usage errors, suppression flags, namespaces, `-L`, stdin, directories, where the summary goes,
 * and hostile or broken input (clear `file:line:column` messages, no stack trace, no hang).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Analyzer } from '../../src/analyze/analyzer.js';
import { ANALYZERS } from '../../src/analyze/registry.js';
import { ANALYZE_FORMATS } from '../../src/cli/analyze.js';
import { repoRoot, run, type RunResult } from '../helpers.js';

// The exit-code matrix needs an Error-level finding whose input no real analyzer's rules can
// change. This stand-in reports IST0101 (an Error in Istio 1.30.3) on Services annotated
// `test.meshctl.dev/error: "<kind> <name>"`. It exists only in this file's module graph.
vi.mock('../../src/analyze/registry.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/analyze/registry.js')>();
  const { K } = await import('../../src/analyze/kinds.js');
  const { MESSAGES } = await import('../../src/analyze/messages.js');
  const { annotationsOf } = await import('../../src/analyze/resource.js');
  const ANNOTATION = 'test.meshctl.dev/error';
  const errorAnalyzer: Analyzer = {
    name: 'test.ErrorAnalyzer',
    description: `Reports IST0101 on Services annotated ${ANNOTATION} (CLI tests only)`,
    inputs: [K.Service],
    messages: [MESSAGES.ReferencedResourceNotFound],
    analyze(ctx) {
      for (const svc of ctx.list(K.Service)) {
        const what = annotationsOf(svc)[ANNOTATION];
        if (what === undefined) continue;
        const [kind, name] = what.split(' ');
        ctx.report(MESSAGES.ReferencedResourceNotFound, { resource: svc, path: ['metadata', 'annotations', ANNOTATION] }, kind, name);
      }
    },
  };
  const byName = (a: Analyzer, b: Analyzer): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const isTest = (n: string): boolean => n === 'test' || n === errorAnalyzer.name;
  return {
    ...real,
    ANALYZERS: [...real.ANALYZERS, errorAnalyzer].sort(byName),
    selectAnalyzers(names: readonly string[]) {
      const rest = names.filter((n) => !isTest(n));
      const picked = rest.length > 0 || names.length === 0 ? real.selectAnalyzers(rest) : { analyzers: [], unknown: [] };
      const withTest = names.length === 0 || rest.length < names.length;
      return { analyzers: withTest ? [...picked.analyzers, errorAnalyzer].sort(byName) : picked.analyzers, unknown: picked.unknown };
    },
  };
});

const OUT = 'test/testdata/analyze/output';
const CLEAN = `${OUT}/input/clean.yaml`;
const SHOP = `${OUT}/input/shop.yaml`;
const INFO = `${OUT}/cli/info.yaml`;
const ERROR = `${OUT}/cli/error.yaml`;
const NO_NAMESPACE = `${OUT}/cli/no-namespace.yaml`;
const BROKEN = `${OUT}/problems/broken.yaml`;
// The finished analyzers and the stand-in, so analyzers added later cannot change the outcomes.
const ANALYZER_FLAGS = ['--analyzer', 'service.PortNameAnalyzer', '--analyzer', 'workload.AppVersionLabelAnalyzer', '--analyzer', 'test.ErrorAnalyzer'];

const analyze = (args: readonly string[], stdin?: string): Promise<RunResult> =>
  run(['analyze', ...args, ...ANALYZER_FLAGS], stdin === undefined ? {} : { stdin });

const ISSUES = 'Error: Analyzers found issues when analyzing all namespaces.\nSee https://istio.io/v1.30/docs/reference/config/analysis for more information about causes and resolutions.\n';
const STACK = /^\s+at /m;

/**
 * Returns how many unsuppressed findings `stdout` shows in `format`, after checking that it is
 * well-formed for the format (parses as JSON/YAML/XML; github lines are workflow commands).
 */
function shownFindings(format: string, stdout: string): number {
  switch (format) {
    case 'log': return stdout === '' ? 0 : stdout.trimEnd().split('\n').length;
    case 'json': return (JSON.parse(stdout) as unknown[]).length;
    case 'yaml': return (parseYaml(stdout) as unknown[]).length;
    case 'sarif': return (JSON.parse(stdout).runs[0].results as { suppressions?: unknown }[]).filter((r) => !r.suppressions).length;
    case 'junit': {
      const doc = new DOMParser({ onError: (level, message) => { throw new Error(`${level}: ${message}`); } }).parseFromString(stdout, 'text/xml');
      return doc.getElementsByTagName('failure').length;
    }
    case 'github': {
      const lines = stdout === '' ? [] : stdout.trimEnd().split('\n');
      for (const l of lines) expect(l).toMatch(/^::(error|warning|notice) [^:]*::/);
      return lines.filter((l) => !l.includes('title=parse error::')).length;
    }
    default: throw new Error(`no reader for ${format}`);
  }
}

interface MatrixCase {
  name: string;
  args: string[];
  code: number;
  /** Unsuppressed findings on stdout. */
  shown: number;
}

const MATRIX: MatrixCase[] = [
  { name: 'no findings', args: [CLEAN], code: 0, shown: 0 },
  { name: 'an Info finding', args: [INFO], code: 0, shown: 1 },
  { name: 'Warning and Info findings', args: [SHOP], code: 0, shown: 4 },
  { name: 'an Error finding', args: [ERROR], code: 79, shown: 1 },
  { name: 'an unparseable file', args: [CLEAN, BROKEN], code: 65, shown: 0 },
  { name: 'an Error finding and an unparseable file', args: [ERROR, BROKEN], code: 79, shown: 1 },
  { name: 'an unparseable file with --ignore-unknown', args: [INFO, BROKEN, '--ignore-unknown'], code: 0, shown: 1 },
  { name: 'an Error finding and an unparseable file with --ignore-unknown', args: [ERROR, BROKEN, '--ignore-unknown'], code: 79, shown: 1 },
  { name: 'an Info finding with --failure-threshold Info', args: [INFO, '--failure-threshold', 'Info'], code: 79, shown: 1 },
  { name: 'a Warning finding with --failure-threshold warning', args: [SHOP, '--failure-threshold', 'warning'], code: 79, shown: 4 },
  { name: 'an Info finding hidden by --output-threshold Error, failing at Info', args: [INFO, '--output-threshold', 'Error', '--failure-threshold', 'Info'], code: 79, shown: 0 },
  { name: 'Info findings hidden by --output-threshold Warning', args: [SHOP, '--output-threshold', 'Warning'], code: 0, shown: 1 },
  { name: 'an Error finding suppressed by -S', args: [ERROR, '-S', 'IST0101=Service shop/checkout'], code: 0, shown: 0 },
];

describe('analyze exit codes', () => {
  for (const format of ANALYZE_FORMATS) {
    for (const c of MATRIX) {
      it(`-o ${format}: ${c.name} → ${c.code}`, async () => {
        const r = await analyze([...c.args, '-o', format]);
        expect(r.code).toBe(c.code);
        expect(shownFindings(format, r.stdout)).toBe(c.shown);
        // People's lines go to stderr only.
        expect(r.stdout).not.toMatch(/✔|No validation issues|findings?:|could not be parsed|Analyzers found issues/);
        expect(r.stderr).not.toMatch(STACK);
        if (c.code === 79) expect(r.stderr.endsWith(ISSUES)).toBe(true);
        if (c.code === 65) expect(r.stderr.endsWith('Error: 1 file(s) could not be parsed\n')).toBe(true);
        if (c.args.includes(BROKEN)) expect(r.stderr).toContain(`Error: ${BROKEN}:9:1: YAML syntax error: `);
      });
    }
  }

  it('prints the check mark and the summary on stderr', async () => {
    const clean = await analyze([CLEAN]);
    expect(clean).toEqual({ code: 0, stdout: '', stderr: `✔ No validation issues found when analyzing ${CLEAN}.\n` });
    const two = await analyze([CLEAN, INFO, '-o', 'json']);
    expect(two.stderr).toBe('1 finding: 1 info\n');
    const hidden = await analyze([SHOP, '--output-threshold', 'Error']);
    expect(hidden.stdout).toBe('');
    expect(hidden.stderr).toBe('4 findings: 1 warning, 3 info (0 shown; 1 suppressed)\n');
    const broken = await analyze([CLEAN, BROKEN]);
    expect(broken.stderr).toBe([
      `Error: ${BROKEN}:9:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]`,
      'No validation issues found when analyzing 2 files (but 1 file(s) could not be parsed).',
      'Error: 1 file(s) could not be parsed',
      '',
    ].join('\n'));
  });

  it('reports an Error finding in the log format', async () => {
    const r = await analyze([ERROR]);
    expect(r.stdout).toBe(`Error [IST0101] (Service shop/checkout ${ERROR}:9:29) Referenced gateway not found: "shop/missing"\n`);
    expect(r.stderr).toBe(`1 finding: 1 error\n${ISSUES}`);
  });
});

describe('analyze usage errors (exit 64)', () => {
  const cases: [string, string[], string | RegExp][] = [
    ['an unknown output format, listing the formats', [INFO, '-o', 'xml'], `Error: xml is not a valid option for format (-o); use one of ${ANALYZE_FORMATS.join(', ')}\n`],
    ['a bad --output-threshold', [INFO, '--output-threshold', 'Fatal'], 'Error: invalid level "Fatal" for --output-threshold: use Info, Warning or Error\n'],
    ['a bad --failure-threshold', [INFO, '--failure-threshold', ''], 'Error: invalid level "" for --failure-threshold: use Info, Warning or Error\n'],
    ['a -S value without =', [INFO, '-S', 'IST0118'], 'Error: IST0118 is not a valid suppression value (expected CODE=Kind namespace/name, e.g. IST0102=Namespace default)\n'],
    ['a -S value without a resource', [INFO, '-S', 'IST0118='], /^Error: IST0118= is not a valid suppression value/],
    ['a -S value without a code', [INFO, '-S', '=Service shop/x'], /^Error: =Service shop\/x is not a valid suppression value/],
    ['an unknown analyzer', [INFO, '--analyzer', 'service.NoSuchAnalyzer'], 'Error: unknown analyzer "service.NoSuchAnalyzer"; list them with -L\n'],
    ['-n with -A', [INFO, '-n', 'shop', '-A'], 'Error: -n/--namespace and -A/--all-namespaces cannot be used together\n'],
    ['no files and no cluster', [], 'Error: no files given, and the cluster cannot be used (no cluster configured: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config); pass files, directories or - for stdin\n'],
  ];
  for (const [name, args, stderr] of cases) {
    it(name, async () => {
      const r = await run(['analyze', ...args]);
      expect(r.code).toBe(64);
      expect(r.stdout).toBe('');
      if (typeof stderr === 'string') expect(r.stderr).toBe(stderr);
      else expect(r.stderr).toMatch(stderr);
    });
  }
});

describe('analyze flags', () => {
  const logCodes = (r: RunResult): string[] => r.stdout.trimEnd().split('\n').filter((l) => l).map((l) => l.split(' (')[0]!.replace(/^\w+ /, '') + ' ' + /\((\S+ \S+)/.exec(l)![1]);

  it('only warns about an unknown code in -S', async () => {
    const r = await analyze([INFO, '-S', 'XYZ0001=Service *']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("Warning: Supplied message code 'XYZ0001' is an unknown message code and will not have any effect.\n1 finding: 1 info\n");
    expect(logCodes(r)).toEqual(['[IST0118] Service shop/reports']);
  });

  it('matches -S resource globs, and codes in any case', async () => {
    const base = ['[IST0150] Service shop/orders-db', '[IST0118] Service shop/legacy-api', '[IST0118] Service shop/web', '[MSH0001] Deployment shop/web'];
    expect(logCodes(await analyze([SHOP]))).toEqual(base);
    expect(logCodes(await analyze([SHOP, '-S', 'IST0118=Service shop/*']))).toEqual([base[0], base[3]]);
    expect(logCodes(await analyze([SHOP, '-S', 'IST0118=*']))).toEqual([base[0], base[3]]);
    expect(logCodes(await analyze([SHOP, '-S', 'ist0150=*/orders-*', '-S', 'MSH0001=Deployment shop/web']))).toEqual([base[1], base[2]]);
    expect(logCodes(await analyze([SHOP, '-S', 'IST0118=Service other/*', '-S', 'IST0118=Service shop/web-*']))).toEqual(base);
  });

  it('places objects without a namespace in default, or in the -n namespace, and reports only that namespace', async () => {
    expect(logCodes(await analyze([NO_NAMESPACE]))).toEqual(['[IST0118] Service default/metrics']);
    expect(logCodes(await analyze([NO_NAMESPACE, '-n', 'team']))).toEqual(['[IST0118] Service team/metrics']);
    expect(logCodes(await analyze([NO_NAMESPACE, SHOP, '-n', 'shop']))).toEqual([
      '[IST0150] Service shop/orders-db', '[IST0118] Service shop/legacy-api', '[IST0118] Service shop/metrics', '[IST0118] Service shop/web', '[MSH0001] Deployment shop/web',
    ]);
    const other = await analyze([SHOP, '-n', 'other']);
    expect(other).toEqual({ code: 0, stdout: '', stderr: '✔ No validation issues found when analyzing namespace: other.\n' });
    const all = await analyze([NO_NAMESPACE, SHOP, '-A']);
    expect(logCodes(all)).toContain('[IST0118] Service default/metrics');
    expect(logCodes(all)).toContain('[IST0118] Service shop/web');
  });

  it('lists the analyzers with -L and analyzes nothing', async () => {
    const r = await run(['analyze', '-L']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(ANALYZERS.map((a) => `* ${a.name}${a.optIn ? ' (runs only when named with --analyzer)' : ''}:\n    ${a.description}\n`).join(''));
    expect(r.stdout).toContain('* annotations.AlphaAnalyzer (runs only when named with --analyzer):\n');
    expect(r.stdout).toContain('* service.PortNameAnalyzer:\n    Flags Service ports whose protocol Istio cannot tell from their name or appProtocol\n');
    expect(r.stdout).toContain('* test.ErrorAnalyzer:\n');
  });

  it('reads standard input for -', async () => {
    const r = await analyze(['-'], readFileSync(join(repoRoot, INFO), 'utf8'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Info [IST0118] (Service shop/reports <stdin>:9:11) Port name reports (port: 8080, targetPort: 8080) doesn't follow the naming convention of Istio port.\n");
    expect(r.stderr).toBe('1 finding: 1 info\n');
    const broken = await analyze(['-'], 'kind: [\n');
    expect(broken.code).toBe(65);
    expect(broken.stderr).toMatch(/^Error: <stdin>:\d+:\d+: YAML syntax error: /);
  });

  it('walks a directory argument like the files in it, in name order', async () => {
    const dir = await analyze([`${OUT}/input`, '-o', 'json']);
    const files = await analyze([CLEAN, SHOP, '-o', 'json']);
    expect(dir.code).toBe(0);
    expect(dir.stdout).toBe(files.stdout);
    expect(JSON.parse(dir.stdout)).toHaveLength(4);
    expect((await analyze([`${OUT}/input`])).stderr).toBe('4 findings: 1 warning, 3 info (1 suppressed)\n');
  });

  it('reads a file named twice once, so its workloads do not look duplicated', async () => {
    expect((await analyze([`${OUT}/input/`, CLEAN, `./${SHOP}`])).stderr).toBe('4 findings: 1 warning, 3 info (1 suppressed)\n');
    const twice = await analyze(['-', '-', '-o', 'sarif'], readFileSync(join(repoRoot, CLEAN), 'utf8'));
    expect(twice.code).toBe(0);
    expect(JSON.parse(twice.stdout).runs[0].artifacts).toHaveLength(1);
  });

  it('keeps the last of one object given in two files, as a later kubectl apply would', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshctl-analyze-dup-'));
    const deployment = (labels: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: cart, namespace: shop}
spec:
  selector: {matchLabels: {app: cart}}
  template:
    metadata:
      labels: {${labels}}
    spec:
      containers: [{name: cart, image: cart}]
`;
    writeFileSync(join(dir, 'a.yaml'), deployment('app: cart'));
    writeFileSync(join(dir, 'b.yaml'), deployment('app: cart, version: v1'));
    const r = await analyze([join(dir, 'a.yaml'), join(dir, 'b.yaml')]);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
    const reversed = await analyze([join(dir, 'b.yaml'), join(dir, 'a.yaml')]);
    expect(reversed.stdout).toMatch(new RegExp(`^Info \\[MSH0001\\] \\(Deployment shop/cart ${join(dir, 'a.yaml')}:8:7\\)`));
    expect(reversed.stdout.trimEnd().split('\n')).toHaveLength(1);
  });

  it('reports a missing file or an empty directory as unreadable input (65) and goes on with the rest', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'meshctl-analyze-empty-'));
    const r = await analyze(['no/such/file.yaml', empty, INFO]);
    expect(r.code).toBe(65);
    expect(r.stdout).toContain('[IST0118] (Service shop/reports');
    expect(r.stderr).toContain('Error: no/such/file.yaml: no such file or directory\n');
    expect(r.stderr).toContain(`Error: ${empty}: directory holds no .yaml, .yml or .json files\n`);
    expect(r.stderr).toMatch(/Error: 2 file\(s\) could not be parsed\n$/);
  });
});

describe('analyze on bad input', () => {
  let dir = '';
  const file = (name: string): string => join(dir, name);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'meshctl-analyze-bad-'));
    writeFileSync(file('binary.yaml'), Buffer.from([0x6b, 0x69, 0x6e, 0x64, 0x3a, 0x00, 0xff, 0xfe, 0x01, 0x0a]));
    writeFileSync(file('empty.yaml'), '');
    writeFileSync(file('comments.yaml'), '# nothing here\n---\n# nor here\n');
    writeFileSync(file('dup.yaml'), 'apiVersion: v1\nkind: Service\nmetadata:\n  name: dup\n  name: dup2\n');
    writeFileSync(file('list.yaml'), '- apiVersion: v1\n- kind: Service\n');
    writeFileSync(file('no-api-version.yaml'), 'kind: Service\nmetadata:\n  name: x\n');
    writeFileSync(file('no-name.yaml'), 'apiVersion: v1\nkind: Service\nmetadata:\n  namespace: shop\n');
    // Ten levels of ten aliases each: 10^10 nodes if expanded.
    let bomb = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 10; i++) bomb += `  a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
    writeFileSync(file('bomb.yaml'), bomb);
    const depth = 10_000;
    writeFileSync(file('deep.yaml'), `apiVersion: v1\nkind: Service\nmetadata:\n  name: deep\nspec: ${'['.repeat(depth)}${']'.repeat(depth)}\n`);
    writeFileSync(file('deep.json'), `{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "deep"}, "spec": ${'{"a": '.repeat(depth)}1${'}'.repeat(depth)}}\n`);
  });

  const cases: [string, number, string | RegExp][] = [
    [BROKEN, 65, `${BROKEN}:9:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]`],
    ['binary.yaml', 65, 'binary.yaml:1:6: binary file (NUL byte); expected YAML or JSON'],
    ['empty.yaml', 0, ''],
    ['comments.yaml', 0, ''],
    [`${OUT}/problems/no-kind.yaml`, 65, `${OUT}/problems/no-kind.yaml:12:1: object has no kind`],
    ['dup.yaml', 65, 'dup.yaml:5:3: YAML syntax error: Map keys must be unique'],
    ['list.yaml', 65, 'list.yaml:1:1: expected a Kubernetes object (a map with apiVersion and kind), found a list'],
    ['no-api-version.yaml', 65, 'no-api-version.yaml:1:1: Service has no apiVersion'],
    ['no-name.yaml', 65, 'no-name.yaml:4:3: Service has no metadata.name'],
    // at the first alias, where the expansion starts
    ['bomb.yaml', 65, /bomb\.yaml:7:12: YAML error: Excessive alias count indicates a resource exhaustion attack$/],
    ['deep.yaml', 65, /deep\.yaml:5:\d+: YAML error: collections are nested too deeply to read$/],
    ['deep.json', 65, /deep\.json:1:\d+: YAML error: collections are nested too deeply to read$/],
  ];
  for (const [name, code, message] of cases) {
    it(`${name} → ${code}${message ? ', with a clear message' : ''}`, { timeout: 30_000 }, async () => {
      const path = name.startsWith('test/') ? name : file(name);
      const r = await analyze([path]);
      expect(r.code).toBe(code);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toMatch(STACK);
      expect(r.stderr).not.toMatch(/Maximum call stack|RangeError|TypeError/);
      if (code === 0) {
        expect(r.stderr).toBe(`✔ No validation issues found when analyzing ${path}.\n`);
        return;
      }
      const first = r.stderr.split('\n')[0]!;
      if (typeof message === 'string') expect(first).toBe(`Error: ${name.startsWith('test/') ? '' : `${dir}/`}${message}`);
      else expect(first).toMatch(message);
      // Each format still writes a well-formed document.
      for (const format of ANALYZE_FORMATS) {
        const f = await analyze([path, '-o', format]);
        expect(f.code).toBe(65);
        expect(shownFindings(format, f.stdout)).toBe(0);
      }
    });
  }
});
