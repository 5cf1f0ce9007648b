// Builds dist/: the esbuild bundle of src/ and dist/assets.json (profiles, values, CRDs and
// injection templates, parsed). Splitting keeps @kubernetes/client-node, ora, execa and the
// renderer in lazy chunks, so commands start near bare-Node speed (figures in bench/README.md).
import { build } from 'esbuild';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await rm(join(root, 'dist'), { recursive: true, force: true });
// The IstioOperator schema is precompiled into src/generated/ so start-up never compiles a schema.
await import('./gen-validators.mjs').then((m) => m.writeValidators());
await import('./gen-k8s-schemas.mjs').then((m) => m.writeK8sValidators());

/**
 * The `yaml` package's parser and composer read `process.env.LOG_TOKENS` / `LOG_STREAM` (its own
 * debugging switches) for every token and document; on Node each read is a call into the C++
 * environment and cost 10-15 % of parsing large streams (bench/README.md). esbuild's `define` does
 * not reach them (the package reads a local `require('process')`), so they are replaced with
 * `undefined` as the modules load; a warning says when a new `yaml` release no longer has them.
 */
const yamlDebugSwitches = {
  name: 'yaml-debug-switches',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]yaml[\\/]dist[\\/](parse[\\/]parser|compose[\\/]composer)\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const contents = source.replace(/\bnode_process\.env\.LOG_(TOKENS|STREAM)\b/g, 'undefined');
      const warnings = contents === source ? [{ text: `${args.path}: no process.env.LOG_TOKENS/LOG_STREAM read to remove` }] : [];
      return { contents, loader: 'js', warnings };
    });
  },
};

/**
 * commander loads `node:child_process` at start-up for its executable sub-commands (`git-style`
 * separate programs), which meshctl has none of; loading it cost every run ~3 ms of Node built-ins.
 * The require becomes a getter that loads it on first use; a warning says when commander changes.
 */
const lazyCommanderChildProcess = {
  name: 'lazy-commander-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const contents = source.replace("const childProcess = require('node:child_process');",
        "const childProcess = { get spawn() { return require('node:child_process').spawn; } };");
      const warnings = contents === source || /childProcess\.(?!spawn\b)/.test(contents)
        ? [{ text: `${args.path}: child_process is not required, or used, as the lazy-commander-child-process plugin expects` }] : [];
      return { contents, loader: 'js', warnings };
    });
  },
};

const result = await build({
  absWorkingDir: root,
  entryPoints: { meshctl: 'src/main.ts', 'build-assets': 'src/cli/assets.ts', 'build-ingress': 'src/cli/ingress-gateway.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Unminified: readable stack traces with --verbose, and V8 starts this size of code no slower.
  minify: false,
  metafile: true,
  plugins: [yamlDebugSwitches, lazyCommanderChildProcess],
  logLevel: 'warning',
  chunkNames: 'chunks/[name]-[hash]',
  // commander and yaml are CommonJS; their require() calls need a real require in ESM output.
  banner: { js: "import { createRequire as __meshctlRequire } from 'node:module'; const require = __meshctlRequire(import.meta.url);" },
});
await writeFile(join(root, 'dist', 'meta.json'), JSON.stringify(result.metafile));

// Parse the YAML data once here, with the same code the CLI uses, so a run reads JSON only.
const { readAssetSources } = await import(join(root, 'dist', 'build-assets.js'));
const assets = await readAssetSources(
  (path) => readFile(join(root, path), 'utf8'),
  async (path) => (await readdir(join(root, path), { withFileTypes: true }).catch(() => [])).filter((e) => e.isFile()).map((e) => e.name),
);
await mkdir(join(root, 'dist'), { recursive: true });
await writeFile(join(root, 'dist', 'assets.json'), JSON.stringify(assets));
// The default profile's ingress gateway, which analyze of files assumes: rendered here so that run loads no renderer.
const { renderDefaultIngressGateway } = await import(join(root, 'dist', 'build-ingress.js'));
await writeFile(join(root, 'dist', 'ingress-gateway.json'), JSON.stringify(renderDefaultIngressGateway(assets)));
