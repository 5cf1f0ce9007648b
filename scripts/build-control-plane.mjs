// `npm run build:control-plane`: builds the test control plane's binaries (test/control-plane/)
// with the machine's Go and the Go module proxy: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and kubectl from k8s.io/kubernetes, and kwok from its own module. They go to
// .cache/control-plane/bin (ignored by git) and are rebuilt only when the modules' go.mod/go.sum,
// the etcd main or the Go version change. A cold build takes about 10 minutes on two cores.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'test', 'control-plane');
const cache = join(root, '.cache', 'control-plane');
const bin = process.env.MESHCTL_CONTROL_PLANE_BIN ?? join(cache, 'bin');
const stampFile = join(bin, '.stamp');

// The version the binaries report (/version, kubectl version), as Kubernetes' own build stamps it.
const KUBE_VERSION = 'v1.35.3';
const KUBE_COMMIT = '6c1cd99aef09161ddb07b8ade6c9564e9b9bfe27';
const versionFlags = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
  `-X ${pkg}.gitVersion=${KUBE_VERSION}`, `-X ${pkg}.gitMajor=1`, `-X ${pkg}.gitMinor=35`,
  `-X ${pkg}.gitCommit=${KUBE_COMMIT}`, `-X ${pkg}.gitTreeState=clean`, `-X ${pkg}.buildDate=2026-03-19T00:00:00Z`,
]);

const go = (args, cwd) => {
  const r = spawnSync('go', args, { cwd, stdio: 'inherit', env: { ...process.env, GOFLAGS: `${process.env.GOFLAGS ?? ''} -mod=readonly`.trim() } });
  if (r.error) throw new Error(`go ${args[0]}: ${r.error.message} (is Go installed?)`);
  if (r.status !== 0) throw new Error(`go ${args.join(' ')} failed in ${cwd} (exit ${r.status})`);
};

const goVersion = spawnSync('go', ['version'], { encoding: 'utf8' });
if (goVersion.error || goVersion.status !== 0) {
  console.error('build:control-plane: Go is needed (go 1.25 or newer): install it, e.g. Debian golang-go or go.dev');
  process.exit(1);
}

const hash = createHash('sha256');
hash.update(goVersion.stdout);
hash.update(versionFlags.join(' '));
for (const f of ['go.mod', 'go.sum', 'cmd/etcd/main.go', 'kwok/go.mod', 'kwok/go.sum']) hash.update(`${f}\n`).update(readFileSync(join(src, f)));
const stamp = hash.digest('hex');
const binaries = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'kwok'];

if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp && binaries.every((b) => existsSync(join(bin, b)))) {
  console.log(`build:control-plane: up to date in ${bin}`);
  process.exit(0);
}

const started = Date.now();
// Build into a fresh folder and swap it in, so an interrupted build never leaves a mix.
const next = `${bin}.next`;
rmSync(next, { recursive: true, force: true });
mkdirSync(next, { recursive: true });
const ldflags = `-s -w ${versionFlags.join(' ')}`;
console.log('build:control-plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl ...');
go(['build', `-ldflags=${ldflags}`, '-o', next + '/', './cmd/etcd',
  'k8s.io/kubernetes/cmd/kube-apiserver', 'k8s.io/kubernetes/cmd/kube-controller-manager', 'k8s.io/kubernetes/cmd/kube-scheduler', 'k8s.io/kubernetes/cmd/kubectl'], src);
console.log('build:control-plane: kwok ...');
go(['build', '-ldflags=-s -w', '-o', next + '/', 'sigs.k8s.io/kwok/cmd/kwok'], join(src, 'kwok'));
writeFileSync(join(next, '.stamp'), stamp);
rmSync(bin, { recursive: true, force: true });
renameSync(next, bin);
console.log(`build:control-plane: built in ${Math.round((Date.now() - started) / 1000)} s into ${bin}`);
