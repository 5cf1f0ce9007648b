// `npm run test-cluster`: runs the real test control plane (test/control-plane/: etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler, kwok) for trying meshctl or kubectl by
// hand. The binaries are built first when missing or stale (scripts/build-control-plane.mjs); the
// launcher is TypeScript under test/, so it is bundled with esbuild (dependencies stay external and
// resolve from node_modules). Flags are passed on: `npm run test-cluster -- --help`.
import { spawnSync } from 'node:child_process';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const wantsHelp = process.argv.slice(2).some((a) => a === '-h' || a === '--help');
if (!wantsHelp) {
  // Build output goes to stderr: stdout carries only the KUBECONFIG= line.
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-control-plane.mjs')], { stdio: ['ignore', 2, 2] });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
const cache = join(root, 'node_modules', '.cache', 'meshctl');
await mkdir(cache, { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: ['test/control-plane/standalone.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  write: false,
  logLevel: 'warning',
});
// Written under a unique name and renamed, so two runs starting at once never read half a file.
const out = join(cache, 'test-cluster.mjs');
const tmp = `${out}.${process.pid}.tmp`;
await writeFile(tmp, result.outputFiles[0].contents);
await rename(tmp, out);

const { runStandalone } = await import(pathToFileURL(out).href);
const code = await runStandalone(process.argv.slice(2), process.env);
process.exitCode = code;
// Everything is closed by now; should a stray handle remain, do not hang after Ctrl-C.
setTimeout(() => process.exit(code), 2000).unref();
