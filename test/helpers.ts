/** Test doubles for the process boundary: in-memory streams over the real file system and assets. */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { main } from '../src/main.js';
import type { Deps } from '../src/deps.js';
import { nodeFileSystem } from '../src/system.js';

/** The repository root (holds profiles/ and manifests/). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Result of an in-process run. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for a test run: stdin text, environment, TTY flags. */
export interface TestDepsOptions {
  stdin?: string;
  env?: Record<string, string>;
  tty?: boolean;
}

/** Returns deps with captured output; `out()` returns what was written. */
export function testDeps(o: TestDepsOptions = {}): { deps: Deps; out: () => { stdout: string; stderr: string } } {
  let stdout = '';
  let stderr = '';
  const deps: Deps = {
    stdout: { write: (s) => { stdout += s; }, isTTY: o.tty ?? false },
    stderr: { write: (s) => { stderr += s; }, isTTY: o.tty ?? false },
    readStdin: async () => o.stdin ?? '',
    stdinIsTTY: false,
    env: o.env ?? {},
    fs: nodeFileSystem(),
    assetsDir: repoRoot,
    version: '0.0.0-test',
  };
  return { deps, out: () => ({ stdout, stderr }) };
}

/** Runs meshctl in-process with `argv` and returns exit code and output. */
export async function run(argv: string[], o: TestDepsOptions = {}): Promise<RunResult> {
  const { deps, out } = testDeps(o);
  const code = await main(argv, deps);
  return { code, ...out() };
}
