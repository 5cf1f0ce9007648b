/** End to end: the built bin/meshctl, run as a user would, with execa. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { repoRoot, run } from '../helpers.js';

const bin = join(repoRoot, 'bin/meshctl');
const built = existsSync(join(repoRoot, 'dist/meshctl.js'));
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

describe('bin/meshctl', () => {
  it('is built (npm test builds first; run "npm run build" before running vitest alone)', () => {
    expect(built).toBe(true);
  });

  it('prints the demo install, identical to the in-process run', async () => {
    const r = await execa(bin, ['manifest', 'generate', '--set', 'profile=demo'], { reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    const docs = parseAllDocuments(r.stdout);
    expect(docs).toHaveLength(42);
    expect(docs.every((d) => d.errors.length === 0)).toBe(true);
    expect(r.stdout + '\n').toBe((await run(['manifest', 'generate', '--set', 'profile=demo'])).stdout);
  });

  it('reports its package version', async () => {
    const r = await execa(bin, ['version', '--short']);
    expect(r.stdout).toBe(pkg.version);
  });

  it('exits 64 with one clear line and no stack trace on a bad profile', async () => {
    const r = await execa(bin, ['manifest', 'generate', '--set', 'profile=prod'], { reject: false });
    expect(r.exitCode).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('Error: unknown profile "prod" in --set profile=prod (valid profiles: ambient, default, demo, empty, minimal, openshift, openshift-ambient, preview, remote, stable)');
  });

  it('reads an overlay from stdin', async () => {
    const r = await execa(bin, ['manifest', 'generate', '-f', '-'], {
      input: 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: empty\n  components:\n    pilot:\n      enabled: true\n',
    });
    expect(r.stdout).toContain('name: istiod\n');
    expect(r.stdout).not.toContain('kind: CustomResourceDefinition');
  });

  it('keeps cluster, spinner and subprocess libraries out of the entry chunk', () => {
    const meta = JSON.parse(readFileSync(join(repoRoot, 'dist/meta.json'), 'utf8')) as { outputs: Record<string, { entryPoint?: string; inputs: Record<string, unknown>; imports: { path: string; kind: string }[] }> };
    const entry = Object.entries(meta.outputs).find(([, o]) => o.entryPoint === 'src/main.ts');
    expect(entry).toBeDefined();
    const [, out] = entry!;
    const inputs = Object.keys(out.inputs);
    expect(inputs.some((i) => i.includes('node_modules/commander/'))).toBe(true);
    for (const heavy of ['@kubernetes/client-node', 'node_modules/ora/', 'node_modules/execa/']) {
      expect(inputs.filter((i) => i.includes(heavy))).toStrictEqual([]);
    }
    const staticChunks = out.imports.filter((i) => i.kind === 'import-statement').map((i) => i.path);
    for (const chunk of staticChunks) {
      const chunkInputs = Object.keys(meta.outputs[chunk]?.inputs ?? {});
      expect(chunkInputs.filter((i) => /client-node|node_modules\/(ora|execa)\//.test(i))).toStrictEqual([]);
    }
  });

  it('exports what cannot change (functions, classes) as plain values and what can (a `var`) through getters', () => {
    // The template engine's value types: `var GoMap = class` in esbuild's output, assigned nowhere else.
    const meta = JSON.parse(readFileSync(join(repoRoot, 'dist/meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
    const chunk = Object.keys(meta.outputs).find((o) => o.endsWith('.js') && 'src/inject/gotmpl/values.ts' in meta.outputs[o]!.inputs);
    expect(chunk).toBeDefined();
    const exported = createRequire(import.meta.url)(join(repoRoot, chunk!)) as Record<string, unknown>;
    const settled = Object.getOwnPropertyDescriptor(exported, 'GoMap');
    expect(settled?.get).toBeUndefined();
    expect(typeof settled?.value).toBe('function');
    const live = Object.entries(Object.getOwnPropertyDescriptors(exported)).filter(([, d]) => d.get !== undefined).map(([k]) => k);
    const source = readFileSync(join(repoRoot, chunk!), 'utf8');
    // Every export still behind a getter is one the chunk does not declare as a function, class or const.
    for (const name of live) expect(source).not.toMatch(new RegExp(`^(?:function ${name}\\(|class ${name}\\b|const ${name}\\b)`, 'm'));
  });

  it('loads as CommonJS, without the ES module loader, and leaves lazy chunks and unused built-ins unloaded', async () => {
    expect(JSON.parse(readFileSync(join(repoRoot, 'dist/package.json'), 'utf8'))).toStrictEqual({ type: 'commonjs' });
    const meta = JSON.parse(readFileSync(join(repoRoot, 'dist/meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
    const outputs = Object.keys(meta.outputs).filter((o) => o.endsWith('.js'));
    for (const output of outputs) {
      expect(readFileSync(join(repoRoot, output), 'utf8'), output).not.toMatch(/^(import|export)\b[\s{*]/m);
    }
    const clientChunks = outputs.filter((o) => Object.keys(meta.outputs[o]!.inputs).some((i) => i.includes('@kubernetes/client-node')));
    expect(clientChunks.length).toBeGreaterThan(0);
    // A preload reports, at exit, which built-in modules Node loaded and which files require() read.
    const dir = mkdtempSync(join(tmpdir(), 'meshctl-load-'));
    const report = join(dir, 'loaded.json');
    const preload = join(dir, 'report.cjs');
    writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({ builtins: process.moduleLoadList, files: Object.keys(require.cache) })));\n`);
    const r = await execa(process.execPath, ['-r', preload, bin, 'version', '--short']);
    expect(r.stdout).toBe(pkg.version);
    const loaded = JSON.parse(readFileSync(report, 'utf8')) as { builtins: string[]; files: string[] };
    expect(loaded.files).toContain(join(repoRoot, 'dist/meshctl.js'));
    expect(loaded.builtins).not.toContain('NativeModule internal/modules/esm/module_job');
    // stdout is a pipe here, as in CI: written by write system calls, not through Node's stream and socket modules.
    for (const unused of ['readline', 'fs/promises', 'child_process', 'stream', 'net', 'tty']) expect(loaded.builtins).not.toContain(`NativeModule ${unused}`);
    for (const chunk of clientChunks) expect(loaded.files).not.toContain(join(repoRoot, chunk));
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('bin/meshctl manifest generate of a built-in profile', () => {
  it('loads no IstioOperator validator, no yaml package and no diff code, and prints the CRD schemas the build wrote', async () => {
    const meta = JSON.parse(readFileSync(join(repoRoot, 'dist/meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
    const outputs = Object.keys(meta.outputs).filter((o) => o.endsWith('.js'));
    const holding = (pattern: RegExp) => outputs.filter((o) => Object.keys(meta.outputs[o]!.inputs).some((i) => pattern.test(i)));
    const unwanted = [...holding(/src\/generated\/iop-validator\.js$/), ...holding(/node_modules\/yaml\//), ...holding(/node_modules\/diff\//), ...holding(/src\/cli\/manifest-diff-impl\.ts$/)];
    expect(unwanted.length).toBeGreaterThanOrEqual(4);
    const assets = JSON.parse(readFileSync(join(repoRoot, 'dist/assets.json'), 'utf8')) as { checkedSpecs?: unknown[]; crdSchemaYaml?: Record<string, string> };
    expect(assets.checkedSpecs?.length).toBeGreaterThan(0);
    expect(Object.keys(assets.crdSchemaYaml ?? {}).length).toBeGreaterThan(0);
    const dir = mkdtempSync(join(tmpdir(), 'meshctl-load-'));
    const report = join(dir, 'loaded.json');
    const preload = join(dir, 'report.cjs');
    writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify(Object.keys(require.cache))));\n`);
    const r = await execa(process.execPath, ['-r', preload, bin, 'manifest', 'generate', '--set', 'profile=demo']);
    expect(r.stdout).toContain('kind: CustomResourceDefinition');
    const files = JSON.parse(readFileSync(report, 'utf8')) as string[];
    for (const chunk of unwanted) expect(files).not.toContain(join(repoRoot, chunk));
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('bin/meshctl kube-inject', () => {
  const bookinfo = join(repoRoot, 'test/testdata/inject/input/bookinfo.yaml');

  it('injects Bookinfo, reports each Deployment on stderr, and kube-uninject gives the file back byte for byte', async () => {
    const inj = await execa(bin, ['kube-inject', '-f', bookinfo], { stripFinalNewline: false });
    expect(inj.exitCode).toBe(0);
    expect(inj.stderr.split('\n')).toEqual([
      'deployment "default/details-v1" injected',
      'deployment "default/ratings-v1" injected',
      'deployment "default/reviews-v1" injected',
      'deployment "default/reviews-v2" injected',
      'deployment "default/reviews-v3" injected',
      'deployment "default/productpage-v1" injected',
      '',
    ]);
    expect(inj.stdout).toBe((await run(['kube-inject', '-f', bookinfo])).stdout);
    const back = await execa(bin, ['kube-uninject', '-f', '-'], { input: inj.stdout, stripFinalNewline: false });
    expect(back.exitCode).toBe(0);
    expect(back.stdout).toBe(readFileSync(bookinfo, 'utf8'));
  });

  it('rewrites files in place atomically, and leaves them untouched when a document is bad', async () => {
    const { mkdtempSync, writeFileSync, readdirSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'meshctl-inplace-'));
    const good = join(dir, 'app.yaml');
    const original = readFileSync(bookinfo, 'utf8');
    writeFileSync(good, original);
    const r = await execa(bin, ['kube-inject', '-f', dir, '--in-place'], { reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(good, 'utf8')).toContain('name: istio-proxy');
    // A second file with a bad annotation: nothing is written, the first file stays as it was.
    const injected = readFileSync(good, 'utf8');
    writeFileSync(join(dir, 'bad.yaml'), readFileSync(join(repoRoot, 'test/testdata/inject/bad/interception-mode-bad.yaml'), 'utf8'));
    const u = await execa(bin, ['kube-uninject', '-f', good, '-f', join(dir, 'bad.yaml'), '--in-place'], { reject: false });
    expect(u.exitCode).toBe(0);
    expect(readFileSync(good, 'utf8')).toBe(original);
    writeFileSync(good, injected);
    const bad = await execa(bin, ['kube-inject', '-f', dir, '--in-place'], { reject: false });
    expect(bad.exitCode).toBe(65);
    expect(bad.stderr).toMatch(/bad\.yaml:\d+:\d+: deployment "bad": invalid value 'MAGIC'/);
    expect(readFileSync(good, 'utf8')).toBe(injected);
    expect(readdirSync(dir).sort()).toEqual(['app.yaml', 'bad.yaml']);
  });

  it('gives the same bytes, report lines, errors and exit codes with the pods injected on its worker thread', async () => {
    // dist/inject-worker.js, which large files start; MESHCTL_INJECT_WORKER_MIN_SIZE=0 starts it for any file and waits for it.
    const onWorker = { env: { MESHCTL_INJECT_WORKER_MIN_SIZE: '0' }, reject: false, stripFinalNewline: false } as const;
    const onOne = { env: { MESHCTL_INJECT_WORKER_MIN_SIZE: 'off' }, reject: false, stripFinalNewline: false } as const;
    const dir = mkdtempSync(join(tmpdir(), 'meshctl-worker-'));
    const many = join(dir, 'many.yaml');
    const text = readFileSync(bookinfo, 'utf8');
    writeFileSync(many, Array.from({ length: 60 }, (_, i) => text.replace(/name: ([a-z]+-v\d)\b/g, `name: $1-${i}`)).join('---\n'));
    const failing = join(dir, 'failing.yaml');
    writeFileSync(failing, `${text}---\n${readFileSync(join(repoRoot, 'test/testdata/inject/bad/interception-mode-bad.yaml'), 'utf8')}`);
    for (const args of [['-f', many], ['-f', bookinfo, '-f', many], ['-f', failing]]) {
      const a = await execa(bin, ['kube-inject', ...args], onWorker);
      const b = await execa(bin, ['kube-inject', ...args], onOne);
      expect({ code: a.exitCode, stdout: a.stdout, stderr: a.stderr }).toEqual({ code: b.exitCode, stdout: b.stdout, stderr: b.stderr });
    }
    const failed = await execa(bin, ['kube-inject', '-f', failing], onWorker);
    expect(failed.exitCode).toBe(65);
    expect(failed.stderr).toMatch(/failing\.yaml:\d+:\d+: deployment "bad": invalid value 'MAGIC'/);
    // With the worker used once it is ready (pods injected here before): still the same.
    const plain = await execa(bin, ['kube-inject', '-f', many], { env: { MESHCTL_INJECT_WORKER_MIN_SIZE: '1' }, reject: false, stripFinalNewline: false });
    expect(plain.stdout).toBe((await execa(bin, ['kube-inject', '-f', many], onOne)).stdout);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('bin/meshctl output to a closed pipe', () => {
  it('stops quietly when the reader goes away (| head), without an EPIPE trace', async () => {
    const r = await execa(`"${bin}" kube-inject -f "${join(repoRoot, 'test/testdata/inject/input/bookinfo.yaml')}" | head -n 1`, { shell: true, reject: false });
    expect(r.stdout).toBe('# Copyright Istio Authors');
    expect(r.stderr).not.toMatch(/EPIPE|node:events/);
  });
});

describe('the npm package', () => {
  it('packs the built dist/ without its build metadata, and installs globally with no install script, no dependency and no warning', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'meshctl-pack-'));
    try {
      // --ignore-scripts: dist/ was built before the tests; prepack would rebuild it under the other tests' feet.
      const packed = await execa('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: repoRoot });
      const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
      const files = info!.files.map((f) => f.path);
      expect(files).toContain('dist/meshctl.js');
      expect(files).toContain('dist/assets.json');
      expect(files).not.toContain('dist/meta.json');
      expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toStrictEqual([]);
      const prefix = join(dir, 'prefix');
      const installed = await execa('npm', ['install', '--global', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, join(dir, info!.filename)], { all: true, env: { npm_config_loglevel: 'warn' } });
      expect(installed.all).not.toMatch(/warn|ERR/i);
      expect(installed.all).toMatch(/added 1 package/);
      const r = await execa(join(prefix, 'bin', 'meshctl'), ['manifest', 'generate', '--set', 'profile=minimal'], { reject: false });
      expect(r.exitCode).toBe(0);
      expect(r.stdout + '\n').toBe((await run(['manifest', 'generate', '--set', 'profile=minimal'])).stdout);
      const inj = await execa(join(prefix, 'bin', 'meshctl'), ['kube-inject', '-f', join(repoRoot, 'test/testdata/inject/input/bookinfo.yaml')], { reject: false });
      expect(inj.exitCode).toBe(0);
      expect(inj.stdout).toContain('name: istio-proxy');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
