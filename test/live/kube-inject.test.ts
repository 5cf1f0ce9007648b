/**
 * `meshctl kube-inject --from-cluster` against the real test control plane: the injection
 * configuration comes from the cluster's ConfigMaps and gives exactly what the locally rendered
 * configuration of the same profile and revision gives; the cluster's Nodes decide between native
 * and classic sidecars as istiod does (every kubelet at least 1.33, unless ENABLE_NATIVE_SIDECARS
 * or --native-sidecar say otherwise).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/types.js';
import { startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import { run } from '../helpers.js';
import { applyAll, BOOKINFO, clientFor, clusterEnv, objectsOf, rendered, waitUntil } from './seed.js';

const dir = mkdtempSync(join(tmpdir(), 'meshctl-live-inject-'));

/** The ConfigMaps istiod of `revision` reads its injection configuration from, as a rendering with `args` holds them. */
async function injectionConfigMaps(args: string[], revision = '') {
  const names = revision ? [`istio-${revision}`, `istio-sidecar-injector-${revision}`] : ['istio', 'istio-sidecar-injector'];
  return (await rendered(args)).filter((o) => o.kind === 'ConfigMap' && names.includes(o.metadata.name));
}

/**
 * Returns, per pod template of an injected YAML stream, where istio-proxy went: `native` (an init
 * container with restartPolicy Always, none among the containers), `classic` (a container only),
 * or what went wrong otherwise (`both`, `none`, `init-without-restartPolicy`).
 */
function layouts(yaml: string): string[] {
  return objectsOf(yaml).flatMap((o) => {
    const spec = (o.kind === 'Pod' ? o.spec : (o.spec as { template?: { spec?: unknown } } | undefined)?.template?.spec) as
      { initContainers?: { name: string; restartPolicy?: string }[]; containers?: { name: string }[] } | undefined;
    if (!spec) return [];
    const init = (spec.initContainers ?? []).find((c) => c.name === 'istio-proxy');
    const main = (spec.containers ?? []).find((c) => c.name === 'istio-proxy');
    if (init && main) return ['both'];
    if (init) return [init.restartPolicy === 'Always' ? 'native' : 'init-without-restartPolicy'];
    return [main ? 'classic' : 'none'];
  });
}

const NATIVE = Array<string>(6).fill('native');
const CLASSIC = Array<string>(6).fill('classic');

/** Runs kube-inject on Bookinfo without any cluster. */
const local = (...args: string[]) => run(['kube-inject', '-f', BOOKINFO, ...args]);

