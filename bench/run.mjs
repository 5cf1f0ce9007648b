// Start-up and rendering benchmarks, as ratios against `node -e 0` measured in the same run.
// Runs are interleaved (baseline, A, B, baseline, A, B, ...) so machine noise hits every command alike.
//
//   npm run bench                 20 rounds (default)
//   node bench/run.mjs --rounds 50
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { readdirSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'meshctl');
// Bookinfo as a user analyzes it: the sample's files named on the command line (MESHCTL_BOOKINFO overrides the folder).
const bookinfoDir = process.env.MESHCTL_BOOKINFO ?? join(root, '..', 'shared', 'samples', 'bookinfo');
const bookinfo = readdirSync(bookinfoDir).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(bookinfoDir, f));
const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 20;
const warmup = 3;

const commands = [
  { name: 'node -e 0 (baseline)', argv: [process.execPath, '-e', '0'] },
  { name: 'meshctl version', argv: [process.execPath, bin, 'version'], target: 1.3 },
  { name: 'meshctl manifest generate --set profile=demo', argv: [process.execPath, bin, 'manifest', 'generate', '--set', 'profile=demo'], target: 2.0 },
  { name: 'meshctl profile dump demo', argv: [process.execPath, bin, 'profile', 'dump', 'demo'] },
  // Bookinfo has findings (exit 79), which is the run a user sees; any other non-zero code fails the bench.
  { name: 'meshctl analyze <bookinfo files>', argv: [process.execPath, bin, 'analyze', ...bookinfo], target: 2.5, codes: [0, 79] },
];

function once(argv, codes = [0]) {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (!codes.includes(r.status)) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const samples = commands.map(() => []);
for (let i = 0; i < warmup + rounds; i++) {
  commands.forEach((c, j) => {
    const ms = once(c.argv, c.codes);
    if (i >= warmup) samples[j].push(ms);
  });
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const base = median(samples[0]);
console.log(`${rounds} interleaved rounds after ${warmup} warm-up; node ${process.version}; medians`);
console.log('command | median ms | ratio to node -e 0 | target');
console.log('---|---|---|---');
let failed = false;
commands.forEach((c, j) => {
  const m = median(samples[j]);
  const ratio = m / base;
  const verdict = c.target ? `≤ ${c.target}× ${ratio <= c.target ? 'met' : 'MISSED'}` : '';
  if (c.target && ratio > c.target) failed = true;
  console.log(`${c.name} | ${m.toFixed(1)} | ${ratio.toFixed(2)}× | ${verdict}`);
});
if (failed) console.log('\nA target was missed on this run (figures are noisy on shared 2-core machines; rerun before concluding).');
