/**
 * The generated validators' code lives in schema-validators.txt and is compiled piece by piece
 * (src/schema/lazy-validators.ts): every declaration is found, from the sources and from the build,
 * and a text from another build is refused instead of compiled.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validatorCode as istioCode, istioKinds } from '../../src/generated/istio-validators.js';
import { coreValidators, validatorCode as coreCode } from '../../src/generated/k8s-validators.js';
import { lazyValidators, type DeclarationRow } from '../../src/schema/lazy-validators.js';
import { schemaProblems } from '../../src/schema/validate-object.js';
import { readGeneratedData } from '../../src/system.js';
import { repoRoot } from '../helpers.js';

describe('generated validators', () => {
  it('find the code of every declaration in src/generated/schema-validators.txt', () => {
    // A declaration a kind reaches but the text misplaces would otherwise fail only when some object reaches it.
    expect(coreCode.compileAll()).toBeGreaterThan(100);
    expect(istioCode.compileAll()).toBeGreaterThan(100);
  });

  it('validate an object of every kind and served version', () => {
    const keys = [
      ...Object.keys(coreValidators),
      ...istioKinds.flatMap((k) => k.versions.map((v) => `${k.group}/${v}/${k.kind}`)),
    ];
    expect(keys).toHaveLength(12 + istioKinds.reduce((n, k) => n + k.versions.length, 0));
    for (const key of keys) {
      const slash = key.lastIndexOf('/');
      const object = { apiVersion: key.slice(0, slash), kind: key.slice(slash + 1), metadata: { name: 'x', labels: { a: 1 } } };
      const messages = schemaProblems(object)?.map((p) => p.message);
      expect(messages, key).toContain('metadata.labels.a: Invalid value: "integer": metadata.labels.a in body must be of type string');
    }
  });
});

describe('lazyValidators', () => {
  const text = 'const schema1 = {"enum":["a"]};\nfunction validate1(data){validate1.errors = schema1.enum.includes(data) ? null : [{keyword:"enum"}];return validate1.errors === null;}\nfunction validate0(data){const ok = validate1(data);validate0.errors = validate1.errors;return ok;}\n';
  const rows: DeclarationRow[] = [];
  let offset = 0;
  for (const line of text.split('\n').slice(0, -1)) {
    const name = /^(?:const|function) (\w+)/.exec(line)![1]!;
    const isFunction = line.startsWith('function') ? 1 : 0;
    const uses = name === 'validate1' ? [0] : name === 'validate0' ? [1] : [];
    rows.push([name, offset, line.length, isFunction, ...uses]);
    offset += line.length + 1;
  }
  // A repeat of validate1 under another name, as ajv emits a validator once per schema that refers to it.
  rows.push(['validate9', 0, 0, 2, 1]);

  it('reads the text once, on the first call, and passes errors up through the stand-ins', () => {
    const reads: string[] = [];
    const set = lazyValidators({ file: 'code-a.txt', length: text.length, read: (f) => (reads.push(f), Buffer.from(text)), runtime: {}, declarations: rows });
    const validate = set.validator(2);
    expect(reads).toEqual([]);
    expect(validate('b')).toBe(false);
    expect(validate.errors).toEqual([{ keyword: 'enum' }]);
    expect(validate('a')).toBe(true);
    expect(validate.errors).toBeNull();
    expect(reads).toEqual(['code-a.txt']);
    const repeat = set.validator(3);
    expect(repeat).toBe(set.validator(1));
    expect(repeat('c')).toBe(false);
    expect(repeat.errors).toEqual([{ keyword: 'enum' }]);
    expect(set.compileAll()).toBe(4);
  });

  it('refuses a text of another length, and a declaration that is not at its offset', () => {
    const stale = lazyValidators({ file: 'code-b.txt', length: text.length + 1, read: () => Buffer.from(text), runtime: {}, declarations: rows });
    expect(() => stale.validator(2)('a')).toThrow(`code-b.txt holds ${text.length} bytes where this build of meshctl expects ${text.length + 1}`);
    const shifted = rows.map(([name, o, n, f, ...uses]): DeclarationRow => [name, o + 1, n, f, ...uses]);
    const moved = lazyValidators({ file: 'code-c.txt', length: text.length, read: () => Buffer.from(text), runtime: {}, declarations: shifted });
    expect(() => moved.compileAll()).toThrow('code-c.txt: no declaration of schema1 at offset 1');
  });
});

describe('readGeneratedData', () => {
  const root = mkdtempSync(join(tmpdir(), 'meshctl-generated-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'profiles'));
  writeFileSync(join(root, 'profiles', 'default.yaml'), '');
  mkdirSync(join(root, 'dist', 'chunks'), { recursive: true });
  mkdirSync(join(root, 'src', 'generated'), { recursive: true });
  writeFileSync(join(root, 'dist', 'code.txt'), 'built');
  writeFileSync(join(root, 'src', 'generated', 'code.txt'), 'generated');

  it('reads the build\'s copy from code in dist/, the generator\'s from the sources, whichever exists', () => {
    expect(readGeneratedData('code.txt', join(root, 'dist', 'chunks', 'chunk-X.js')).toString()).toBe('built');
    expect(readGeneratedData('code.txt', join(root, 'dist', 'meshctl.js')).toString()).toBe('built');
    expect(readGeneratedData('code.txt', join(root, 'src', 'system.ts')).toString()).toBe('generated');
    rmSync(join(root, 'dist', 'code.txt'));
    expect(() => readGeneratedData('code.txt', join(root, 'dist', 'meshctl.js'))).toThrow(`meshctl's generated code ${join(root, 'dist', 'code.txt')} could not be read`);
  });
});

const built = existsSync(join(repoRoot, 'dist/meshctl.js'));

describe.runIf(built)('the built bin/meshctl', () => {
  it('validates every kind with the code the build copied into dist/', () => {
    expect(readFileSync(join(repoRoot, 'dist/schema-validators.txt'), 'utf8')).toBe(readFileSync(join(repoRoot, 'src/generated/schema-validators.txt'), 'utf8'));
    for (const file of ['core-kinds.yaml', 'istio-kinds.yaml']) {
      const r = spawnSync(process.execPath, [join(repoRoot, 'bin/meshctl'), 'validate', '-f', join(repoRoot, 'test/testdata/validate/valid', file)], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/: 0 errors, 0 warnings\n$/);
    }
  });
});
