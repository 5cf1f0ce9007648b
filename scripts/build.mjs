// Bundles src/ into dist/ with esbuild. Splitting keeps @kubernetes/client-node, ora and execa in
// lazy chunks, so commands that never reach a cluster start near bare-Node speed
// (see bench/README.md for the measured figures).
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';

await rm(new URL('../dist/', import.meta.url), { recursive: true, force: true });
// The IstioOperator schema is precompiled into src/generated/ so start-up never compiles a schema.
await import('./gen-validators.mjs').then((m) => m.writeValidators());
const result = await build({
  entryPoints: { meshctl: 'src/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: false,
  metafile: true,
  logLevel: 'warning',
  chunkNames: 'chunks/[name]-[hash]',
  // commander and yaml are CommonJS; their require() calls need a real require in ESM output.
  banner: { js: "import { createRequire as __meshctlRequire } from 'node:module'; const require = __meshctlRequire(import.meta.url);" },
});
await import('node:fs/promises').then((fs) => fs.writeFile('dist/meta.json', JSON.stringify(result.metafile)));
