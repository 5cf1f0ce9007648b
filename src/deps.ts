/**
 * Everything a command needs from the outside world, injected so tests run `main(argv, deps)`
 * in-process (DESIGN.md rules 1, 2 and 9). `systemDeps()` in `src/system.ts` builds the real one.
 */

/** A writable text stream: stdout or stderr. */
export interface OutStream {
  write(chunk: string): void;
  /** True when the stream is a terminal (colour and spinners only then). */
  readonly isTTY: boolean;
  /**
   * Resolves once everything written has been written; rejects with the first write error (a full
   * disk), so main() reports it. Optional: in-memory streams never fail.
   */
  flush?(): Promise<void>;
}

/** The file-system operations commands use. Paths are as the user gave them (relative to cwd). */
export interface FileSystem {
  /**
   * Returns the file's text (UTF-8). Throws Node's ENOENT/EISDIR/ELOOP errors. With `maxBytes`, reads
   * at most that many bytes and throws an error with code `EFBIG` past it, so a device (`/dev/zero`)
   * or an endless FIFO ends in a clear error instead of exhausting memory. Bytes that are not UTF-8
   * throw an error with code `EILSEQ` carrying the 1-based `line` and `column` of the first one.
   */
  readText(path: string, maxBytes?: number): Promise<string>;
  /**
   * Lists a directory's entries: names, whether each is a directory, and whether it is something
   * other than a regular file or directory (a FIFO, socket or device, which must not be opened).
   * A symbolic link is special when what it points to is; a link to a directory is not a directory
   * (directories are walked without following links), and a link that cannot be followed counts as
   * a file, so reading it reports why.
   */
  readDir(path: string): Promise<{ name: string; isDirectory: boolean; isSpecial?: boolean }[]>;
  /** True when the path is a directory. Throws ENOENT when it does not exist. */
  isDirectory(path: string): Promise<boolean>;
  /**
   * Writes the file atomically: a temporary file in the same directory, then a rename, so a failed
   * run never leaves a partial or truncated file. Writes through a symlink to its target; keeps an
   * existing file's mode (and owner where permitted); refuses a read-only or non-regular file.
   * Throws ENOENT when the directory does not exist.
   */
  writeAtomic(path: string, text: string): Promise<void>;
}

export interface Deps {
  stdout: OutStream;
  stderr: OutStream;
  /**
   * Reads all of standard input (for `-f -`). With `maxBytes`, throws an error with code `EFBIG` past
   * that many bytes; throws one with code `EBADF` when standard input was closed (`<&-`).
   */
  readStdin(maxBytes?: number): Promise<string>;
  /** Whether stdin is a terminal (prompts refuse to run otherwise). */
  stdinIsTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  fs: FileSystem;
  /** Directory holding `profiles/` and `manifests/` (the package root). */
  assetsDir: string;
  /** Read the build's parsed copy of the assets (`dist/assets.json`) instead of the YAML sources. */
  prebuiltAssets?: boolean;
  /** meshctl's own version. */
  version: string;
  /**
   * Exit code a command asks for without failing (for example `diff --exit-code` finding
   * differences); main() returns it after a successful run.
   */
  exitCode?: number;
  /**
   * Aborted when the user interrupts (Ctrl-C). Cluster commands stop between requests, say what
   * was applied, and exit 130. Undefined in tests that do not interrupt.
   */
  signal?: AbortSignal;
  /**
   * Asks the user one question on the terminal and returns the answer line, or undefined at end of
   * input. Only called when `stdinIsTTY` is true; commands refuse to prompt otherwise.
   */
  prompt?: (question: string) => Promise<string | undefined>;
}
