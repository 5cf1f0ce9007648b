// Install benchmark: `meshctl install --set profile=demo -y` into the real test control plane
// (test/control-plane/: kube-apiserver, etcd, controllers, kwok) with 20 ms of latency added to every
// request by the fault proxy, against `kubectl apply --server-side -f` (the kubectl of the same
// Kubernetes release) of the same rendered manifest, interleaved round by round in the same run.
// Each run gets a fresh control plane. Figures: median wall time as a ratio to kubectl's, and
// request counts from the proxy's log (meshctl's against the objects it writes plus its discovery
// requests). meshctl also waits until CRDs are Established and the workloads Ready; kubectl does not.
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

// The control plane's binaries (built when missing or stale), and its launcher, which is TypeScript
// under test/: bundled for this plain-Node script.
const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-control-plane.mjs')], { stdio: 'inherit' });
if (built.status !== 0) throw new Error('building the control plane failed');
const cache = join(root, 'node_modules', '.cache', 'meshctl-bench');
mkdirSync(cache, { recursive: true });
const entry = join(cache, 'cluster-entry.ts');
writeFileSync(entry, `export { startControlPlane, kubectlPath } from ${JSON.stringify(join(root, 'test', 'control-plane', 'control-plane.ts'))};\nexport { latencyPlan } from ${JSON.stringify(join(root, 'test', 'control-plane', 'faults.ts'))};\n`);
await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: join(cache, 'cluster.mjs'), logLevel: 'warning', absWorkingDir: root });
const { startControlPlane, kubectlPath, latencyPlan } = await import(pathToFileURL(join(cache, 'cluster.mjs')).href);

// The manifest kubectl applies: the Namespace first (meshctl creates it itself), then the rendering.
const rendered = spawnSync(process.execPath, [bin, 'manifest', 'generate', '--set', 'profile=demo'], { encoding: 'utf8' });
if (rendered.status !== 0) throw new Error(`manifest generate failed: ${rendered.stderr}`);
const manifestPath = join(cache, 'demo.yaml');
writeFileSync(manifestPath, `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: istio-system\n---\n${rendered.stdout}`);
const objects = (rendered.stdout.match(/^kind: /gm) ?? []).length;

const kubectl = kubectlPath();

const isDiscovery = (r) => r.method === 'GET' && /^\/(version|api|apis|api\/v1|apis\/[^/]+\/[^/]+|apis\/[^/]+)$/.test(r.path);

async function once(tool) {
  const cluster = await startControlPlane({ readyDelayMs: 0 });
  cluster.setFaults(latencyPlan(latency));
  cluster.resetRequests();
  try {
    const env = { ...process.env, KUBECONFIG: cluster.kubeconfigPath, NO_COLOR: '1' };
    const argv = tool === 'meshctl'
      ? [process.execPath, [bin, 'install', '--set', 'profile=demo', '-y']]
      : [kubectl, ['apply', '--server-side', '--field-manager=bench', '--validate=false', '-f', manifestPath]];
    const start = process.hrtime.bigint();
    // Asynchronous: the proxy runs in this process and must keep answering meanwhile.
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
await once('meshctl'); // warm-up: file cache
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
