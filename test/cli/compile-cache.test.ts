/** The code cache for the bundle on Node versions without one (src/compile-cache.ts), in real child processes. */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers.js';

let dir: string;
let loader: string;
let bundle: string;
let outside: string;

/** Runs a child that enables the cache for `bundle`, requires bundle/main.js and outside/other.js, and prints what they return. */
function child(cacheDir: string, env: NodeJS.ProcessEnv = {}): { stdout: string; stderr: string; status: number | null } {
  const script = `const c = require(${JSON.stringify(loader)});
process.stdout.write(String(c.enableCodeCache(${JSON.stringify(bundle)}, ${JSON.stringify(cacheDir)})) + ' ');
process.stdout.write(require(${JSON.stringify(join(bundle, 'main.js'))})() + ' ' + require(${JSON.stringify(join(outside, 'other.js'))})());`;
  const env2 = { ...process.env, ...env };
  if (!('NODE_DISABLE_COMPILE_CACHE' in env)) delete env2.NODE_DISABLE_COMPILE_CACHE;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: env2 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshctl-code-cache-'));
  loader = join(dir, 'compile-cache.cjs');
  buildSync({ entryPoints: [join(repoRoot, 'src/compile-cache.ts')], outfile: loader, bundle: true, format: 'cjs', platform: 'node', logLevel: 'error' });
  bundle = join(dir, 'dist');
  outside = join(dir, 'elsewhere');
  mkdirSync(join(bundle, 'chunks'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(bundle, 'chunks', 'part.js'), "exports.word = function word() { return 'alpha'; };\n");
  writeFileSync(join(bundle, 'main.js'), "const part = require('./chunks/part.js');\nmodule.exports = () => part.word() + '-' + require('node:path').basename(__filename);\n");
  writeFileSync(join(outside, 'other.js'), "module.exports = () => 'other';\n");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('enableCodeCache', () => {
  it('writes one cache file per bundle file on the first run, reads them on the next without writing again', () => {
    const cache = join(dir, 'cache-a');
    expect(child(cache)).toStrictEqual({ stdout: 'true alpha-main.js other', stderr: '', status: 0 });
    const files = readdirSync(cache).sort();
    expect(files.map((f) => f.replace(/-\d+-\d+-\d+\.bin$/, ''))).toStrictEqual(['bundle', 'chunks+part.js', 'main.js']);
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    const written = files.map((f) => statSync(join(cache, f)).mtimeMs);
    expect(child(cache)).toStrictEqual({ stdout: 'true alpha-main.js other', stderr: '', status: 0 });
    // Accepted caches are not produced again.
    expect(readdirSync(cache).sort()).toStrictEqual(files);
    expect(files.map((f) => statSync(join(cache, f)).mtimeMs)).toStrictEqual(written);
  });

  it('never runs earlier code for an edited file, even of the same length', () => {
    const cache = join(dir, 'cache-b');
    const part = join(bundle, 'chunks', 'part.js');
    expect(child(cache).stdout).toBe('true alpha-main.js other');
    writeFileSync(part, "exports.word = function word() { return 'omega'; };\n");
    expect(child(cache).stdout).toBe('true omega-main.js other');
    writeFileSync(part, "exports.word = function word() { return 'alpha'; };\n");
    expect(child(cache).stdout).toBe('true alpha-main.js other');
    // The edited file's earlier caches were removed when its new one was written.
    expect(readdirSync(cache).map((f) => f.replace(/-\d+-\d+-\d+\.bin$/, '')).sort()).toStrictEqual(['bundle', 'chunks+part.js', 'main.js']);
  });

  it('keeps a directory per Node version and installation, under XDG_CACHE_HOME when set', () => {
    const script = `const c = require(${JSON.stringify(loader)}); process.stdout.write(JSON.stringify([c.codeCacheDir('/opt/a/dist'), c.codeCacheDir('/opt/b/dist'), c.codeCacheDir('/opt/a/dist', { XDG_CACHE_HOME: '/x' })]));`;
    const [a, b, x] = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
    expect(a).toMatch(new RegExp(`/\\.cache/meshctl/v8/${process.version}-${process.arch}/[0-9a-f]{8}$`));
    expect(b).not.toBe(a);
    expect(x).toBe(join('/x', a!.slice(a!.indexOf('/meshctl/'))));
  });

  it('removes the cache of an installation whose dist/ is gone once another installation writes its own', () => {
    const xdg = join(dir, 'xdg');
    /** A copy of the bundle as another installation's dist/; returns its path. */
    const install = (name: string) => {
      const copy = join(dir, name, 'dist');
      cpSync(bundle, copy, { recursive: true });
      return copy;
    };
    /** Runs the copy with the cache directory codeCacheDir gives it; returns that directory. */
    const runFrom = (dist: string) => {
      const script = `const c = require(${JSON.stringify(loader)});
const d = c.codeCacheDir(${JSON.stringify(dist)}, { XDG_CACHE_HOME: ${JSON.stringify(xdg)} });
c.enableCodeCache(${JSON.stringify(dist)}, d);
require(${JSON.stringify(join(dist, 'main.js'))})();
process.stdout.write(d);`;
      return execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    };
    const [one, two, three] = [install('one'), install('two'), install('three')];
    const [cacheOne, cacheTwo] = [runFrom(one), runFrom(two)];
    expect(readFileSync(join(cacheOne, 'bundle'), 'utf8')).toBe(`${one}\n`);
    // A directory without a record (written by an earlier meshctl) is not touched.
    const unrecorded = join(dirname(cacheOne), 'abcdef01');
    mkdirSync(unrecorded);
    rmSync(join(dir, 'one'), { recursive: true });
    // Runs that write nothing remove nothing.
    runFrom(two);
    expect(existsSync(cacheOne)).toBe(true);
    runFrom(three);
    expect(existsSync(cacheOne)).toBe(false);
    expect(existsSync(cacheTwo)).toBe(true);
    expect(existsSync(unrecorded)).toBe(true);
  });

  it('is off with NODE_DISABLE_COMPILE_CACHE, and for a directory others can write to', () => {
    const off = join(dir, 'cache-off');
    expect(child(off, { NODE_DISABLE_COMPILE_CACHE: '1' }).stdout).toBe('false alpha-main.js other');
    expect(existsSync(off)).toBe(false);
    const open = join(dir, 'cache-open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(child(open).stdout).toBe('false alpha-main.js other');
    expect(readdirSync(open)).toStrictEqual([]);
  });

  it('costs nothing but speed when the cache cannot be written', () => {
    // Under a file: not a directory, so off.
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    expect(child(join(blocker, 'cache'))).toStrictEqual({ stdout: 'false alpha-main.js other', stderr: '', status: 0 });
    // Absent, and /proc refuses to create it (even for root): on, and the write at exit fails quietly.
    expect(child('/proc/meshctl-code-cache-test')).toStrictEqual({ stdout: 'true alpha-main.js other', stderr: '', status: 0 });
  });

  it('keeps the file name and line of an error in a cached file', () => {
    const cache = join(dir, 'cache-c');
    const thrower = join(bundle, 'chunks', 'thrower.js');
    writeFileSync(thrower, "\n\nexports.fail = () => { throw new Error('boom'); };\n");
    const script = `require(${JSON.stringify(loader)}).enableCodeCache(${JSON.stringify(bundle)}, ${JSON.stringify(cache)});
try { require(${JSON.stringify(thrower)}).fail(); } catch (e) { process.stdout.write(e.stack.split('\\n')[1]); }`;
    for (let i = 0; i < 2; i++) expect(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })).toContain(`${thrower}:3:`);
  });
});
