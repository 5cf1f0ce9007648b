/** Reading the files users name with `-f` (paths, comma lists, `-` for stdin). */
import { normalize } from 'node:path';
import type { Deps } from '../deps.js';
import { DataError, UsageError } from '../errors.js';
import type { OverlayFile } from '../render/config.js';

/** Display name used for standard input in messages. */
export const STDIN_NAME = '<stdin>';

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
      out.push({ name: STDIN_NAME, text: await deps.readStdin() });
      continue;
    }
    let text: string;
    try {
      text = await deps.fs.readText(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new DataError(`${path}: no such file`);
      if (code === 'EISDIR') throw new DataError(`${path}: is a directory; expected a YAML file`);
      throw new DataError(`${path}: cannot read: ${(e as Error).message}`);
    }
    const nul = text.indexOf('\u0000');
    if (nul >= 0) {
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
 * recursively in name order; files and `-` stay as given. Throws DataError for a missing path and
 * for a directory holding no such file.
 */
export async function expandInputPaths(deps: Deps, paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = (await deps.fs.readDir(dir)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = dir.endsWith('/') ? `${dir}${e.name}` : `${dir}/${e.name}`;
      if (e.isDirectory) await walk(full);
      else if (MANIFEST_EXTENSIONS.some((ext) => e.name.endsWith(ext))) out.push(full);
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
    } catch {
      throw new DataError(`${path}: no such file or directory`);
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
 * Writes `text` to `path` atomically. Throws UsageError when the directory does not exist, so a
 * mistyped `-o` is reported as such and nothing is written.
 */
export async function writeOutputFile(deps: Deps, path: string, text: string): Promise<void> {
  try {
    await deps.fs.writeAtomic(path, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`cannot write ${path}: its directory does not exist`);
    if (code === 'EISDIR') throw new UsageError(`cannot write ${path}: it is a directory`);
    if (code === 'EACCES') throw new UsageError(`cannot write ${path}: permission denied`);
    throw e;
  }
}
