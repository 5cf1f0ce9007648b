/** The real process dependencies: streams, file system, environment. */
import { isUtf8 } from 'node:buffer';
// node:fs/promises and node:readline are reached only when used (fs.promises is a lazy getter,
// readline a dynamic import): loading them and the stream modules they pull in cost every run,
// `meshctl version` included, a few ms of start-up (bench/README.md).
import { closeSync, existsSync, fstatSync, openSync, promises as fsp, readFileSync, readlinkSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Deps, FileSystem, OutStream } from './deps.js';
import { fdOutStream, processOutStream, writeFileAtomic } from './system-write.js';

/** Returns the package root: the nearest ancestor of this module holding `profiles/default.yaml`. */
export function findAssetsDir(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    if (existsSync(join(dir, 'profiles', 'default.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`meshctl's profiles/ directory was not found above ${from}; the installation is incomplete`);
    dir = parent;
  }
}

/**
 * Returns the bytes of `name`, a data file of generated code (the schema validators' code,
 * `schema-validators.txt`): from dist/ when this code runs from the build, which copies it there,
 * and from src/generated/, where the generator writes it, when it runs from the sources (tests).
 * Which one is decided by where this module is, not by which exists: the sources must never read a
 * build's copy that a later edit made stale. Read synchronously, as schema validation is synchronous;
 * bytes rather than text, so a reader decodes only the parts it uses.
 * @param from this module's path (a parameter for tests)
 * @throws when the file cannot be read (an incomplete installation), naming the path
 */
export function readGeneratedData(name: string, from: string = fileURLToPath(import.meta.url)): Buffer {
  const root = findAssetsDir(from);
  const dir = relative(root, from).split(sep)[0] === 'dist' ? join(root, 'dist') : join(root, 'src', 'generated');
  const path = join(dir, name);
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`meshctl's generated code ${path} could not be read (${(err as Error).message}); the installation is incomplete`);
  }
}

/** Returns the file-system operations backed by node:fs. */
export function nodeFileSystem(): FileSystem {
  return {
    readText: readTextBounded,
    readDir: async (path) => {
      const entries = await fsp.readdir(path, { withFileTypes: true });
      return Promise.all(entries.map(async (d) => {
        let kind: { isDirectory(): boolean; isFile(): boolean } = d;
        if (d.isSymbolicLink()) {
          // A link that cannot be followed (dangling, a loop) is left for the read to report.
          kind = await fsp.stat(join(path, d.name)).catch(() => ({ isDirectory: () => false, isFile: () => true }));
        }
        // A link to a directory is not walked (a link to `.` would never end), as kubectl does not.
        return { name: d.name, isDirectory: d.isDirectory(), isSpecial: !kind.isDirectory() && !kind.isFile() };
      }));
    },
    // stat never blocks, not even on a FIFO: synchronous, as a thread-pool round trip costs more than the call.
    isDirectory: async (path) => statSync(path).isDirectory(),
    writeAtomic: writeFileAtomic,
  };
}

/** Returns an Error carrying a Node-style `code`. */
function codedError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/**
 * Reads a file's text, at most `maxBytes` bytes (an `EFBIG` error past it). Reads through an open
 * handle rather than `readFile`, so a device or FIFO (`/dev/zero`, `<(cmd)`) is read in chunks and
 * stopped at the bound instead of growing one string until Node gives up. A regular file is read
 * synchronously (readRegularFile); anything else, and any error, goes through node:fs/promises.
 */
async function readTextBounded(path: string, maxBytes = Number.MAX_SAFE_INTEGER): Promise<string> {
  const bytes = readRegularFile(path, maxBytes);
  if (bytes) return decodeUtf8(bytes, path);
  const handle = await fsp.open(path, 'r');
  try {
    const info = await handle.stat();
    if (info.isFile() && info.size > maxBytes) throw codedError('EFBIG', `${path}: larger than ${maxBytes} bytes`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes - total + 1));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw codedError('EFBIG', `${path}: larger than ${maxBytes} bytes`);
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return decodeUtf8(Buffer.concat(chunks, total), path);
  } finally {
    await handle.close();
  }
}

/**
 * Returns the bytes of `path` when it is a regular file no larger than `maxBytes`, read
 * synchronously; undefined for anything else (a FIFO, a device, a directory, a file over the bound,
 * one that cannot be opened or read), which the caller reads through node:fs/promises as before, so
 * its errors and bounds stay as they were. An asynchronous read of a small file costs five
 * thread-pool round trips (open, fstat, read, read, close) and loads node:fs/promises on first use:
 * about 1 ms per input file of a cold run on a quiet 2-core machine. A FIFO is never opened here,
 * where opening it would block the whole process until a writer comes.
 */
function readRegularFile(path: string, maxBytes: number): Buffer | undefined {
  try {
    if (!statSync(path).isFile()) return undefined;
    const fd = openSync(path, 'r');
    try {
      const info = fstatSync(fd);
      if (!info.isFile() || info.size > maxBytes) return undefined;
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        // One byte more than the size: a file that grew past its fstat size is read to its end or the bound.
        const buffer = Buffer.allocUnsafe(Math.min(Math.max(info.size - total + 1, 64 * 1024), maxBytes - total + 1));
        const bytesRead = readSync(fd, buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        total += bytesRead;
        if (total > maxBytes) return undefined;
        chunks.push(buffer.subarray(0, bytesRead));
      }
      return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/**
 * Returns the text of UTF-8 bytes. Throws an error with code `EILSEQ` and the 1-based `line` and
 * `column` of the first byte that is not UTF-8 (a Latin-1 `é`, a UTF-16 file), rather than replacing
 * it with U+FFFD: the text would be read as something it does not say, and `--in-place` would write
 * the replacement back.
 */
export function decodeUtf8(bytes: Buffer, name: string): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  const bad = firstNonUtf8(bytes);
  const bom = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
  // A NUL byte before the first bad byte is the first sign of what the file is: UTF-16 without a
  // byte-order mark (a NUL beside every letter), else binary content, named at that NUL.
  const nul = bytes.indexOf(0);
  if (!bom && nul >= 0 && nul < bad) {
    if (/^(?:[^\0]\0|\0[^\0]){4}/.test(bytes.subarray(0, 8).toString('latin1'))) {
      throw Object.assign(new Error(`${name}: UTF-16 text`), { code: 'EILSEQ', line: 1, column: 1, reason: 'UTF-16 text (a NUL byte beside every letter)' });
    }
    const start = bytes.lastIndexOf(0x0a, nul - 1) + 1;
    let nulLine = 1;
    for (let i = bytes.indexOf(0x0a); i >= 0 && i < nul; i = bytes.indexOf(0x0a, i + 1)) nulLine++;
    const nulColumn = bytes.subarray(start, nul).toString('utf8').length + 1;
    throw Object.assign(new Error(`${name}: binary file`), { code: 'EILSEQ', line: nulLine, column: nulColumn, reason: 'binary file (NUL byte)' });
  }
  const offset = bad;
  const lineStart = bytes.lastIndexOf(0x0a, offset - 1) + 1;
  let line = 1;
  for (let i = bytes.indexOf(0x0a); i >= 0 && i < offset; i = bytes.indexOf(0x0a, i + 1)) line++;
  const column = bytes.subarray(lineStart, offset).toString('utf8').length + 1;
  const utf16 = bom;
  const hex = bytes[offset]!.toString(16).toUpperCase().padStart(2, '0');
  const why = utf16 ? 'UTF-16 text (a byte-order mark)' : `byte 0x${hex} is not UTF-8`;
  throw Object.assign(new Error(`${name}: ${why}`), { code: 'EILSEQ', line, column, reason: why });
}

/** Returns the offset of the first byte that does not belong to a well-formed UTF-8 sequence, or -1. */
function firstNonUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    // The sequence length, and the range of its second byte (no overlong forms, no surrogates, nothing past U+10FFFF).
    const [n, lo, hi] = c >= 0xc2 && c <= 0xdf ? [1, 0x80, 0xbf]
      : c === 0xe0 ? [2, 0xa0, 0xbf] : c === 0xed ? [2, 0x80, 0x9f] : c >= 0xe1 && c <= 0xef ? [2, 0x80, 0xbf]
        : c === 0xf0 ? [3, 0x90, 0xbf] : c === 0xf4 ? [3, 0x80, 0x8f] : c >= 0xf1 && c <= 0xf3 ? [3, 0x80, 0xbf]
          : [0, 0, 0];
    if (n === 0) return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined) return i;
      if (k === 1 ? d < lo || d > hi : d < 0x80 || d > 0xbf) return i;
    }
    i += n + 1;
  }
  return -1;
}

