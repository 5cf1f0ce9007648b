// kube-inject throughput: inject a generated 5,000-Deployment file (about 4.4 MB) with the built
// bin/meshctl, against the yaml library's own parse + serialize of the same file
// (bench/yaml-roundtrip.mjs), both as fresh processes, interleaved round by round. Prints the
// median ratio and the peak RSS of each.
//
//   npm run build && node bench/inject.mjs [--rounds 5] [--count 5000]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deployments } from './gen-deployments.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const arg = (name, def) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : def; };
const rounds = arg('--rounds', 5);
const count = arg('--count', 5000);
const file = join(mkdtempSync(join(tmpdir(), 'meshctl-bench-')), 'deployments.yaml');
writeFileSync(file, deployments(count));

const runs = [
  { name: 'yaml parseAllDocuments + toString (baseline)', argv: [join(here, 'yaml-roundtrip.mjs'), file] },
  { name: `meshctl kube-inject (${count} Deployments)`, argv: ['--import', join(here, 'rss.mjs'), join(root, 'bin/meshctl'), 'kube-inject', '-f', file], target: 1.2 },
];

function once(argv) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  const rss = Number(/maxrss=(\d+)/.exec(r.stderr.toString())?.[1] ?? NaN);
  return { ms, rss };
}

const samples = runs.map(() => []);
once(runs[0].argv);
for (let i = 0; i < rounds; i++) runs.forEach((r, j) => samples[j].push(once(r.argv)));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const base = median(samples[0].map((s) => s.ms));
console.log(`${rounds} interleaved rounds; input ${(statSync(file).size / 1e6).toFixed(2)} MB; node ${process.version}; medians`);
console.log('run | median ms | ratio to baseline | peak RSS MB | target');
console.log('---|---|---|---|---');
runs.forEach((r, j) => {
  const ms = median(samples[j].map((s) => s.ms));
  const rss = median(samples[j].map((s) => s.rss)) / 1e6;
  const ratio = ms / base;
  const verdict = r.target ? `≤ ${r.target}× ${ratio <= r.target ? 'met' : 'MISSED'}` : '';
  console.log(`${r.name} | ${ms.toFixed(0)} | ${ratio.toFixed(2)}× | ${rss.toFixed(0)} | ${verdict}`);
});
