/**
 * Writing on behalf of the user: files replaced atomically (keeping mode, owner and symlinks) and the
 * standard streams (write errors kept for main() to report). Used by `src/system.ts`.
 */
// fs.promises is a lazy getter: node:fs/promises loads when a file is first written, not at start-up.
import { constants, promises as fsp, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { getSystemErrorMap } from 'node:util';
import type { OutStream } from './deps.js';

/**
 * A file or stream meshctl cannot or will not write: a read-only file, something that is not a
 * regular file, a full disk. The message names the path (or stream) and stands on its own. Exit 1.
 */
export class WriteError extends Error {
  override name = 'WriteError';
}

/**
 * Describes a Node system error in words and code, as `no space left on device (ENOSPC)`. Falls back
 * to the error's message when it carries no known code.
 */
export function describeSystemError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const known = typeof err?.errno === 'number' ? getSystemErrorMap().get(err.errno) : undefined;
  if (code && known && known[0] === code) return `${known[1]} (${code})`;
  if (code) {
    for (const [name, text] of getSystemErrorMap().values()) if (name === code) return `${text} (${code})`;
    // Node's messages read `CODE: words, syscall 'path'`: keep the words.
    const words = /^[A-Z]+: ([^,]+)/.exec(err.message)?.[1];
    return words ? `${words} (${code})` : `${err.message} (${code})`;
  }
  return e instanceof Error ? e.message : String(e);
}

/**
 * Returns the path a write to `path` must replace: symbolic links followed to their final target
 * (which need not exist yet, as for a dangling link given to `-o`), so the link stays a link.
 */
async function writeTarget(path: string): Promise<string> {
  let current = path;
  for (let hops = 0; hops <= 40; hops++) {
    let info: Stats;
    try {
      info = await fsp.lstat(current);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return current;
      throw e;
    }
    if (!info.isSymbolicLink()) return current;
    current = resolve(await fsp.realpath(dirname(current)), await fsp.readlink(current));
  }
  throw Object.assign(new Error(`ELOOP: too many symbolic links encountered, open '${path}'`), { code: 'ELOOP', errno: -40 });
}

/**
 * Writes `text` to `path` atomically: a temporary file beside the file replaced, then a rename, so a
 * failed run never leaves a partial file. A symlink is written through (the target is replaced, the
 * link stays); an existing file keeps its mode and, where the system permits, its owner and group.
 * Refuses (WriteError) a file the user could not write, including one with no write permission bit
 * at all, which is read-only even for root, and anything that is not a regular file. Other failures
 * are Node's errors (ENOENT for a missing directory, EISDIR, EACCES, EROFS...). Nothing is left
 * behind on failure.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const target = await writeTarget(path);
  let existing: Stats | undefined;
  try {
    existing = await fsp.stat(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (existing) {
    if (existing.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, open '${path}'`), { code: 'EISDIR', errno: -21 });
    if (!existing.isFile()) throw new WriteError(`cannot write ${path}: not a regular file`);
    const readOnly = (existing.mode & 0o222) === 0;
    const writable = !readOnly && (await fsp.access(target, constants.W_OK).then(() => true, () => false));
    if (!writable) throw new WriteError(`cannot write ${path}: ${readOnly ? 'the file is read-only' : 'permission denied (EACCES)'}`);
  }
  const tmpDir = await fsp.mkdtemp(join(dirname(target), `.${basename(target)}.tmp-`));
  const tmp = join(tmpDir, basename(target));
  try {
    await fsp.writeFile(tmp, text, { mode: existing ? existing.mode & 0o777 : 0o644 });
    if (existing) {
      await keepOwner(tmp, existing);
      // After chown (which clears set-id bits), and not subject to the umask as the create was.
      await fsp.chmod(tmp, existing.mode & 0o7777);
    }
    await fsp.rename(tmp, target);
  } finally {
    await fsp.rm(tmpDir, { recursive: true, force: true });
  }
}

/** Gives `tmp` the owner and group of the file it replaces, as far as the system permits. */
async function keepOwner(tmp: string, existing: Stats): Promise<void> {
  const mine = await fsp.stat(tmp);
  if (mine.uid === existing.uid && mine.gid === existing.gid) return;
  try {
    await fsp.chown(tmp, existing.uid, existing.gid);
  } catch {
    // Not root: a user may still give the file a group they belong to.
    if (mine.gid !== existing.gid) await fsp.chown(tmp, -1, existing.gid).catch(() => undefined);
  }
}

