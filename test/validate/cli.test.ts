/** `meshctl validate` in-process: inputs, per-file lines, summary, exit codes, bad input. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runValidate, type AnalyzerFindingSource } from '../../src/cli/validate-impl.js';
import { repoRoot, run, testDeps } from '../helpers.js';

const testdata = relative(process.cwd(), join(repoRoot, 'test/testdata/validate')) || '.';
const bookinfo = ['bookinfo.yaml', 'bookinfo-gateway.yaml', 'destination-rule-all.yaml'].map((f) => join(testdata, 'bookinfo', f));
const scratch = mkdtempSync(join(tmpdir(), 'meshctl-validate-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes a scratch file and returns its path. */
function scratchFile(name: string, content: string | Buffer): string {
  const file = join(scratch, name);
  writeFileSync(file, content);
  return file;
}

const validService = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n    name: http\n';
// The misspelt key leaves the port without a name, so the port-name analyzer reports it too (IST0118).
const badService = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n    nmae: http\n';

describe('meshctl validate', () => {
  it('passes the Bookinfo samples: one line per file and a summary', async () => {
    const r = await run(['validate', ...bookinfo.flatMap((f) => ['-f', f])]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe([
      ...bookinfo.map((f) => `"${f}" is valid`),
      'validated 20 objects in 3 files: 0 errors, 0 warnings',
      '',
    ].join('\n'));
  });

  it('takes comma lists and directories (walked in name order)', async () => {
    const r = await run(['validate', '-f', `${bookinfo[0]},${bookinfo[1]}`, '-f', join(testdata, 'valid')]);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.endsWith('is valid'))).toEqual([
      `"${bookinfo[0]}" is valid`,
      `"${bookinfo[1]}" is valid`,
      `"${join(testdata, 'valid', 'core-kinds.yaml')}" is valid`,
      `"${join(testdata, 'valid', 'istio-kinds.yaml')}" is valid`,
    ]);
    expect(r.stderr).toContain('validated 43 objects in 4 files: 0 errors, 0 warnings');
  });

  it('reads stdin as <stdin>', async () => {
    const ok = await run(['validate', '-f', '-'], { stdin: validService });
    expect(ok).toEqual({ code: 0, stdout: '', stderr: '"<stdin>" is valid\nvalidated 1 object in 1 file: 0 errors, 0 warnings\n' });
    const bad = await run(['validate', '-f', '-'], { stdin: badService });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe([
      '<stdin>:7:5: Service//web: Port name  (port: 80, targetPort: 80) doesn\'t follow the naming convention of Istio port. [IST0118]',
      '<stdin>:8:5: Service//web: unknown field "spec.ports[0].nmae"',
      '"<stdin>" is invalid',
      'validated 1 object in 1 file: 2 errors, 0 warnings',
      '',
    ].join('\n'));
  });

  it('reports every file when one is bad, and exits 1', async () => {
    const bad = scratchFile('bad-service.yaml', badService);
    const r = await run(['validate', '-f', bookinfo[0]!, '-f', bad, '-f', bookinfo[1]!]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe([
      `"${bookinfo[0]}" is valid`,
      `${bad}:7:5: Service//web: Port name  (port: 80, targetPort: 80) doesn't follow the naming convention of Istio port. [IST0118]`,
      `${bad}:8:5: Service//web: unknown field "spec.ports[0].nmae"`,
      `"${bad}" is invalid`,
      `"${bookinfo[1]}" is valid`,
      'validated 17 objects in 3 files: 2 errors, 0 warnings',
      '',
    ].join('\n'));
  });

  it('calls a file without objects valid, and says so', async () => {
    const empty = scratchFile('empty.yaml', '');
    const comments = scratchFile('comments.yaml', '# nothing here\n---\n---\n');
    const r = await run(['validate', '-f', empty, '-f', comments]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`"${empty}" is valid (no objects)\n"${comments}" is valid (no objects)\nvalidated 0 objects in 2 files: 0 errors, 0 warnings\n`);
  });

  it('validates JSON files too', async () => {
    const json = scratchFile('svc.json', JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'j' }, spec: { ports: [{ name: 'http', port: 'eighty' }] } }, null, 2));
    const r = await run(['validate', '-f', json]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe([
      `${json}:11:17: Service//j: spec.ports[0].port: Invalid value: "string": spec.ports[0].port in body must be of type integer`,
      `"${json}" is invalid`,
      'validated 1 object in 1 file: 1 error, 0 warnings',
      '',
    ].join('\n'));
  });
});

describe('meshctl validate usage errors (exit 64)', () => {
  it('needs -f, with istioctl\'s hint', async () => {
    const r = await run(['validate']);
    expect(r.code).toBe(64);
    expect(r.stderr).toBe("Error: you must specify resources by --filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n");
  });

  it('rejects positional arguments', async () => {
    const r = await run(['validate', 'bookinfo.yaml']);
    expect(r.code).toBe(64);
    expect(r.stderr).toBe('Error: validate takes no arguments, got: bookinfo.yaml (did you mean -f bookinfo.yaml?)\n');
  });

  it('rejects unknown flags and stdin twice', async () => {
    expect((await run(['validate', '-f', bookinfo[0]!, '-o', 'json'])).code).toBe(64);
    expect((await run(['validate', '-f', '-', '-f', '-'])).code).toBe(64);
  });
});