describe('kube-inject --from-cluster', () => {
  let cluster: ControlPlane;
  let client: KubeClient;
  const inject = (...args: string[]) => run(['kube-inject', '-f', BOOKINFO, ...args], { env: clusterEnv(cluster) });

  beforeAll(async () => {
    // One Node with the control plane's own kubelet (1.35): native sidecars in auto mode.
    cluster = await startControlPlane();
    client = await clientFor(cluster);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('names the missing ConfigMaps and the namespace, and hints at -i and -r (exit 1)', async () => {
    const r = await inject('--from-cluster');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('Error: ConfigMap "istio-sidecar-injector" and ConfigMap "istio" not found in namespace "istio-system" (or without the injector\'s "config" key): '
      + 'is Istio installed there? Pass -i with the control-plane namespace, or -r when only a revision is installed\n');
  });

  it('injects exactly as the locally rendered default profile does, with native sidecars on 1.35 Nodes', async () => {
    const maps = await injectionConfigMaps([]);
    expect(maps.map((m) => m.metadata.name).sort()).toStrictEqual(['istio', 'istio-sidecar-injector']);
    await applyAll(cluster, client, maps);
    cluster.resetRequests();
    const fromCluster = await inject('--from-cluster');
    expect(fromCluster.code).toBe(0);
    expect(fromCluster.stdout).toContain('image: docker.io/istio/proxyv2:1.30.3');
    expect(layouts(fromCluster.stdout)).toStrictEqual(NATIVE);
    expect(fromCluster).toStrictEqual(await local('--native-sidecar'));
    // The Nodes are read once, as a list, for the whole run.
    expect(cluster.requests.filter((q) => q.path === '/api/v1/nodes').map((q) => q.method)).toStrictEqual(['GET']);

    // ENABLE_NATIVE_SIDECARS=false (meshctl's environment, as istioctl reads it) turns them off.
    const off = await run(['kube-inject', '-f', BOOKINFO, '--from-cluster'], { env: { ...clusterEnv(cluster), ENABLE_NATIVE_SIDECARS: 'false' } });
    expect(layouts(off.stdout)).toStrictEqual(CLASSIC);
    expect(off).toStrictEqual(await local());
  });

  it('reads a revision\'s ConfigMaps with -r', async () => {
    const missing = await inject('--from-cluster', '-r', 'canary');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ConfigMap "istio-sidecar-injector-canary" and ConfigMap "istio-canary" not found in namespace "istio-system"');
    expect(missing.stderr).toContain('is revision "canary" installed there?');

    await applyAll(cluster, client, await injectionConfigMaps(['-r', 'canary'], 'canary'));
    const fromCluster = await inject('--from-cluster', '-r', 'canary');
    expect(fromCluster.code).toBe(0);
    expect(fromCluster.stdout).toContain('istio.io/rev: canary');
    expect(fromCluster).toStrictEqual(await local('-r', 'canary', '--native-sidecar'));
    // The default revision's ConfigMaps have no suffix, whichever way it is named.
    expect((await inject('--from-cluster', '-r', 'default')).code).toBe(0);
  });

  it('takes istiod\'s ENABLE_NATIVE_SIDECARS from the cluster\'s injector values, below meshctl\'s environment and --native-sidecar', async () => {
    const args = ['-r', 'classic', '--set', 'values.pilot.env.ENABLE_NATIVE_SIDECARS=false'];
    await applyAll(cluster, client, await injectionConfigMaps(args, 'classic'));
    const fromCluster = await inject('--from-cluster', '-r', 'classic');
    expect(fromCluster.code).toBe(0);
    expect(layouts(fromCluster.stdout)).toStrictEqual(CLASSIC);
    expect(fromCluster).toStrictEqual(await local(...args));

    expect(layouts((await inject('--from-cluster', '-r', 'classic', '--native-sidecar')).stdout)).toStrictEqual(NATIVE);
    const auto = await run(['kube-inject', '-f', BOOKINFO, '--from-cluster', '-r', 'classic'], { env: { ...clusterEnv(cluster), ENABLE_NATIVE_SIDECARS: 'auto' } });
    expect(layouts(auto.stdout)).toStrictEqual(NATIVE);
    // A value istiod does not know means disabled, and says so.
    const odd = await run(['kube-inject', '-f', BOOKINFO, '--from-cluster'], { env: { ...clusterEnv(cluster), ENABLE_NATIVE_SIDECARS: 'yes' } });
    expect(odd.code).toBe(0);
    expect(layouts(odd.stdout)).toStrictEqual(CLASSIC);
    expect(odd.stderr.split('\n')[0]).toBe('Warning: ENABLE_NATIVE_SIDECARS="yes" is not true, false or auto; native sidecars are disabled, as istiod does with such a value');
  });

  it('keeps every pod classic while one Node runs a kubelet older than 1.33, except pods bound to a newer Node', async () => {
    const old = await cluster.store.create({
      apiVersion: 'v1', kind: 'Node', metadata: { name: 'old-node', labels: { 'kubernetes.io/hostname': 'old-node' } },
      status: { nodeInfo: { kubeletVersion: 'v1.32.9' } },
    });
    expect((old.status as { nodeInfo: { kubeletVersion: string } }).nodeInfo.kubeletVersion).toBe('v1.32.9');
    try {
      const r = await inject('--from-cluster');
      expect(r.code).toBe(0);
      expect(layouts(r.stdout)).toStrictEqual(CLASSIC);
      expect(r).toStrictEqual(await local());

      // A pod already on a Node follows that Node; an unknown Node counts as no Node.
      const pods = join(dir, 'bound-pods.yaml');
      writeFileSync(pods, ['node-1', 'old-node', 'ghost', ''].map((node, i) => `apiVersion: v1
kind: Pod
metadata:
  name: app-${i}
  namespace: shop
spec:
${node ? `  nodeName: ${node}\n` : ''}  containers:
  - name: app
    image: docker.io/library/nginx:1.27
`).join('---\n'));
      const bound = await run(['kube-inject', '-f', pods, '--from-cluster'], { env: clusterEnv(cluster) });
      expect(bound.code).toBe(0);
      expect(layouts(bound.stdout)).toStrictEqual(['native', 'classic', 'classic', 'classic']);
    } finally {
      await cluster.store.remove({ group: '', kind: 'Node', name: 'old-node' });
    }
    await waitUntil('old-node gone', async () => !(await cluster.store.get({ group: '', kind: 'Node', name: 'old-node' })));
    expect(layouts((await inject('--from-cluster')).stdout)).toStrictEqual(NATIVE);
  });

  it('injects classic sidecars, with a warning, for a user who may not list Nodes', async () => {
    // The user may read no ConfigMap either, so the configuration comes from files.
    const maps = await injectionConfigMaps([]);
    const data = (name: string) => maps.find((m) => m.metadata.name === name)!.data as Record<string, string>;
    const files = [
      '--injectConfigFile', join(dir, 'config.yaml'), '--valuesFile', join(dir, 'values.json'), '--meshConfigFile', join(dir, 'mesh.yaml'),
    ];
    writeFileSync(files[1]!, data('istio-sidecar-injector').config!);
    writeFileSync(files[3]!, data('istio-sidecar-injector').values!);
    writeFileSync(files[5]!, data('istio').mesh!);
    const r = await run(['kube-inject', '-f', BOOKINFO, '--from-cluster', ...files], { env: { KUBECONFIG: cluster.restrictedKubeconfigPath } });
    expect(r.code).toBe(0);
    expect(layouts(r.stdout)).toStrictEqual(CLASSIC);
    const offline = await local(...files);
    expect(r.stdout).toBe(offline.stdout);
    const [warning, namespaces, ...rest] = r.stderr.split('\n');
    expect(warning).toMatch(/^Warning: cannot list Nodes to see whether their kubelets run native sidecars \(.*forbidden.*\); injecting classic sidecars \(--native-sidecar or ENABLE_NATIVE_SIDECARS=true for native ones\)$/);
    expect(namespaces).toMatch(/^Warning: cannot list Namespaces to read their labels \(.*forbidden.*\); a namespace counts as in ambient mode only where a Namespace document of the input labels it so$/);
    expect(rest.join('\n')).toBe(offline.stderr);
  });

  it('leaves the pods of a namespace the cluster labels for ambient mode without a sidecar, unless sidecar injection is asked for too', async () => {
    const app = join(dir, 'ambient-app.yaml');
    writeFileSync(app, ['web', 'legacy'].map((name) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ambient-shop
spec:
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
${name === 'legacy' ? '        sidecar.istio.io/inject: "true"\n' : ''}    spec:
      containers:
      - name: ${name}
        image: docker.io/library/nginx:1.27
`).join('---\n'));
    const injectApp = () => run(['kube-inject', '-f', app, '--from-cluster'], { env: clusterEnv(cluster) });
    expect((await injectApp()).stderr).toBe('deployment "ambient-shop/web" injected\ndeployment "ambient-shop/legacy" injected\n');

    await cluster.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ambient-shop', labels: { 'istio.io/dataplane-mode': 'ambient' } } });
    const ambient = await injectApp();
    expect(ambient.code).toBe(0);
    expect(ambient.stderr).toBe('deployment "ambient-shop/web" skipped: in ambient mode (namespace "ambient-shop" labelled istio.io/dataplane-mode=ambient)\n'
      + 'deployment "ambient-shop/legacy" injected\n');
    expect(layouts(ambient.stdout)).toStrictEqual(['none', 'native']);
    // Without the cluster the namespace is unknown: both are injected, as istioctl injects them.
    expect(layouts((await run(['kube-inject', '-f', app, '--native-sidecar'])).stdout)).toStrictEqual(['native', 'native']);
    // A Namespace document of the input overrides the cluster's labels.
    const relabelled = join(dir, 'ambient-namespace.yaml');
    writeFileSync(relabelled, 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ambient-shop\n  labels:\n    istio-injection: enabled\n');
    const overlaid = await run(['kube-inject', '-f', relabelled, '-f', app, '--from-cluster'], { env: clusterEnv(cluster) });
    expect(overlaid.stderr).toBe('deployment "ambient-shop/web" injected\ndeployment "ambient-shop/legacy" injected\n');
  });

  it('looks in -i and refuses flags that only shape a rendering', async () => {
    const elsewhere = await inject('--from-cluster', '-i', 'mesh-system');
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain('not found in namespace "mesh-system"');
    const withSet = await inject('--from-cluster', '--set', 'values.global.proxy.resources.requests.cpu=50m');
    expect(withSet.code).toBe(64);
    expect(withSet.stderr).toBe('Error: --set and --operatorFileName shape a rendered configuration; they cannot be combined with --from-cluster\n');
  });

  it('never touches a cluster without --from-cluster', async () => {
    cluster.resetRequests();
    const r = await inject();
    expect(r.code).toBe(0);
    expect(cluster.requests).toStrictEqual([]);
  });
});

describe('kube-inject --from-cluster on Nodes with Kubernetes 1.28 kubelets', () => {
  let cluster: ControlPlane;
  const inject = (args: string[], env: Record<string, string> = {}) => run(['kube-inject', '-f', BOOKINFO, '--from-cluster', ...args], { env: { ...clusterEnv(cluster), ...env } });

  beforeAll(async () => {
    cluster = await startControlPlane({ kubeletVersion: 'v1.28.9', nodes: 2 });
    await applyAll(cluster, await clientFor(cluster), await injectionConfigMaps([]));
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('injects classic sidecars, unless --native-sidecar or ENABLE_NATIVE_SIDECARS=true ask for native ones', async () => {
    const nodes = await cluster.store.list('', 'Node');
    expect(nodes.map((n) => (n.status as { nodeInfo: { kubeletVersion: string } }).nodeInfo.kubeletVersion)).toStrictEqual(['v1.28.9', 'v1.28.9']);
    const auto = await inject([]);
    expect(auto.code).toBe(0);
    expect(layouts(auto.stdout)).toStrictEqual(CLASSIC);
    expect(auto).toStrictEqual(await local());

    const flag = await inject(['--native-sidecar']);
    expect(layouts(flag.stdout)).toStrictEqual(NATIVE);
    expect(flag).toStrictEqual(await local('--native-sidecar'));
    expect(layouts((await inject([], { ENABLE_NATIVE_SIDECARS: 'true' })).stdout)).toStrictEqual(NATIVE);
  });
});

describe('kube-inject without a cluster', () => {
  it('fails with the configuration problem with --from-cluster (a usage error, 64)', async () => {
    const r = await run(['kube-inject', '-f', BOOKINFO, '--from-cluster', '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(r.code).toBe(64);
    expect(r.stderr).toBe('Error: kubeconfig file /nonexistent/kubeconfig (--kubeconfig) does not exist\n');
  });

  it('injects classic sidecars unless ENABLE_NATIVE_SIDECARS is true, in the environment or in the rendered istiod values', async () => {
    expect(layouts((await local()).stdout)).toStrictEqual(CLASSIC);
    expect(layouts((await run(['kube-inject', '-f', BOOKINFO], { env: { ENABLE_NATIVE_SIDECARS: 'auto' } })).stdout)).toStrictEqual(CLASSIC);
    const env = await run(['kube-inject', '-f', BOOKINFO], { env: { ENABLE_NATIVE_SIDECARS: 'true' } });
    expect(layouts(env.stdout)).toStrictEqual(NATIVE);
    expect(env).toStrictEqual(await local('--native-sidecar'));
    expect(layouts((await local('--set', 'values.pilot.env.ENABLE_NATIVE_SIDECARS=true')).stdout)).toStrictEqual(NATIVE);
  });
});
