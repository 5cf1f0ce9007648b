// kube-inject throughput: inject a generated file of Deployments (5,000 by default, about 4.4 MB)
// with the built bin/meshctl, against the yaml library's own parse + serialize of the same file
// (bench/yaml-roundtrip.mjs), both as fresh processes, interleaved round by round. Prints, per
// size, the median wall time and its ratio to the baseline, and the peak RSS of each (largest of
// the rounds) and its ratio. With several sizes it also prints the growth of the per-workload cost
// (median ms / workloads) from the smallest to the largest.
//
//   npm run build && node bench/inject.mjs [--rounds 5] [--counts 1000,5000,20000] [--meshctl PATH]...
//
// Each `--meshctl PATH` adds a run of another build's bin/meshctl (an older dist/, say), in the same
// rounds, which is how "before" and "after" figures come from one run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deployments } from './gen-deployments.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const arg = (name, def) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : def; };
const rounds = Number(arg('--rounds', 5));
const counts = String(arg('--counts', arg('--count', '5000'))).split(',').map(Number);
const others = process.argv.flatMap((a, i) => (a === '--meshctl' ? [process.argv[i + 1]] : []));
const dir = mkdtempSync(join(tmpdir(), 'meshctl-bench-'));
/** Issue 16's targets at 5,000 Deployments, and for the growth of the per-workload cost. */
const TARGET = { ms: 2.0, rss: 2.5, growth: 1.15 };

function once(argv) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  const rss = Number(/maxrss=(\d+)/.exec(r.stderr.toString())?.[1] ?? NaN);
  return { ms, rss };
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
console.log(`${rounds} interleaved rounds per size; node ${process.version}; medians; peak RSS is the largest of the rounds; load average ${load()}`);
console.log('workloads | run | median ms | ratio to baseline | peak RSS MB | RSS ratio | target');
console.log('---|---|---|---|---|---|---');
const perWorkload = new Map();
for (const count of counts) {
  const file = join(dir, `deployments-${count}.yaml`);
  writeFileSync(file, deployments(count));
  const inject = (bin) => ['--import', join(here, 'rss.mjs'), bin, 'kube-inject', '-f', file];
  const runs = [
    { name: 'yaml parseAllDocuments + toString (baseline)', argv: [join(here, 'yaml-roundtrip.mjs'), file] },
    { name: 'meshctl kube-inject', argv: inject(join(root, 'bin/meshctl')), target: count === 5000 },
    ...others.map((bin) => ({ name: `meshctl kube-inject (${bin})`, argv: inject(bin) })),
  ];
  const samples = runs.map(() => []);
  once(runs[0].argv);
  for (let i = 0; i < rounds; i++) runs.forEach((r, j) => samples[j].push(once(r.argv)));
  const base = median(samples[0].map((s) => s.ms));
  const baseRss = Math.max(...samples[0].map((s) => s.rss));
  runs.forEach((r, j) => {
    const ms = median(samples[j].map((s) => s.ms));
    const rss = Math.max(...samples[j].map((s) => s.rss));
    if (j > 0) perWorkload.set(r.name, [...(perWorkload.get(r.name) ?? []), { count, cost: ms / count }]);
    const verdict = r.target
      ? `≤ ${TARGET.ms}× ${ms / base <= TARGET.ms ? 'met' : 'MISSED'}, RSS ≤ ${TARGET.rss}× ${rss / baseRss <= TARGET.rss ? 'met' : 'MISSED'}`
      : '';
    console.log(`${count} | ${r.name} | ${ms.toFixed(0)} | ${(ms / base).toFixed(2)}× | ${(rss / 1e6).toFixed(0)} | ${(rss / baseRss).toFixed(2)}× | ${verdict}`);
  });
  console.log(`  (input ${(statSync(file).size / 1e6).toFixed(2)} MB; all runs ms: ${samples.map((s) => s.map((x) => x.ms.toFixed(0)).join('/')).join(' | ')})`);
}
if (counts.length > 1) {
  for (const [name, costs] of perWorkload) {
    const first = costs[0];
    const last = costs[costs.length - 1];
    const growth = last.cost / first.cost;
    console.log(`${name}: per-workload cost ${costs.map((c) => `${c.count}: ${c.cost.toFixed(3)} ms`).join(', ')}; growth ${first.count} → ${last.count}: ${growth.toFixed(2)}× (target ≤ ${TARGET.growth}× ${growth <= TARGET.growth ? 'met' : 'MISSED'})`);
  }
}
console.log(`load average at the end ${load()}`);
