/**
 * Ambient mode on the real test control plane with two Nodes (test/control-plane/): `meshctl
 * install --set profile=ambient -y` reports as istioctl 1.30.3 does (its ✔ lines and the ambient
 * profile's closing line, operator/cmd/mesh/install.go), and the istio-cni and ztunnel DaemonSets
 * become ready through the kubelet stand-in with a pod on each Node; switching to the default
 * profile prunes the cni and ztunnel objects; and `uninstall --purge -y` leaves nothing of the
 * installation, waypoints meshctl applied included (istioctl leaves them: istio/istio#54777), while
 * a waypoint someone else created and the Gateway API CRDs (v1.5.1, from the Go module) stay.
 * A DaemonSet whose pods never start times out naming each pod with its Node, and on a cluster
 * answering a GKE version verify-install applies the GKE settings as install does. The real kubectl
 * is the second client. One control plane for the file; the steps run in order.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlPath, startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import type { KObject } from '../control-plane/types.js';
import { gatewayApiSkipReason, installGatewayApi } from '../waypoint/gateway-api.js';
import { run, type RunResult } from '../helpers.js';
import { linesStarting, meshctl, purge, rendered, stored, waitFor } from './support.js';

const AMBIENT_CLOSING_LINE = 'The ambient profile has been installed successfully, enjoy Istio without sidecars!';
const DAEMONSETS = ['istio-cni-node', 'ztunnel'];
const NODES = ['node-1', 'node-2'];

let cluster: ControlPlane;
beforeAll(async () => {
  cluster = await startControlPlane({ nodes: 2 });
});
afterAll(async () => {
  await cluster?.close();
});

/** meshctl in-process for the commands without install's --poll-interval. */
const cli = (argv: string[]): Promise<RunResult> => run(argv, { env: { KUBECONFIG: cluster.kubeconfigPath } });

async function kubectl(args: string[], input?: string): Promise<string> {
  const k = await execa(kubectlPath(), args, { env: { KUBECONFIG: cluster.kubeconfigPath }, reject: false, ...(input !== undefined ? { input } : {}) });
  expect(k.exitCode, k.stderr).toBe(0);
  return k.stdout;
}

async function kubectlItems(args: string[]): Promise<KObject[]> {
  return (JSON.parse(await kubectl([...args, '-o', 'json'])) as { items: KObject[] }).items;
}

const key = (o: KObject) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** `kind/name` of what kubectl finds labelled with one of the components, across namespaces. */
async function componentObjects(components: string[]): Promise<string[]> {
  const out = await kubectl(['get', 'daemonsets,deployments,configmaps,serviceaccounts,services,roles,rolebindings,clusterroles,clusterrolebindings,resourcequotas,networkpolicies',
    '-A', '-l', `operator.istio.io/component in (${components.join(',')})`, '-o', 'name']);
  return out.split('\n').filter(Boolean).sort();
}

let ambient: KObject[];

describe('x precheck --set profile=ambient', () => {
  it('warns that the Gateway API CRDs ambient\'s waypoints need are missing (exit 1); no platform finding on this cluster', async () => {
    const r = await cli(['x', 'precheck', '--set', 'profile=ambient']);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      'Warning [MSH0104] (Cluster) The Gateway API CRDs are not installed; profile "ambient" runs ambient mode, whose waypoints are Gateways of class istio-waypoint. '
      + 'Install the standard channel of v1.5.1, the release Istio 1.30.3 builds against: kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml',
    ]);
    // As istioctl's precheck, without a configuration nothing of ambient is looked for.
    expect((await cli(['x', 'precheck'])).code).toBe(0);
  });
});