describe('meshctl validate with input it cannot read or parse (exit 65)', () => {
  const cases: { name: string; file: () => string; expect: RegExp }[] = [
    { name: 'broken YAML', file: () => scratchFile('broken.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n'), expect: /broken\.yaml:\d+:\d+: YAML syntax error: / },
    { name: 'duplicate keys', file: () => scratchFile('dup.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  name: b\n'), expect: /dup\.yaml:5:3: YAML syntax error: Map keys must be unique/ },
    { name: 'binary content', file: () => scratchFile('binary.yaml', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02])), expect: /binary\.yaml:1:1: byte 0x89 is not UTF-8; expected UTF-8 text \(YAML or JSON\)/ },
    // A NUL byte before any byte that is not UTF-8 names the content binary, at the NUL.
    { name: 'binary content after text', file: () => scratchFile('nul.yaml', Buffer.from([0x6b, 0x69, 0x6e, 0x64, 0x3a, 0x00, 0xff, 0xfe])), expect: /nul\.yaml:1:6: binary file \(NUL byte\); expected YAML or JSON/ },
    {
      name: 'an alias bomb',
      file: () => scratchFile('bomb.yaml', ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => {
        const p = String.fromCharCode(97 + i);
        const n = String.fromCharCode(98 + i);
        return `${n}: &${n} [*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p}]`;
      })].join('\n')),
      expect: /bomb\.yaml:2:8: YAML error: .*alias/i,
    },
    { name: 'very deep nesting', file: () => scratchFile('deep.yaml', `${'['.repeat(50000)}${']'.repeat(50000)}`), expect: /deep\.yaml:\d+:\d+: YAML (syntax )?error: / },
    { name: 'a missing file', file: () => join(scratch, 'missing.yaml'), expect: /missing\.yaml: no such file or directory/ },
  ];

  it.each(cases)('$name: reports it without a stack trace, validates the other files, exits 65', async (c) => {
    const file = c.file();
    const bad = scratchFile('also-bad.yaml', badService);
    const r = await run(['validate', '-f', file, '-f', bad, '-f', bookinfo[1]!]);
    expect(r.code).toBe(65);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(c.expect);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toContain(`"${file}" could not be ${c.name === 'binary content' || c.name === 'binary content after text' || c.name === 'a missing file' ? 'read' : 'parsed'}`);
    expect(lines).toContain(`"${bad}" is invalid`);
    expect(lines).toContain(`"${bookinfo[1]}" is valid`);
    // One for the file that could not be read or parsed, two in the bad Service.
    expect(lines.at(-1)).toBe('validated 3 objects in 3 files: 3 errors, 0 warnings');
  });

  it('reports a directory without YAML files', async () => {
    const dir = mkdtempSync(join(scratch, 'empty-dir-'));
    const r = await run(['validate', '-f', dir]);
    expect(r.code).toBe(65);
    expect(r.stderr).toBe(`${dir}: directory holds no .yaml, .yml or .json files\n"${dir}" could not be read\nvalidated 0 objects in 1 file: 1 error, 0 warnings\n`);
  });
});

describe('analyzer findings extension point', () => {
  const svc = scratchFile('svc.yaml', validService);
  const report = (level: 'error' | 'warning'): AnalyzerFindingSource => (objects) => objects
    .filter((o) => o.object.kind === 'Service')
    .map((object) => ({ object, level, message: 'port name "http" checked by a test analyzer', path: ['spec', 'ports', 0, 'name'] }));

  it('prints warnings under "has warnings:" and still exits 0', async () => {
    const { deps, out } = testDeps();
    await runValidate(deps, { filename: [svc] }, report('warning'));
    expect(deps.exitCode).toBeUndefined();
    expect(out().stderr).toBe([
      `"${svc}" has warnings:`,
      `${svc}:8:11: warning: Service//web: port name "http" checked by a test analyzer`,
      'validated 1 object in 1 file: 0 errors, 1 warning',
      '',
    ].join('\n'));
  });

  it('makes the file invalid for errors, merged with schema findings in position order', async () => {
    const bad = scratchFile('bad-analyzed.yaml', badService.replace('port: 80', 'port: "80"'));
    const { deps, out } = testDeps();
    await runValidate(deps, { filename: [bad] }, (objects) => objects.map((object) => ({ object, level: 'error' as const, message: 'from an analyzer', path: ['metadata', 'name'] })));
    expect(deps.exitCode).toBe(1);
    expect(out().stderr).toBe([
      `${bad}:4:9: Service//web: from an analyzer`,
      `${bad}:7:11: Service//web: spec.ports[0].port: Invalid value: "string": spec.ports[0].port in body must be of type integer`,
      `${bad}:8:5: Service//web: unknown field "spec.ports[0].nmae"`,
      `"${bad}" is invalid`,
      'validated 1 object in 1 file: 3 errors, 0 warnings',
      '',
    ].join('\n'));
  });
});
