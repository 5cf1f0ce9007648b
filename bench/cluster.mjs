// Install benchmark: `meshctl install --set profile=demo -y` into the Kubernetes API test server
// with 20 ms of latency on every request, against `kubectl apply --server-side -f` of the same
// rendered manifest, interleaved round by round in the same run. Each round starts a fresh
// cluster per tool. Figures: median wall time as a ratio to kubectl's, and request counts from
// the server's log (meshctl's against the objects it writes plus its discovery requests).
//
//   npm run bench:cluster                 5 rounds (default)
//   node bench/cluster.mjs --rounds 10 --latency 20
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { execa } from 'execa';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'meshctl');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const rounds = arg('--rounds', 5);
const latency = arg('--latency', 20);

// The test server is TypeScript under test/; bundle it for this plain-Node script.
const cache = join(root, 'node_modules', '.cache', 'meshctl-bench');
mkdirSync(cache, { recursive: true });
const entry = join(cache, 'cluster-entry.ts');
writeFileSync(entry, `export { startTestCluster } from ${JSON.stringify(join(root, 'test', 'cluster', 'server.ts'))};\nexport { latencyPlan } from ${JSON.stringify(join(root, 'test', 'cluster', 'faults.ts'))};\n`);
await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: join(cache, 'cluster.mjs'), logLevel: 'warning', absWorkingDir: root });
const { startTestCluster, latencyPlan } = await import(pathToFileURL(join(cache, 'cluster.mjs')).href);

// The manifest kubectl applies: the Namespace first (meshctl creates it itself), then the rendering.
const rendered = spawnSync(process.execPath, [bin, 'manifest', 'generate', '--set', 'profile=demo'], { encoding: 'utf8' });
if (rendered.status !== 0) throw new Error(`manifest generate failed: ${rendered.stderr}`);
const manifestPath = join(cache, 'demo.yaml');
writeFileSync(manifestPath, `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: istio-system\n---\n${rendered.stdout}`);
const objects = (rendered.stdout.match(/^kind: /gm) ?? []).length;

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
if (kubectl.status !== 0) throw new Error('kubectl is needed for the baseline (Debian: kubernetes-client)');

const isDiscovery = (r) => r.method === 'GET' && /^\/(version|api|apis|api\/v1|apis\/[^/]+\/[^/]+|apis\/[^/]+)$/.test(r.path);

async function once(tool) {
  const cluster = await startTestCluster({ faults: latencyPlan(latency), readyDelayMs: 0 });
  try {
    const env = { ...process.env, KUBECONFIG: cluster.kubeconfigPath, NO_COLOR: '1' };
    const argv = tool === 'meshctl'
      ? [process.execPath, [bin, 'install', '--set', 'profile=demo', '-y']]
      : ['kubectl', ['apply', '--server-side', '--field-manager=bench', '--validate=false', '-f', manifestPath]];
    const start = process.hrtime.bigint();
    // Asynchronous: the server runs in this process and must keep answering meanwhile.
    const r = await execa(argv[0], argv[1], { env, reject: false });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.exitCode !== 0) throw new Error(`${tool} exited ${r.exitCode}: ${r.stderr}`);
    const requests = cluster.requests.length;
    const discovery = cluster.requests.filter(isDiscovery).length;
    const writes = cluster.requests.filter((r) => r.method !== 'GET').length;
    return { ms, requests, discovery, writes, reads: requests - discovery - writes };
  } finally {
    await cluster.close();
  }
}

const samples = { meshctl: [], kubectl: [] };
await once('meshctl'); // warm-up: file cache, first TLS key generation
await once('kubectl');
for (let i = 0; i < rounds; i++) {
  samples.kubectl.push(await once('kubectl'));
  samples.meshctl.push(await once('meshctl'));
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const m = (tool, key) => median(samples[tool].map((s) => s[key]));
const ratio = m('meshctl', 'ms') / m('kubectl', 'ms');
const meshRequests = m('meshctl', 'requests');
const budget = objects + 1 + m('meshctl', 'discovery');
console.log(`${rounds} interleaved rounds after 1 warm-up each; ${latency} ms latency per request; demo profile: ${objects} objects + the Namespace; node ${process.version}; medians`);
console.log('run | median ms | requests | writes | discovery | other reads');
console.log('---|---|---|---|---|---');
for (const [tool, name] of [['kubectl', 'kubectl apply --server-side -f (baseline)'], ['meshctl', 'meshctl install --set profile=demo -y']]) {
  console.log(`${name} | ${m(tool, 'ms').toFixed(0)} | ${m(tool, 'requests')} | ${m(tool, 'writes')} | ${m(tool, 'discovery')} | ${m(tool, 'reads')}`);
}
console.log('');
console.log(`wall-time ratio meshctl/kubectl: ${ratio.toFixed(2)}× (target ≤ 0.5×: ${ratio <= 0.5 ? 'met' : 'MISSED'})`);
console.log(`meshctl requests: ${meshRequests} against objects + Namespace + discovery = ${budget} (target: ${meshRequests <= budget ? 'met' : 'MISSED'})`);