describe('meshctl install --set profile=ambient', () => {
  it('installs base, istiod, CNI and ztunnel in istioctl\'s order, prints its lines, and the DaemonSets run a ready pod on each Node', async () => {
    ambient = await rendered(['--set', 'profile=ambient']);
    const daemonSets = ambient.filter((o) => o.kind === 'DaemonSet').map(key).sort();
    expect(daemonSets).toEqual(['DaemonSet/istio-system/istio-cni-node', 'DaemonSet/istio-system/ztunnel']);

    const r = await meshctl(cluster, ['install', '--set', 'profile=ambient', '-y']);
    expect(r.code, r.stderr).toBe(0);
    expect(linesStarting(r.stderr, '✔', '✘')).toEqual(['✔ Istio core installed', '✔ Istiod installed', '✔ CNI installed', '✔ Ztunnel installed', '✔ Installation complete']);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(AMBIENT_CLOSING_LINE);
    // Ingress is off in ambient, as upstream's profile has it.
    expect(r.stderr).not.toContain('Ingress gateways');

    for (const o of ambient) expect(await stored(cluster, o), key(o)).toBeDefined();

    // Ready as istioctl's wait.go counts it, read by kubectl: the installer returned only after that.
    const ds = await kubectlItems(['get', 'daemonsets', '-n', 'istio-system']);
    expect(ds.map((d) => d.metadata.name).sort()).toEqual(DAEMONSETS);
    for (const d of ds) {
      const s = d.status as Record<string, number>;
      expect({ name: d.metadata.name, observed: s.observedGeneration, desired: s.desiredNumberScheduled, ready: s.numberReady, updated: s.updatedNumberScheduled })
        .toEqual({ name: d.metadata.name, observed: d.metadata.generation, desired: 2, ready: 2, updated: 2 });
    }
    const pods = await kubectlItems(['get', 'pods', '-n', 'istio-system']);
    for (const name of DAEMONSETS) {
      const mine = pods.filter((p) => (p.metadata.ownerReferences as { kind: string; name: string }[] | undefined)?.some((ref) => ref.kind === 'DaemonSet' && ref.name === name));
      expect(mine.map((p) => (p.spec as { nodeName?: string }).nodeName).sort(), name).toEqual(NODES);
      for (const p of mine) {
        const conditions = (p.status as { conditions?: { type: string; status: string }[] }).conditions ?? [];
        expect(conditions.find((c) => c.type === 'Ready')?.status, p.metadata.name).toBe('True');
      }
    }
  });

  it('verify-install checks the DaemonSets of the recorded installation', async () => {
    const r = await cli(['verify-install']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Checked 2 Istio Daemonsets');
  });

  it('installing it again changes nothing and still closes with the ambient line', async () => {
    const r = await meshctl(cluster, ['install', '--set', 'profile=ambient', '-y']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/ objects applied \(0 created, 0 configured, \d+ unchanged\), 0 pruned: nothing changed\./);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(AMBIENT_CLOSING_LINE);
  });
});

describe('switching ambient -> default', () => {
  it('prunes the cni and ztunnel objects (DaemonSets, RBAC, ConfigMap) and installs the ingress gateway', async () => {
    const def = new Set((await rendered([])).map(key));
    // What ambient has and default lacks, CRDs aside (never pruned): all of cni and ztunnel, and istiod's ambient-only objects.
    const gone = ambient.filter((o) => o.kind !== 'CustomResourceDefinition' && !def.has(key(o)));
    const cniAndZtunnel = ambient.filter((o) => ['Cni', 'Ztunnel'].includes(o.metadata.labels?.['operator.istio.io/component'] ?? ''));
    expect(cniAndZtunnel.map((o) => o.kind)).toEqual(expect.arrayContaining(['DaemonSet', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap']));
    expect(gone.map(key)).toEqual(expect.arrayContaining(cniAndZtunnel.map(key)));

    const r = await meshctl(cluster, ['install', '-y']);
    expect(r.code, r.stderr).toBe(0);
    expect(linesStarting(r.stderr, '✔')).toEqual(['✔ Istio core installed', '✔ Istiod installed', '✔ Ingress gateways installed', `✔ Pruned ${gone.length} objects`, '✔ Installation complete']);
    expect(r.stderr).not.toContain(AMBIENT_CLOSING_LINE);
    const lines = r.stderr.split('\n');
    const listed = lines.slice(lines.indexOf('- Pruning removed resources') + 1).filter((l) => l.startsWith('  ')).map((l) => l.trim());
    expect(listed.sort()).toEqual(gone.map(key).sort());

    // Foreground deletes finish after the answer: wait until kubectl finds nothing of either component, pods included.
    const left = async () => [
      ...await componentObjects(['Cni', 'Ztunnel']),
      ...(await kubectlItems(['get', 'pods', '-n', 'istio-system'])).filter((p) => DAEMONSETS.some((d) => p.metadata.name.startsWith(`${d}-`))).map(key),
    ];
    await waitFor('the cni and ztunnel objects to be gone', async () => (await left()).length === 0, 60_000, async () => (await left()).join(', '));
    expect((await kubectlItems(['get', 'daemonsets', '-A'])).map(key)).toEqual([]);
    expect((await kubectlItems(['get', 'deployments', '-n', 'istio-system'])).map((d) => d.metadata.name).sort()).toEqual(['istio-ingressgateway', 'istiod']);
  });
});

const title = (name: string): string => (gatewayApiSkipReason ? `${name} [skipped: ${gatewayApiSkipReason}]` : name);

describe.skipIf(gatewayApiSkipReason !== undefined)(title('uninstall --purge after ambient with waypoints (Gateway API CRDs v1.5.1)'), () => {
  it('removes everything the installation made and the waypoint meshctl applied; another waypoint and the Gateway API CRDs stay', async () => {
    await installGatewayApi(kubectlPath(), cluster.kubeconfigPath);
    // v1.5.1's CRDs serve what istioctl's precheck wants (no IST0156/IST0172) and are the release ambient wants.
    const pre = await cli(['x', 'precheck', '--set', 'profile=ambient', '--output-threshold', 'Info']);
    expect(pre.code, pre.stdout + pre.stderr).toBe(0);
    expect(pre.stdout).not.toMatch(/IST0156|IST0172|MSH0104|MSH0105/);
    // With the istio-cni chart's ResourceQuota and the NetworkPolicies, kinds istioctl's uninstall does not list.
    const r = await meshctl(cluster, ['install', '--set', 'profile=ambient', '--set', 'values.cni.resourceQuotas.enabled=true', '--set', 'values.global.networkPolicy.enabled=true', '-y']);
    expect(r.code, r.stderr).toBe(0);
    expect(linesStarting(r.stderr, '✔ CNI', '✔ Ztunnel')).toEqual(['✔ CNI installed', '✔ Ztunnel installed']);
    const extra = (await kubectlItems(['get', 'resourcequotas,networkpolicies', '-n', 'istio-system', '-l', 'operator.istio.io/component'])).map(key).sort();
    expect(extra).toEqual(['NetworkPolicy/istio-system/istio-cni', 'NetworkPolicy/istio-system/istiod', 'NetworkPolicy/istio-system/ztunnel', 'ResourceQuota/istio-system/istio-cni-resource-quota']);
    // The installed-state record lost: purge finds everything by its labels alone.
    await kubectl(['delete', 'configmap', '-n', 'istio-system', '-l', 'app.kubernetes.io/managed-by=meshctl']);

    const applied = await cli(['waypoint', 'apply', '-n', 'default']);
    expect(applied.code, applied.stderr).toBe(0);
    // A waypoint meshctl did not make (kubectl's own apply): purge leaves it, as it leaves every object it did not install.
    await kubectl(['apply', '--server-side', '-f', '-'], [
      'apiVersion: gateway.networking.k8s.io/v1', 'kind: Gateway', 'metadata:', '  name: theirs', '  namespace: default',
      'spec:', '  gatewayClassName: istio-waypoint', '  listeners:', '  - name: mesh', '    port: 15008', '    protocol: HBONE', '',
    ].join('\n'));

    const dry = await cli(['uninstall', '--purge', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    // Listed first, under their own heading; ztunnel's pods (container istio-proxy, opted out of injection) are no sidecars left behind.
    expect(dry.stdout).toMatch(/will be deleted, in this order:\n {2}Waypoints \(1\):\n {4}Gateway\/default\/waypoint\n {2}Ztunnel /);
    expect(dry.stdout).not.toContain('theirs');
    expect(dry.stderr).not.toContain('proxies pointing');

    await purge(cluster);
    expect(await componentObjects(['Base', 'Pilot', 'Cni', 'Ztunnel', 'IngressGateways', 'EgressGateways'])).toEqual([]);
    expect((await kubectlItems(['get', 'daemonsets,deployments,pods', '-n', 'istio-system'])).map(key)).toEqual([]);
    const crds = (await kubectlItems(['get', 'crds'])).map((c) => c.metadata.name);
    expect(crds.filter((n) => n.endsWith('.istio.io'))).toEqual([]);
    expect(crds).toContain('gateways.gateway.networking.k8s.io');
    expect((await kubectlItems(['get', 'gateways.gateway.networking.k8s.io', '-n', 'default'])).map((g) => g.metadata.name)).toEqual(['theirs']);
  });
});

describe('verify-install on GKE (the cluster\'s version brings istioctl\'s GKE settings, as install applies them)', () => {
  afterAll(() => cluster.setVersion(undefined));
  it('verifies the recorded ambient installation and the same flags, CNI node agent in kube-system', async () => {
    cluster.setVersion({ major: '1', minor: '35', gitVersion: 'v1.35.0-gke.1200' });
    const r = await meshctl(cluster, ['install', '--set', 'profile=ambient', '-y']);
    expect(r.code, r.stderr).toBe(0);
    expect((await kubectlItems(['get', 'daemonsets', '-A'])).map(key).sort()).toEqual(['DaemonSet/istio-system/ztunnel', 'DaemonSet/kube-system/istio-cni-node']);
    for (const argv of [['verify-install'], ['verify-install', '--set', 'profile=ambient']]) {
      const v = await cli(argv);
      expect(v.code, `${argv.join(' ')}\n${v.stderr}`).toBe(0);
      expect(v.stderr).toContain('✔ DaemonSet: istio-cni-node.kube-system checked successfully');
    }
    await purge(cluster);
  });
});

describe('a DaemonSet that never becomes ready', () => {
  afterAll(() => cluster.setWorkload('istio-system/istio-cni-node', { kind: 'ready' }));
  it('times out naming each unready pod with its Node and waiting reason; ztunnel never starts; the same command converges once the pods run; uninstall -r default removes CNI and ztunnel, keeps the CRDs', async () => {
    await cluster.setWorkload('istio-system/istio-cni-node', { kind: 'fail', reason: 'CrashLoopBackOff' });
    // Long enough for the DaemonSet controller to create the Pods and the kubelet stand-in to report on them.
    const r = await meshctl(cluster, ['install', '--set', 'profile=ambient', '-y', '--readiness-timeout', '8s']);
    expect(r.code).toBe(1);
    expect(linesStarting(r.stderr, '✔', '✘')).toEqual(['✔ Istio core installed', '✔ Istiod installed', '✘ CNI encountered an error: resources not ready after 8s:']);
    const detail = r.stderr.split('\n').find((l) => l.startsWith('  DaemonSet/istio-system/istio-cni-node ('));
    expect(detail, r.stderr).toBeDefined();
    expect(detail).toContain('0/2 pods ready');
    for (const n of NODES) expect(detail).toMatch(new RegExp(`pod istio-cni-node-[a-z0-9]+ on ${n}: container failed to start: CrashLoopBackOff`));
    expect(r.stderr).toMatch(/Error: installation incomplete: CNI failed \(see above\)/);
    expect(await kubectlItems(['get', 'daemonsets', '-n', 'istio-system', '--field-selector', 'metadata.name=ztunnel'])).toEqual([]);

    await cluster.setWorkload('istio-system/istio-cni-node', { kind: 'ready' });
    const again = await meshctl(cluster, ['install', '--set', 'profile=ambient', '-y']);
    expect(again.code, again.stderr).toBe(0);
    expect(linesStarting(again.stderr, '✔ CNI', '✔ Ztunnel')).toEqual(['✔ CNI installed', '✔ Ztunnel installed']);

    // uninstall -r default (without --purge): both DaemonSets and their RBAC go (it waits for the deletes), Base and the CRDs stay;
    // ztunnel's pods are not taken for sidecars left pointing at the control plane.
    const un = await cli(['uninstall', '-r', 'default', '-y']);
    expect(un.code, un.stderr).toBe(0);
    expect(un.stderr).not.toContain('proxies pointing');
    expect(un.stderr).toMatch(/ {2}Ztunnel \(\d+\):\n {4}/);
    expect(un.stderr).toMatch(/ {2}CNI \(\d+\):\n {4}/);
    expect(await componentObjects(['Cni', 'Ztunnel', 'Pilot'])).toEqual([]);
    expect((await kubectlItems(['get', 'daemonsets', '-A'])).map(key)).toEqual([]);
    expect((await kubectlItems(['get', 'crds'])).filter((c) => c.metadata.name.endsWith('.istio.io')).length).toBeGreaterThan(0);
    await purge(cluster);
  });
});
