/** The real process dependencies: streams, file system, environment. */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Deps, FileSystem } from './deps.js';

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

/** Returns the file-system operations backed by node:fs. */
export function nodeFileSystem(): FileSystem {
  return {
    readText: (path) => readFile(path, 'utf8'),
    readDir: async (path) => (await readdir(path, { withFileTypes: true })).map((d) => ({ name: d.name, isDirectory: d.isDirectory() })),
    isDirectory: async (path) => (await stat(path)).isDirectory(),
    writeAtomic: async (path, text) => {
      const dir = dirname(path);
      const tmpDir = await mkdtemp(join(dir, `.${basename(path)}.tmp-`));
      const tmp = join(tmpDir, basename(path));
      try {
        await writeFile(tmp, text, { mode: 0o644 });
        await rename(tmp, path);
      } finally {
        await rm(tmpDir, { recursive: true, force: true });
      }
    },
  };
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

/**
 * Swallows EPIPE on a standard stream: when the reader goes away (`meshctl ... | head`) the rest
 * of the output has nowhere to go, which is not an error worth a stack trace. Other errors still throw.
 */
function ignoreBrokenPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}

/** Asks one question on the terminal (the prompt goes to stderr, so stdout stays data). */
function prompt(question: string): Promise<string | undefined> {
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

/** Returns the dependencies of a real run. */
export function systemDeps(): Deps {
  const assetsDir = findAssetsDir();
  // eslint-disable-next-line no-restricted-properties -- the real streams are wired here only
  ignoreBrokenPipe(process.stdout);
  // eslint-disable-next-line no-restricted-properties -- the real streams are wired here only
  ignoreBrokenPipe(process.stderr);
  const pkg = JSON.parse(readFileSync(join(assetsDir, 'package.json'), 'utf8')) as { version: string };
  const signal = interruptSignal();
  return {
    get signal() {
      return signal();
    },
    prompt,
    // eslint-disable-next-line no-restricted-properties -- the real streams are wired here only
    stdout: { write: (s) => void process.stdout.write(s), isTTY: process.stdout.isTTY === true },
    // eslint-disable-next-line no-restricted-properties -- the real streams are wired here only
    stderr: { write: (s) => void process.stderr.write(s), isTTY: process.stderr.isTTY === true },
    readStdin,
    stdinIsTTY: process.stdin.isTTY === true,
    env: process.env,
    fs: nodeFileSystem(),
    assetsDir,
    prebuiltAssets: existsSync(join(assetsDir, 'dist', 'assets.json')),
    version: pkg.version,
  };
}
