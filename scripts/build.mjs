// Builds dist/: the esbuild bundle of src/ and dist/assets.json (profiles, values, CRDs and
// injection templates, parsed). Splitting keeps @kubernetes/client-node, ora, execa and the
// renderer in lazy chunks, so commands start near bare-Node speed (figures in bench/README.md).
// The chunks are written as ES modules (esbuild splits only that format) and then turned into
// CommonJS, which Node loads synchronously: see toCommonJs below.
import { build, transform } from 'esbuild';
import { copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
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
  entryPoints: { meshctl: 'src/main.ts', 'compile-cache': 'src/compile-cache.ts', 'build-assets': 'src/cli/assets.ts', 'build-ingress': 'src/cli/ingress-gateway.ts',
    // The worker thread of large kube-inject runs (src/cli/inject-workers.ts), found next to meshctl.js.
    'inject-worker': 'src/cli/inject-worker.ts' },
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
});
await writeFile(join(root, 'dist', 'meta.json'), JSON.stringify(result.metafile));
// esbuild gives a split `import()` of a CommonJS package (yaml, commander) a namespace holding only
// `default`: `(await import('yaml')).parse` would be undefined at run time. Lazy code imports one of
// our own modules, which imports the package statically.
for (const [output, info] of Object.entries(result.metafile.outputs)) {
  for (const dynamic of info.imports.filter((i) => i.kind === 'dynamic-import' && !i.external)) {
    const entry = result.metafile.outputs[dynamic.path]?.entryPoint ?? '';
    if (!entry.startsWith('src/')) throw new Error(`${output}: import() of ${dynamic.path} (${entry || 'no entry point'}): import a module of src/ that imports the package instead`);
  }
}
await toCommonJs(join(root, 'dist'), Object.keys(result.metafile.outputs).filter((o) => o.endsWith('.js')).map((o) => join(root, o)));

// Parse the YAML data once here, with the same code the CLI uses, so a run reads JSON only.
// With the built-in profiles' IstioOperator checks recorded, so that rendering one of them loads no validator.
const { readAssetSources, withBuiltinChecks } = await import(join(root, 'dist', 'build-assets.js'));
const assets = await withBuiltinChecks(await readAssetSources(
  (path) => readFile(join(root, path), 'utf8'),
  async (path) => (await readdir(join(root, path), { withFileTypes: true }).catch(() => [])).filter((e) => e.isFile()).map((e) => e.name),
));
await mkdir(join(root, 'dist'), { recursive: true });
await writeFile(join(root, 'dist', 'assets.json'), JSON.stringify(assets));
// The default profile's ingress gateway, which analyze of files assumes: rendered here so that run loads no renderer.
const { renderDefaultIngressGateway } = await import(join(root, 'dist', 'build-ingress.js'));
await writeFile(join(root, 'dist', 'ingress-gateway.json'), JSON.stringify(renderDefaultIngressGateway(assets)));
// The schema validators' code, which they read and compile piece by piece when they first run (src/schema/lazy-validators.ts).
await copyFile(join(root, 'src', 'generated', 'schema-validators.txt'), join(root, 'dist', 'schema-validators.txt'));

/** Counts the places in `code` that assign the binding `name` (a regular-expression-escaped identifier): `=`, compound assignments, `++` and `--`. */
function assignments(code, name) {
  const operator = '(?:[-+*/%&|^]|\\*\\*|<<|>>>?|\\?\\?|&&|\\|\\|)?=(?![=>])';
  const pattern = `(?<![\\w$.])${name}\\s*${operator}|(?:\\+\\+|--)${name}\\b|(?<![\\w$.])${name}(?:\\+\\+|--)`;
  return code.match(new RegExp(pattern, 'g'))?.length ?? 0;
}

