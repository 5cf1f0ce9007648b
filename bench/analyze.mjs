// analyze throughput: the built bin/meshctl analyzes generated meshes of 10,000 and 50,000
// resources (bench/gen-mesh.mjs); with --verbose it reports, for the same run, the time spent
// parsing YAML and the time spent on analysis (documents to resources, indexes, every analyzer).
// Prints the median ratio analysis/parse per size (target ≤ 0.5×) and the growth of analysis
// time from 10k to 50k resources (target ≤ 5.5×, i.e. linear).
//
//   npm run build && node bench/analyze.mjs [--rounds 3] [--sizes 10000,50000]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { meshResources } from './gen-mesh.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const argOf = (name, def) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : def; };
const rounds = Number(argOf('--rounds', '3'));
const sizes = argOf('--sizes', '10000,50000').split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'meshctl-bench-analyze-'));

const files = sizes.map((n) => {
  const file = join(dir, `mesh-${n}.yaml`);
  writeFileSync(file, meshResources(n).text);
  return file;
});

function once(file) {
  const r = spawnSync(process.execPath, ['--import', join(here, 'rss.mjs'), join(root, 'bin/meshctl'), 'analyze', '--verbose', file],
    { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  const err = r.stderr.toString();
  const m = /Timings: parse ([\d.]+) ms, analysis ([\d.]+) ms \((\d+) resources\)/.exec(err);
  if (!m) throw new Error(`no timings from meshctl analyze (exit ${r.status}): ${err.slice(0, 2000)}`);
  const rss = Number(/maxrss=(\d+)/.exec(err)?.[1] ?? NaN);
  const findings = Number(/^(\d+) findings?:/m.exec(err)?.[1] ?? 0);
  return { parse: Number(m[1]), analysis: Number(m[2]), resources: Number(m[3]), rss, findings };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const samples = sizes.map(() => []);
for (let i = 0; i < rounds; i++) files.forEach((f, j) => samples[j].push(once(f)));

console.log(`${rounds} interleaved rounds; node ${process.version}; medians`);
console.log('resources | input MB | parse ms | analysis ms | analysis / parse | findings | peak RSS MB | target');
console.log('---|---|---|---|---|---|---|---');
const analysisMedians = [];
sizes.forEach((n, j) => {
  const s = samples[j];
  const parse = median(s.map((x) => x.parse));
  const analysis = median(s.map((x) => x.analysis));
  analysisMedians.push(analysis);
  const ratio = median(s.map((x) => x.analysis / x.parse));
  console.log(`${s[0].resources} | ${(statSync(files[j]).size / 1e6).toFixed(1)} | ${parse.toFixed(0)} | ${analysis.toFixed(0)} | ${ratio.toFixed(3)}× | ${s[0].findings} | ${(median(s.map((x) => x.rss)) / 1e6).toFixed(0)} | ≤ 0.5× ${ratio <= 0.5 ? 'met' : 'MISSED'}`);
});
if (sizes.length >= 2) {
  const growth = analysisMedians.at(-1) / analysisMedians[0];
  const factor = sizes.at(-1) / sizes[0];
  const target = factor * 1.1;
  console.log(`\nanalysis growth ${sizes[0]} → ${sizes.at(-1)}: ${growth.toFixed(2)}× for ${factor}× the resources (target ≤ ${target.toFixed(1)}× ${growth <= target ? 'met' : 'MISSED'})`);
}
