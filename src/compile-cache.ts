/**
 * A V8 code cache for meshctl's own bundle, for Node versions without one.
 *
 * A cold run spends much of its time compiling JavaScript: the analyze path loads about 1 MB of
 * bundle, and V8 parses it (and then each function it calls) on every run. Node 22.1+ keeps V8's
 * compiled code between runs (`module.enableCompileCache`, which bin/meshctl turns on there); Node
 * 20 has no such switch, so this does the same for the files of dist/ only: each file is compiled
 * with the code V8 produced for it on an earlier run, and a file compiled without one has its code
 * (including the functions that run compiled) written at exit. The library that did this for old
 * Node versions (v8-compile-cache) keeps one blob per program, which every run reads whole, and
 * made `meshctl version` slower in this bundle's measurements (bench/README.md); this keeps one
 * small file per bundle file.
 *
 * Safety: V8 checks a cache against its own version, flags and the source's length and rejects a
 * mismatch, and the cache file's name also carries the file's size, modification time and inode,
 * so an edited bundle file never runs earlier code. The directory must belong to the user running
 * meshctl (a directory someone else could write to is ignored). Any error disables the cache for
 * the run: it only ever costs speed. NODE_DISABLE_COMPILE_CACHE=1 (Node's own switch) turns it off.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { Script } from 'node:vm';

/** The parts of Node's CommonJS Module this hooks (public since Node 0.x, untyped in @types/node). */
interface CjsModule {
  exports: unknown;
  require(id: string): unknown;
}
interface CjsModuleClass {
  prototype: { _compile(content: string, filename: string): unknown };
  wrap(source: string): string;
  _resolveFilename(request: string, parent: CjsModule, isMain: boolean, options?: unknown): string;
  _cache: unknown;
}

/**
 * Creates `path` and its missing parents (mode 0700), one mkdir each. Node's recursive mkdir retries
 * a directory whose creation fails with ENOENT under a parent that exists, which loops forever on
 * file systems that answer so (procfs, sysfs); here any failure throws.
 */
function makeDirectories(path: string): void {
  const missing: string[] = [];
  for (let dir = path; !existsSync(dir); dir = dirname(dir)) {
    missing.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing) mkdirSync(dir, { mode: 0o700 });
}

/**
 * Returns the cache file's name for a bundle file: its path under dist/ (`/` as `+`), size,
 * modification time (ms) and inode, so a rebuilt or edited file has a name of its own.
 */
function cacheFileName(relativePath: string, file: { size: number; mtimeMs: number; ino: number }): string {
  return `${relativePath.split(sep).join('+')}-${file.size}-${Math.trunc(file.mtimeMs)}-${file.ino}.bin`;
}

/**
 * Removes the cache files of bundle files that no longer exist or have changed (an upgrade, a
 * rebuild), so the directory holds one build's worth: run after a run wrote new files, which is
 * when a build changed. Each installation has a directory of its own (codeCacheDir), so this never
 * removes another installation's files.
 */
function pruneCache(cacheDir: string, prefix: string): void {
  for (const name of readdirSync(cacheDir)) {
    const match = /^(.+)-\d+-\d+-\d+\.bin$/.exec(name);
    if (!match) continue;
    let current: string | undefined;
    try {
      current = cacheFileName(match[1]!.split('+').join(sep), statSync(prefix + match[1]!.split('+').join(sep)));
    } catch {
      // The bundle file is gone.
    }
    if (current !== name) rmSync(join(cacheDir, name), { force: true });
  }
}

/**
 * Records, in `cacheDir`'s `bundle` file, which installation's dist/ it serves, and removes the
 * directories of the other installations (beside it, for the same Node version) whose recorded
 * dist/ no longer exists: a removed installation, or an npx run's package replaced by a newer
 * version in a directory of its own, would otherwise leave its ~2 MB behind for good. A directory
 * with no record is left alone. Called only by a run that wrote cache files, which is when an
 * installation is new or changed.
 */
