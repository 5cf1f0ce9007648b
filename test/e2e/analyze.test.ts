/** End to end: `bin/meshctl analyze` as built, run as a user or a CI job would, with execa. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { repoRoot, run } from '../helpers.js';

const bin = join(repoRoot, 'bin/meshctl');

const OUT = 'test/testdata/analyze/output';
const ONLY = ['--analyzer', 'service.PortNameAnalyzer', '--analyzer', 'workload.AppVersionLabelAnalyzer'];

describe('bin/meshctl analyze', () => {
  it('finds nothing wrong with Bookinfo and its gateway, exit 0', async () => {
    // Every registered analyzer runs here: the upstream sample must stay clean under all of them.
    const r = await execa(bin, ['analyze', `${OUT}/bookinfo`], { cwd: repoRoot, reject: false });
    expect(r.stderr).toBe('✔ No validation issues found when analyzing 2 files.');
    expect(r.stdout).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('reads Bookinfo from a pipe as well', async () => {
    const r = await execa(bin, ['analyze', '-'], { input: readFileSync(join(repoRoot, OUT, 'bookinfo/bookinfo.yaml'), 'utf8'), reject: false });
    expect(r.stderr).toBe('✔ No validation issues found when analyzing <stdin>.');
    expect(r.exitCode).toBe(0);
  });

  it('writes the same bytes as the in-process run, for every format', { timeout: 30_000 }, async () => {
    const args = ['analyze', `${OUT}/input`, '-S', 'IST0118=Service shop/legacy-*', ...ONLY];
    await Promise.all(['log', 'json', 'yaml', 'sarif', 'junit', 'github'].map(async (format) => {
      const r = await execa(bin, [...args, '-o', format], { cwd: repoRoot, stripFinalNewline: false, env: { NO_COLOR: '1' } });
      const inProcess = await run([...args, '-o', format]);
      expect(r.stdout, format).toBe(inProcess.stdout.replace('"version": "0.0.0-test"', `"version": "${pkgVersion()}"`));
      expect(r.exitCode).toBe(0);
    }));
  });

  it('exits 65 on a broken file with one clear line per problem and no stack trace', async () => {
    const r = await execa(bin, ['analyze', `${OUT}/problems/broken.yaml`, '-o', 'sarif'], { cwd: repoRoot, reject: false });
    expect(r.exitCode).toBe(65);
    expect(r.stderr.split('\n')).toEqual([
      `Error: ${OUT}/problems/broken.yaml:9:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]`,
      `No validation issues found when analyzing ${OUT}/problems/broken.yaml (but 1 file(s) could not be parsed).`,
      'Error: 1 file(s) could not be parsed',
    ]);
    expect(JSON.parse(r.stdout).runs[0].invocations[0].executionSuccessful).toBe(false);
  });
});

function pkgVersion(): string {
  return (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
}
