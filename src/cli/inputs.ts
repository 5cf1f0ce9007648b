/** Reading the files users name with `-f` (paths, comma lists, `-` for stdin). */
import { normalize } from 'node:path';
import type { Deps } from '../deps.js';
import { DataError, UsageError } from '../errors.js';
import type { OverlayFile } from '../render/config.js';
import { describeSystemError, WriteError } from '../system-write.js';

/** Display name used for standard input in messages. */
export const STDIN_NAME = '<stdin>';

/**
 * The most bytes read from one `-f` input (256 MiB): room for the largest rendered platforms, and low enough that a
 * device such as `/dev/zero` or an endless FIFO ends in a clear error rather than exhausting memory.
 */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

/**
 * Returns the DataError for an input that could not be read: `name` is the path as given (or
 * `<stdin>`). Too large, a symlink loop, a closed stdin, a missing file and text that is not UTF-8
 * (at its `file:line:column`) each get their own words.
 */
export function readError(name: string, e: unknown): DataError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EFBIG') return new DataError(`${name}: input larger than ${MAX_INPUT_BYTES / (1024 * 1024)} MiB`);
  if (code === 'ELOOP') return new DataError(`${name}: too many levels of symbolic links`);
  if (code === 'EBADF' && name === STDIN_NAME) return new DataError(`${name}: standard input is closed`);
  if (code === 'ENOENT') return new DataError(`${name}: no such file`);
  if (code === 'EISDIR') return new DataError(`${name}: is a directory; expected a YAML file`);
  if (code === 'ENXIO' || code === 'EOPNOTSUPP') return new DataError(`${name}: not a regular file (a socket?); cannot read it`);
  if (code === 'EACCES') return new DataError(`${name}: permission denied`);
  if (code === 'EILSEQ') {
    const { line, column, reason } = e as { line?: number; column?: number; reason?: string };
    const message = reason?.startsWith('binary file') ? `${reason}; expected YAML or JSON` : `${reason ?? 'not UTF-8'}; expected UTF-8 text (YAML or JSON)`;
    return line && column ? new DataError(message, { file: name, line, column }) : new DataError(`${name}: ${message}`);
  }
  return new DataError(`${name}: cannot read: ${(e as Error).message}`);
}

/**
 * Splits repeated and comma-separated `-f` values (`-f a.yaml,b.yaml -f c.yaml`) into paths.
 * Throws UsageError when `-` (stdin) is given more than once.
 */
export function splitFileFlags(values: readonly string[] | undefined): string[] {
  const out = (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  if (out.filter((v) => v === '-').length > 1) throw new UsageError('standard input ("-") can be given only once');
  return out;
}

/**
 * Reads each path (or stdin for `-`) and returns name and text in the order given. Throws
 * DataError for unreadable files (missing, a directory, binary content).
 */
export async function readInputFiles(deps: Deps, paths: readonly string[]): Promise<OverlayFile[]> {
  const out: OverlayFile[] = [];
  for (const path of paths) {
    if (path === '-') {
      try {
        out.push({ name: STDIN_NAME, text: await deps.readStdin(MAX_INPUT_BYTES) });
      } catch (e) {
        throw readError(STDIN_NAME, e);
      }
      continue;
    }
    let text: string;
    try {
      text = await deps.fs.readText(path, MAX_INPUT_BYTES);
    } catch (e) {
      throw readError(path, e);
    }
    const nul = text.indexOf('\u0000');
    if (nul >= 0) {
      // UTF-16 without a byte-order mark: text with a NUL byte beside every ASCII letter.
      if (/^(?:[^\0]\0|\0[^\0]){4}/.test(text)) {
        throw new DataError('UTF-16 text (a NUL byte beside every letter); expected UTF-8 text (YAML or JSON)', { file: path, line: 1, column: 1 });
      }
      const before = text.slice(0, nul);
      const line = before.split('\n').length;
      const position = { file: path, line, column: nul - before.lastIndexOf('\n') };
      throw new DataError('binary file (NUL byte); expected YAML or JSON', position);
    }
    out.push({ name: path, text });
  }
  return out;
}

/** Extensions read when a directory is given with `-f`. */
const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

/**
 * Expands `-f` paths: a directory becomes its `.yaml`, `.yml` and `.json` files, walked
 * recursively in name order; files and `-` stay as given. A FIFO, socket or device inside a
 * directory is never opened (a FIFO would block the read): it is skipped with a one-line warning
 * on stderr naming it. Throws DataError for a missing path, a symlink loop, and a directory
 * holding no such file.
 */
export async function expandInputPaths(deps: Deps, paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = (await deps.fs.readDir(dir)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = dir.endsWith('/') ? `${dir}${e.name}` : `${dir}/${e.name}`;
      if (e.isDirectory) await walk(full);
      else if (!MANIFEST_EXTENSIONS.some((ext) => e.name.endsWith(ext))) continue;
      else if (e.isSpecial) deps.stderr.write(`Warning: skipping ${full}: not a regular file (a FIFO, socket or device)\n`);
      else out.push(full);
    }
  };
  for (const path of paths) {
    if (path === '-') {
      out.push(path);
      continue;
    }
    let dir: boolean;
    try {
      dir = await deps.fs.isDirectory(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new DataError(`${path}: no such file or directory`);
      throw readError(path, e);
    }
    if (!dir) {
      out.push(path);
      continue;
    }
    const before = out.length;
    await walk(path);
    if (out.length === before) throw new DataError(`${path}: directory holds no .yaml, .yml or .json files`);
  }
  return out;
}

/** One entry of expandEachInputOnce: a file to read, or a `-f` value that could not be expanded. */
export type ExpandedInput = { path: string } | { given: string; error: unknown };

/**
 * Expands each `-f` value with expandInputPaths, in order, and keeps each file once: a file named
 * twice (`dir/ dir/a.yaml`, `./a.yaml a.yaml`, `-` twice) would otherwise be read twice, and its
 * objects taken for two (two workloads sharing labels, two conflicting Gateways). A value that
 * cannot be expanded (missing, or a directory without manifests) becomes an entry with the error
 * thrown, in its place, so the caller reports it and goes on.
 */
export async function expandEachInputOnce(deps: Deps, paths: readonly string[]): Promise<ExpandedInput[]> {
  const out: ExpandedInput[] = [];
  const seen = new Set<string>();
  for (const given of paths) {
    let files: string[];
    try {
      files = await expandInputPaths(deps, [given]);
    } catch (error) {
      out.push({ given, error });
      continue;
    }
    for (const path of files) {
      const key = path === '-' ? path : normalize(path);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ path });
    }
  }
  return out;
}

/**
 * Writes `text` to `path` atomically (through a symlink, keeping the mode of the file replaced).
 * Throws UsageError when the directory does not exist or the path is a directory, so a mistyped
 * `-o` is reported as such; a WriteError naming the path for a file that may not or cannot be
 * written (read-only, not a regular file, EACCES, EROFS, ENOSPC...). Nothing is written then.
 */
export async function writeOutputFile(deps: Deps, path: string, text: string): Promise<void> {
  try {
    await deps.fs.writeAtomic(path, text);
  } catch (e) {
    if (e instanceof WriteError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`cannot write ${path}: its directory does not exist`);
    if (code === 'EISDIR') throw new UsageError(`cannot write ${path}: it is a directory`);
    if (typeof code === 'string') throw new WriteError(`cannot write ${path}: ${describeSystemError(e)}`);
    throw e;
  }
}