/**
 * True when the process started with standard input closed (`meshctl ... <&-`). Node reopens a
 * closed fd 0 on `/dev/null` read-write before any code runs, so the read would see empty input;
 * a shell's `< /dev/null` opens it read-only. `fdinfo` is `/proc/self/fdinfo/0`, `target` the
 * link `/proc/self/fd/0` (Linux; elsewhere the check is skipped).
 */
export function stdinWasClosed(fdinfo: string, target: string): boolean {
  const flags = /^flags:\s*([0-7]+)$/m.exec(fdinfo);
  // O_ACCMODE is 3 and O_RDWR 2 on Linux.
  return target === '/dev/null' && flags !== null && (parseInt(flags[1]!, 8) & 3) === 2;
}

function stdinClosed(): boolean {
  try {
    return stdinWasClosed(readFileSync('/proc/self/fdinfo/0', 'utf8'), readlinkSync('/proc/self/fd/0'));
  } catch {
    return false;
  }
}

function readStdin(maxBytes = Number.MAX_SAFE_INTEGER): Promise<string> {
  if (stdinClosed()) return Promise.reject(codedError('EBADF', 'standard input is closed'));
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (c: Buffer) => {
      total += c.length;
      if (total > maxBytes) {
        stdin.off('data', onData);
        stdin.destroy();
        reject(codedError('EFBIG', `standard input: larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(c);
    };
    stdin.on('data', onData);
    stdin.on('end', () => {
      try {
        resolve(decodeUtf8(Buffer.concat(chunks), 'standard input'));
      } catch (e) {
        reject(e);
      }
    });
    stdin.on('error', reject);
  });
}

/** Asks one question on the terminal (the prompt goes to stderr, so stdout stays data). */
async function prompt(question: string): Promise<string | undefined> {
  const { createInterface } = await import('node:readline');
  // eslint-disable-next-line no-restricted-properties -- the real streams are wired here only
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  return new Promise((resolve) => {
    let answered = false;
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      resolve(answer);
    });
    rl.on('close', () => {
      if (!answered) resolve(undefined);
    });
  });
}

/**
 * Returns a signal aborted by the first Ctrl-C. The handler is installed only when a command asks
 * for the signal (cluster commands), so other commands keep the default "Ctrl-C ends the process";
 * it is a one-shot handler, so a second Ctrl-C still ends the process at once.
 */
function interruptSignal(): () => AbortSignal {
  let controller: AbortController | undefined;
  return () => {
    if (!controller) {
      const c = new AbortController();
      controller = c;
      process.once('SIGINT', () => c.abort());
    }
    return controller.signal;
  };
}

/**
 * Returns stdout (`fd` 1) or stderr (2) as meshctl writes them: by write system calls on the
 * descriptor (fdOutStream), except on Windows, whose consoles and pipes Node's streams handle.
 */
function standardStream(fd: 1 | 2, name: 'stdout' | 'stderr'): OutStream {
  // eslint-disable-next-line no-restricted-properties -- the real streams are wired here only
  const node = () => (fd === 1 ? process.stdout : process.stderr);
  if (process.platform === 'win32') return processOutStream(node(), name, node().isTTY === true);
  // node:tty loads Node's stream and socket modules: required when a command asks whether the
  // output is a terminal (colour, progress), not by every run.
  const isatty = (d: number) => (createRequire(import.meta.url)('node:tty') as typeof import('node:tty')).isatty(d);
  return fdOutStream(fd, name, node, isatty);
}

/** Returns the dependencies of a real run. */
export function systemDeps(): Deps {
  const assetsDir = findAssetsDir();
  const pkg = JSON.parse(readFileSync(join(assetsDir, 'package.json'), 'utf8')) as { version: string };
  const signal = interruptSignal();
  let stdout: OutStream | undefined;
  let stderr: OutStream | undefined;
  return {
    get signal() {
      return signal();
    },
    prompt,
    // Write errors are kept, not thrown: main() reports stdout's (a reader gone away is no error);
    // stderr's have nowhere to be reported and are dropped. Made on first use, as getters, so a
    // run that never writes to stderr does not pay for it.
    get stdout() {
      return (stdout ??= standardStream(1, 'stdout'));
    },
    get stderr() {
      return (stderr ??= standardStream(2, 'stderr'));
    },
    readStdin,
    get stdinIsTTY() {
      return process.stdin.isTTY === true;
    },
    env: process.env,
    fs: nodeFileSystem(),
    assetsDir,
    prebuiltAssets: existsSync(join(assetsDir, 'dist', 'assets.json')),
    version: pkg.version,
  };
}
