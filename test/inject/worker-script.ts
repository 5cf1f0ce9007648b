/**
 * The kube-inject worker (src/cli/inject-worker.ts) bundled into one CommonJS file, for tests
 * that run the worker path from src/: a worker thread cannot load TypeScript, and dist/ may hold
 * another build. Built once per test file, with the esbuild the build uses.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from '../helpers.js';

let built: Promise<string> | undefined;

/** Returns the path of the bundled worker script (in a temporary directory). */
export function workerScript(): Promise<string> {
  built ??= (async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), 'meshctl-inject-worker-')), 'inject-worker.cjs');
    await build({
      absWorkingDir: repoRoot, entryPoints: ['src/cli/inject-worker.ts'], outfile,
      bundle: true, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'error',
    });
    return outfile;
  })();
  return built;
}