/**
 * Returns `code` (one chunk as esbuild's CommonJS conversion wrote it) with its exports made plain
 * data properties once the chunk has run, where the binding cannot change: a top-level function,
 * class or const, or a `var X = class` assigned nowhere else. The conversion keeps ES modules'
 * live bindings by exporting getters (one on the exports object, one on the object it copies), so
 * every call of an imported function went through two getter calls; in kube-inject's template
 * engine, whose value types and helpers live in other chunks, that was 5-10 % of a large run
 * (bench/README.md). Other exports (a `var` that a lazily initialised module assigns later, a
 * `let`) keep their getters. A chunk required while it is still loading (a cycle) sees the
 * getters, which stay correct.
 * @throws when the conversion's export table has a shape this does not know
 */
function settleExports(code, file) {
  const table = /^__export\((\w+), \{\n((?: {2}.+\n)*?)\}\);\nmodule\.exports = __toCommonJS\(\1\);$/m.exec(code);
  if (!table) {
    if (/__toCommonJS\(/.test(code.replace(/^var __toCommonJS = .*$/m, ''))) throw new Error(`${file}: an export table settleExports does not recognise`);
    return code;
  }
  const settled = [];
  for (const line of table[2].split('\n').filter(Boolean)) {
    const entry = /^ {2}([\w$]+|"[^"]+"): \(\) => ([\w$.]+),?$/.exec(line);
    if (!entry) throw new Error(`${file}: an export entry settleExports does not recognise: ${line}`);
    const [, key, local] = entry;
    // A re-export (`() => import_chunk_X.name`) stays a getter: the other chunk settles its own.
    if (local.includes('.')) continue;
    const name = local.replace(/\$/g, '\\$');
    if (new RegExp(`^(?:(?:async )?function\\*? ?${name}\\(|class ${name}\\b|const ${name}\\b)`, 'm').test(code)) settled.push(`${key}: ${local}`);
    // esbuild writes a class with static members as `var X = class ...`: settled too when the
    // declaration is the only assignment of X in the chunk.
    else if (new RegExp(`^var ${name} = class\\b`, 'm').test(code) && assignments(code, name) === 1) settled.push(`${key}: ${local}`);
  }
  if (settled.length === 0) return code;
  return `${code}
// Exports that can no longer change, as plain values (settleExports in scripts/build.mjs).
module.exports = ((live, values) => {
  const settled = {};
  for (const key of Object.getOwnPropertyNames(live)) {
    Object.defineProperty(settled, key, Object.hasOwn(values, key) ? { value: values[key], enumerable: true } : Object.getOwnPropertyDescriptor(live, key));
  }
  return settled;
})(module.exports, { ${settled.join(', ')} });
`;
}

/**
 * Rewrites each ES-module chunk esbuild wrote as a CommonJS module, in place, and marks dist/ as
 * CommonJS (dist/package.json). Node 20 loads an ES module graph through its asynchronous loader:
 * every file is read on the thread pool, resolved as a URL and linked, which cost a cold run of
 * `analyze` 10-25 ms of waiting and loader work (bench/README.md); `require` reads and compiles a
 * file synchronously. esbuild splits chunks only in ESM output, so the split is done first and the
 * format changed after: static imports between chunks become `require` calls, `import()` of a lazy
 * chunk becomes a deferred `require`, so lazy chunks still load only when their command runs.
 * `import.meta.url` (used to find dist/assets.json) becomes the file's own URL.
 * @param dir dist/, where package.json goes
 * @param files absolute paths of the .js outputs
 * @throws when a chunk cannot be converted (esbuild's error, e.g. for top-level await)
 */
async function toCommonJs(dir, files) {
  await Promise.all(files.map(async (file) => {
    const source = await readFile(file, 'utf8');
    const out = await transform(source, {
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      sourcefile: file,
      supported: { 'dynamic-import': false },
      define: { 'import.meta.url': '__meshctlModuleUrl' },
      banner: source.includes('import.meta') ? "const __meshctlModuleUrl = require('node:url').pathToFileURL(__filename).href;" : '',
      // The bundle step already reported warnings where they are meaningful (it knows which code is
      // a dependency's); a second report of the same code from the format change is noise.
      logLevel: 'error',
    });
    await writeFile(file, settleExports(out.code, file));
  }));
  await writeFile(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
}