/** An output stream that also reports, once all writes are done, the first write error. */
export interface CheckedOutStream extends OutStream {
  /**
   * Resolves when every write has completed; rejects with a WriteError naming the stream when one
   * failed. A reader that went away (EPIPE, `meshctl ... | head -1`) is not an error: the rest of
   * the output is dropped and the run ends with its own exit code.
   */
  flush(): Promise<void>;
}

/**
 * The error `flush()` reports for a stream's first write error: none when there was none, or when
 * the reader went away (EPIPE, `meshctl ... | head -1`).
 */
function streamFailure(failure: NodeJS.ErrnoException | undefined, name: string): WriteError | undefined {
  if (!failure || failure.code === 'EPIPE') return undefined;
  return new WriteError(`writing to ${name}: ${describeSystemError(failure)}`);
}

/**
 * Wraps a process stream (stdout, stderr) so that a write error never becomes an uncaught
 * exception: the first error is kept, later writes are dropped, and `flush()` reports it. `write`
 * also takes bytes (the rest of a chunk fdOutStream could not write, which may end inside a
 * character).
 */
export function processOutStream(stream: NodeJS.WritableStream, name: string, isTTY: boolean): CheckedOutStream & { write(chunk: string | Uint8Array): void } {
  let failure: NodeJS.ErrnoException | undefined;
  let pending = 0;
  let waiters: (() => void)[] = [];
  const wake = () => {
    if (pending > 0 && !failure) return;
    const ready = waiters;
    waiters = [];
    for (const w of ready) w();
  };
  const fail = (e: NodeJS.ErrnoException) => {
    failure ??= e;
    wake();
  };
  stream.on('error', fail);
  const destroyed = () => (stream as { destroyed?: boolean }).destroyed === true;
  return {
    isTTY,
    write(chunk) {
      if (failure || destroyed()) return;
      pending++;
      stream.write(chunk, (err?: Error | null) => {
        pending--;
        if (err) fail(err);
        else wake();
      });
    },
    flush() {
      return new Promise<void>((resolve, reject) => {
        const settle = () => {
          const error = streamFailure(failure, name);
          if (error) reject(error);
          else resolve();
        };
        // setImmediate: an error event queued by the last write arrives before the answer.
        waiters.push(() => setImmediate(settle));
        wake();
      });
    },
  };
}

/**
 * Returns stdout or stderr (`fd` 1 or 2) written with the write system call directly: each
 * `write` has reached the file, pipe or terminal when it returns, as Node's own streams do for
 * files, and on Linux for pipes and terminals while the reader keeps up (Node documents these as
 * synchronous writes). What this saves is creating Node's stream object for the descriptor, which
 * loads Node's stream modules and, for a pipe (how CI jobs and `| jq` read meshctl), its network
 * socket modules too: about 5 ms of a short run's start (bench/README.md). A descriptor left in
 * non-blocking mode by whoever shares it, whose reader is behind (`EAGAIN`), is handed to `slow()`,
 * the Node stream, for the rest of the run and everything after it, in order; other errors are kept
 * and reported by `flush()` as processOutStream reports them (a reader gone away, `EPIPE`, is no
 * error). `isTTY` is asked of `isatty(fd)` on first use only, as answering it loads the same modules.
 * @param fd the descriptor written: 1 (stdout) or 2 (stderr)
 * @param name how errors name the stream: `stdout` or `stderr`
 * @param slow returns the Node stream of the same descriptor (process.stdout or process.stderr)
 * @param isatty whether a descriptor is a terminal (node:tty's `isatty`)
 */
export function fdOutStream(fd: number, name: string, slow: () => NodeJS.WritableStream, isatty: (fd: number) => boolean): CheckedOutStream {
  let failure: NodeJS.ErrnoException | undefined;
  let fallback: ReturnType<typeof processOutStream> | undefined;
  let tty: boolean | undefined;
  const toStream = () => (fallback ??= processOutStream(slow(), name, isatty(fd)));
  return {
    get isTTY() {
      return (tty ??= isatty(fd));
    },
    write(chunk) {
      if (fallback) return fallback.write(chunk);
      if (failure) return;
      const bytes = Buffer.from(chunk, 'utf8');
      let done = 0;
      try {
        while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        // The rest as bytes: `done` may fall inside a character.
        if (err.code === 'EAGAIN') toStream().write(bytes.subarray(done));
        else failure = err;
      }
    },
    flush() {
      if (fallback) return fallback.flush();
      const error = streamFailure(failure, name);
      return error ? Promise.reject(error) : Promise.resolve();
    },
  };
}
