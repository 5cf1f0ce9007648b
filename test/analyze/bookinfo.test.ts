/**
 * The acceptance case: Bookinfo (Istio's sample, byte-identical copies in testdata/analyze/bookinfo/)
 * with its gateway analyzes clean with every analyzer; a broken copy (details' port unnamed,
 * reviews-v1 without a version label) reports IST0118 and MSH0001 at the same line and column in
 * every output format, and the exit code does not depend on the format.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { run } from '../helpers.js';
import { analyzeTestdata } from './harness.js';

const bookinfo = join(analyzeTestdata, 'bookinfo', 'bookinfo.yaml');
const gateway = join(analyzeTestdata, 'bookinfo', 'bookinfo-gateway.yaml');
const broken = join(analyzeTestdata, 'bookinfo-broken.yaml');
const rel = 'test/testdata/analyze/bookinfo-broken.yaml';

// Where the findings must point: the unnamed port's list item, and the labels key of reviews-v1's pod template.
const PORT = { line: 43, column: 5 };
const LABELS = { line: 170, column: 7 };

describe('Bookinfo', () => {
  it('with its gateway: no finding, exit 0, the all-clear on stderr', async () => {
    const r = await run(['analyze', bookinfo, gateway]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('\u2714 No validation issues found when analyzing 2 files.\n');
    expect(r.code).toBe(0);
  });

  it('broken copy, log format: IST0118 and MSH0001 with file:line:column', async () => {
    const r = await run(['analyze', broken, gateway]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toEqual([
      `Info [IST0118] (Service default/details ${broken}:${PORT.line}:${PORT.column}) Port name  (port: 9080, targetPort: 9080) doesn't follow the naming convention of Istio port.`,
      `Info [MSH0001] (Deployment default/reviews-v1 ${broken}:${LABELS.line}:${LABELS.column}) The pod template has no version label (any of service.istio.io/canonical-revision, app.kubernetes.io/version, version); telemetry reports the version as "latest".`,
    ]);
    expect(r.stderr).toBe('2 findings: 2 info\n');
  });

  it('broken copy: the same findings and positions in json and yaml', async () => {
    for (const format of ['json', 'yaml'] as const) {
      const r = await run(['analyze', '-o', format, broken, gateway]);
      expect(r.code).toBe(0);
      const records = (format === 'json' ? JSON.parse(r.stdout) : parseYaml(r.stdout)) as Record<string, unknown>[];
      expect(records.map((x) => [x.code, x.origin, x.line, x.column, x.path])).toEqual([
        ['IST0118', 'Service default/details', PORT.line, PORT.column, 'spec.ports[0]'],
        ['MSH0001', 'Deployment default/reviews-v1', LABELS.line, LABELS.column, 'spec.template.metadata.labels'],
      ]);
    }
  });

  it('broken copy: the same findings and positions in sarif, junit and github', async () => {
    const sarif = await run(['analyze', '-o', 'sarif', rel, gateway]);
    const results = JSON.parse(sarif.stdout).runs[0].results as { ruleId: string; locations: { physicalLocation: { region: { startLine: number; startColumn: number } } }[] }[];
    expect(results.map((x) => [x.ruleId, x.locations[0]!.physicalLocation.region.startLine, x.locations[0]!.physicalLocation.region.startColumn]))
      .toEqual([['IST0118', PORT.line, PORT.column], ['MSH0001', LABELS.line, LABELS.column]]);

    const junit = await run(['analyze', '-o', 'junit', rel, gateway]);
    expect(junit.stdout).toContain(`${rel}:${PORT.line}:${PORT.column}`);
    expect(junit.stdout).toContain(`${rel}:${LABELS.line}:${LABELS.column}`);

    const github = await run(['analyze', '-o', 'github', rel, gateway]);
    const commands = github.stdout.trimEnd().split('\n');
    expect(commands).toHaveLength(2);
    expect(commands[0]).toMatch(new RegExp(`^::notice file=${rel},line=${PORT.line},col=${PORT.column},.*IST0118`));
    expect(commands[1]).toMatch(new RegExp(`^::notice file=${rel},line=${LABELS.line},col=${LABELS.column},.*MSH0001`));
    for (const r of [sarif, junit, github]) expect(r.code).toBe(0);
  });

  it('exits 79 in every format when the failure threshold is Info', async () => {
    for (const format of ['log', 'json', 'yaml', 'sarif', 'junit', 'github']) {
      const r = await run(['analyze', '-o', format, '--failure-threshold', 'Info', broken, gateway]);
      expect(r.code, format).toBe(79);
      expect(r.stderr, format).toContain('Analyzers found issues');
    }
  });
});
