// analyze throughput: the built bin/meshctl analyzes generated meshes of 10,000 and 50,000
// resources (bench/gen-mesh.mjs); with --verbose it reports, for the same run, the time spent
// parsing YAML and the time spent on analysis (documents to resources, indexes, every analyzer).
// Prints the median ratio analysis/parse per size (target ≤ 0.5×) and the growth of analysis
// time from 10k to 50k resources (target ≤ 5.5×, i.e. linear).
//
// With --shape workloads (issue 16) the inputs are N workloads, each a Deployment with its Service
// (bench/gen-workloads.mjs; 40,000 are about 45 MB), default sizes 10,000, 20,000 and 40,000, and
// both `analyze FILE` and `validate -f FILE` run as fresh processes: wall time and peak RSS per
// size, the growth of wall time from the first to the last size (target ≤ 4.6× for 4× the
// workloads) and the peak RSS at the last size (target ≤ 2 GB).
//
//   npm run build && node bench/analyze.mjs [--rounds 3] [--sizes 10000,50000]
//   npm run build && node bench/analyze.mjs --shape workloads [--rounds 3] [--sizes 10000,20000,40000]
// --meshctl PATH runs another build's launcher (an earlier commit's, for before/after figures).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { meshResources } from './gen-mesh.mjs';
import { workloads } from './gen-workloads.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const argOf = (name, def) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : def; };
const rounds = Number(argOf('--rounds', '3'));
const shape = argOf('--shape', 'mesh');
if (shape !== 'mesh' && shape !== 'workloads') throw new Error(`--shape ${shape}: use mesh or workloads`);
const sizes = argOf('--sizes', shape === 'mesh' ? '10000,50000' : '10000,20000,40000').split(',').map(Number);
const meshctl = argOf('--meshctl', join(root, 'bin/meshctl'));
const dir = mkdtempSync(join(tmpdir(), 'meshctl-bench-analyze-'));

const files = sizes.map((n) => {
  const file = join(dir, `${shape}-${n}.yaml`);
  writeFileSync(file, shape === 'mesh' ? meshResources(n).text : workloads(n));
  return file;
});

function once(file) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', join(here, 'rss.mjs'), meshctl, 'analyze', '--verbose', file],
    { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  const wall = performance.now() - t0;
  const err = r.stderr.toString();
  const m = /Timings: parse ([\d.]+) ms, analysis ([\d.]+) ms \((\d+) resources\)/.exec(err);
  if (!m) throw new Error(`no timings from meshctl analyze (exit ${r.status}): ${err.slice(0, 2000)}`);
  const rss = Number(/maxrss=(\d+)/.exec(err)?.[1] ?? NaN);
  const findings = Number(/^(\d+) findings?:/m.exec(err)?.[1] ?? 0);
  return { parse: Number(m[1]), analysis: Number(m[2]), resources: Number(m[3]), rss, findings, wall };
}

/** Runs `validate -f file`: wall time (ms) and peak RSS (bytes). */
function validateOnce(file) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', join(here, 'rss.mjs'), meshctl, 'validate', '-f', file],
    { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  const wall = performance.now() - t0;
  const err = r.stderr.toString();
  const m = /^validated (\d+) objects?/m.exec(err);
  if (!m) throw new Error(`no summary from meshctl validate (exit ${r.status}): ${err.slice(-2000)}`);
  return { wall, rss: Number(/maxrss=(\d+)/.exec(err)?.[1] ?? NaN), objects: Number(m[1]) };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

if (shape === 'workloads') {
  const analyzeRuns = sizes.map(() => []);
  const validateRuns = sizes.map(() => []);
  for (let i = 0; i < rounds; i++) {
    files.forEach((f, j) => {
      analyzeRuns[j].push(once(f));
      validateRuns[j].push(validateOnce(f));
    });
  }
  const mb = (bytes) => (bytes / 1e6).toFixed(0);
  console.log(`${rounds} interleaved rounds; node ${process.version}; medians (peak RSS: the largest of the rounds)`);
  console.log('workloads | input MB | analyze s | analyze peak RSS MB | findings | validate s | validate peak RSS MB');
  console.log('---|---|---|---|---|---|---');
  sizes.forEach((n, j) => {
    const a = analyzeRuns[j];
    const v = validateRuns[j];
    console.log(`${n} | ${(statSync(files[j]).size / 1e6).toFixed(1)} | ${(median(a.map((x) => x.wall)) / 1e3).toFixed(1)} | ${mb(Math.max(...a.map((x) => x.rss)))} | ${a[0].findings} | ${(median(v.map((x) => x.wall)) / 1e3).toFixed(1)} | ${mb(Math.max(...v.map((x) => x.rss)))}`);
  });
  if (sizes.length >= 2) {
    const factor = sizes.at(-1) / sizes[0];
    const target = 4.6 * factor / 4;
    for (const [name, runs] of [['analyze', analyzeRuns], ['validate', validateRuns]]) {
      const growth = median(runs.at(-1).map((x) => x.wall)) / median(runs[0].map((x) => x.wall));
      const peak = Math.max(...runs.at(-1).map((x) => x.rss));
      console.log(`${name}: time growth ${sizes[0]} → ${sizes.at(-1)} ${growth.toFixed(2)}× for ${factor}× the workloads (target ≤ ${target.toFixed(2)}× ${growth <= target ? 'met' : 'MISSED'}); peak RSS at ${sizes.at(-1)} ${mb(peak)} MB (target ≤ 2000 MB ${peak <= 2e9 ? 'met' : 'MISSED'})`);
    }
  }
  process.exit(0);
}

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