function forgetRemovedInstallations(cacheDir: string, bundleDir: string): void {
  const record = join(cacheDir, 'bundle');
  if (!existsSync(record)) writeFileSync(record, `${bundleDir}\n`, { mode: 0o600 });
  const parent = dirname(cacheDir);
  for (const name of readdirSync(parent)) {
    const other = join(parent, name);
    if (other === cacheDir || !/^[0-9a-f]{8}$/.test(name)) continue;
    let served: string;
    try {
      served = readFileSync(join(other, 'bundle'), 'utf8').trim();
    } catch {
      continue;
    }
    if (served && !existsSync(served)) rmSync(other, { recursive: true, force: true });
  }
}

/**
 * Returns the directory for the cache: `$XDG_CACHE_HOME/meshctl/v8` (else `~/.cache/meshctl/v8`),
 * one subdirectory per Node version and architecture, as V8's code is only valid for the V8 that
 * made it, and in it one per installation. Undefined when no home directory is known.
 * @param bundleDir absolute path of the installation's dist/
 */
export function codeCacheDir(bundleDir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const base = env.XDG_CACHE_HOME || (homedir() ? join(homedir(), '.cache') : '');
  if (!base) return undefined;
  return join(base, 'meshctl', 'v8', `${process.version}-${process.arch}`, installationKey(bundleDir));
}

/**
 * Returns a short key for an installation's bundle directory (FNV-1a of its path, 8 hex digits):
 * two installations (a global one and a project's) keep separate caches and never prune each
 * other's. Not a security boundary: the directory's ownership check is.
 */
function installationKey(bundleDir: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bundleDir.length; i++) hash = Math.imul(hash ^ bundleDir.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/**
 * Compiles the CommonJS files under `bundleDir` with a code cache kept in `cacheDir`, from now on
 * in this process. Returns false, and changes nothing, when the cache is off
 * (NODE_DISABLE_COMPILE_CACHE set) or `cacheDir` exists and does not belong to this user. Never
 * throws for a cache problem: a file whose cache cannot be read or written is compiled as Node
 * would.
 * @param bundleDir absolute path of dist/
 * @param cacheDir from codeCacheDir; created (mode 0700) when the first cache is written
 */
export function enableCodeCache(bundleDir: string, cacheDir: string | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!cacheDir || env.NODE_DISABLE_COMPILE_CACHE) return false;
  try {
    const info = statSync(cacheDir);
    if (!info.isDirectory() || (process.getuid && info.uid !== process.getuid()) || (info.mode & 0o022) !== 0) return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return false;
  }
  const prefix = bundleDir.endsWith(sep) ? bundleDir : bundleDir + sep;
  const M = Module as unknown as CjsModuleClass;
  const compile = M.prototype._compile;
  const produced: { path: string; script: Script }[] = [];
  M.prototype._compile = function compileWithCache(this: CjsModule, content: string, filename: string): unknown {
    if (!filename.startsWith(prefix)) return compile.call(this, content, filename);
    let path: string | undefined;
    let cachedData: Buffer | undefined;
    try {
      const file = statSync(filename);
      path = join(cacheDir, cacheFileName(filename.slice(prefix.length), file));
      cachedData = readFileSync(path);
    } catch {
      // No cache yet (or the file cannot be stat'ed, then no cache is written either).
    }
    const script = new Script(M.wrap(content), { filename, cachedData });
    if (path && (!cachedData || script.cachedDataRejected)) produced.push({ path, script });
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    // The bundle's files require only Node's built-ins and each other, so a plain require of this module serves.
    const require = Object.assign((id: string) => this.require(id), {
      resolve: (request: string, options?: unknown) => M._resolveFilename(request, this, false, options),
      cache: M._cache,
    });
    return wrapper.call(this.exports, this.exports, require, this, filename, dirname(filename));
  };
  // At exit, so the cache holds the functions this run compiled, not only each file's top level.
  process.once('exit', () => {
    if (produced.length === 0) return;
    try {
      makeDirectories(cacheDir);
      for (const { path, script } of produced) {
        const temp = `${path}.${process.pid}.tmp`;
        writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
        renameSync(temp, path);
      }
      pruneCache(cacheDir, prefix);
      forgetRemovedInstallations(cacheDir, bundleDir);
    } catch {
      // A read-only or full disk: the next run compiles without a cache, as this one did.
    }
  });
  return true;
}
