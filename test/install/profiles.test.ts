/**
 * All ten profiles of Istio 1.30.3 (manifests/profiles/*.yaml) installed on one real test control
 * plane with two Nodes (test/control-plane/), one after the other, each install switching from the
 * previous profile so that every switch prunes what the new profile lacks. Each profile's install
 * is checked on its own against its `manifest generate` rendering: exit 0, istioctl's ✔ line for
 * each component the profile has (operator/pkg/install/progress.go), the summary's counts (created
 * = rendered objects the cluster lacked, pruned = installed objects the profile does not render),
 * every rendered object found by the real kubectl and nothing else of an installation left, the
 * Deployments ready and the DaemonSets running a ready pod on each Node.
 *
 * What the profiles need from a cluster is provided as a real cluster provides it:
 * - openshift and openshift-ambient render the istio-cni chart's NetworkAttachmentDefinition
 *   (multus, which OpenShift always runs): the test installs multus' CRD
 *   network-attachment-definitions.k8s.cni.cncf.io (group k8s.cni.cncf.io, v1, namespaced, short
 *   name net-attach-def, spec.config a JSON string), as multus' deployments/multus-daemonset.yml
 *   defines it;
 * - ambient and openshift-ambient run waypoints, Gateways of the Gateway API: its CRDs at v1.5.1,
 *   the release Istio 1.30.3 builds against, from the Go module (test/waypoint/gateway-api.ts).
 *
 * `remote` has no istiod: as istioctl renders it, Base and the remote injector configuration (the
 * istio-discovery chart's MutatingWebhookConfiguration and values ConfigMap, component Pilot) are
 * what it installs, and nothing waits for a Deployment. `empty` renders nothing; installed last, it
 * prunes the installation's objects as istioctl's installer does (CRDs stay), and
 * `uninstall --purge` then removes the rest.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlPath, startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import type { KObject } from '../control-plane/types.js';
import { installGatewayApi } from '../waypoint/gateway-api.js';
import { MULTUS_CRD, groupOf, linesStarting, meshctl, purge, rendered, waitFor } from './support.js';

const NODES = ['node-1', 'node-2'];
const AMBIENT_CLOSING_LINE = 'The ambient profile has been installed successfully, enjoy Istio without sidecars!';

/** Component label -> istioctl's ✔ line (operator/pkg/component/component.go titles). */
const LINES: Record<string, string> = {
  Base: '✔ Istio core installed',
  Pilot: '✔ Istiod installed',
  Cni: '✔ CNI installed',
  Ztunnel: '✔ Ztunnel installed',
  IngressGateways: '✔ Ingress gateways installed',
  EgressGateways: '✔ Egress gateways installed',
};

/**
 * The components each profile turns on, from upstream's manifests/profiles/*.yaml at 1.30.3 (the
 * default profile's Base, Pilot and ingress gateway unless the profile says otherwise).
 */
const COMPONENTS: Record<string, string[]> = {
  default: ['Base', 'Pilot', 'IngressGateways'],
  demo: ['Base', 'Pilot', 'IngressGateways', 'EgressGateways'],
  minimal: ['Base', 'Pilot'],
  preview: ['Base', 'Pilot', 'IngressGateways'],
  stable: ['Base', 'Pilot', 'IngressGateways'],
  ambient: ['Base', 'Pilot', 'Cni', 'Ztunnel'],
  'openshift-ambient': ['Base', 'Pilot', 'Cni', 'Ztunnel'],
  openshift: ['Base', 'Pilot', 'Cni', 'IngressGateways'],
  remote: ['Base', 'Pilot'],
};

/** The DaemonSets each profile runs: the CNI node agent and ztunnel, in kube-system on OpenShift (the profiles' components.*.namespace). */
const DAEMONSETS: Record<string, string[]> = {
  ambient: ['DaemonSet.apps/istio-system/istio-cni-node', 'DaemonSet.apps/istio-system/ztunnel'],
  'openshift-ambient': ['DaemonSet.apps/kube-system/istio-cni-node', 'DaemonSet.apps/kube-system/ztunnel'],
  openshift: ['DaemonSet.apps/kube-system/istio-cni-node'],
};

/** The order of the installs: sidecar profiles, then ambient ones (cni moves to kube-system and back), then the ones without istiod. */
const ORDER = ['default', 'demo', 'minimal', 'preview', 'stable', 'ambient', 'openshift-ambient', 'openshift', 'remote'];

let cluster: ControlPlane;
beforeAll(async () => {
  cluster = await startControlPlane({ nodes: 2, readyDelayMs: 0 });
  await kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(MULTUS_CRD));
  await kubectl(['wait', '--for', 'condition=Established', '--timeout=60s', `crd/${MULTUS_CRD.metadata.name}`]);
  await installGatewayApi(kubectlPath(), cluster.kubeconfigPath);
});
afterAll(async () => {
  await cluster?.close();
});

async function kubectl(args: string[], input?: string): Promise<string> {
  const k = await execa(kubectlPath(), args, { env: { KUBECONFIG: cluster.kubeconfigPath }, reject: false, ...(input !== undefined ? { input } : {}) });
  expect(k.exitCode, `kubectl ${args.join(' ')}: ${k.stderr}`).toBe(0);
  return k.stdout;
}

const key = (o: KObject) => `${o.kind}.${groupOf(o.apiVersion)}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** `Kind.group` of every kind any profile renders, for kubectl. */
let kinds: string[] = [];
const renders = new Map<string, KObject[]>();

/** Objects of the rendered kinds kubectl finds in the cluster, all namespaces (`selector`: a label selector). */
async function listed(selector?: string): Promise<KObject[]> {
  const out = await kubectl(['get', kinds.join(','), '-A', ...(selector ? ['-l', selector] : []), '-o', 'json']);
  return (JSON.parse(out) as { items: KObject[] }).items;
}

/** Whether an object with a component label is a profile's: not being deleted, not the installed-state record (managed by meshctl itself). */
const fromProfile = (o: KObject): boolean => !o.metadata.deletionTimestamp && o.metadata.labels?.['app.kubernetes.io/managed-by'] !== 'meshctl';

/** What an installation left in the cluster, CRDs aside (never pruned): objects labelled with a component. */
async function installed(): Promise<string[]> {
  return (await listed('operator.istio.io/component')).filter((o) => o.kind !== 'CustomResourceDefinition' && fromProfile(o)).map(key).sort();
}

describe('the ten profiles render', () => {
  it('manifest generate renders each profile, empty with nothing', async () => {
    for (const p of [...ORDER, 'empty']) renders.set(p, await rendered(['--set', `profile=${p}`]));
    expect(renders.get('empty')).toEqual([]);
    for (const p of ORDER) expect(renders.get(p)!.length, p).toBeGreaterThan(0);
    kinds = [...new Set([...renders.values()].flat().map((o) => `${o.kind}.${groupOf(o.apiVersion)}`.replace(/\.$/, '')))].sort();
    // The kinds that need what the cluster provides: multus' CRD (the openshift profiles) and the stable channel's policy.
    expect(kinds).toEqual(expect.arrayContaining(['DaemonSet.apps', 'NetworkAttachmentDefinition.k8s.cni.cncf.io', 'ValidatingAdmissionPolicy.admissionregistration.k8s.io']));
  });
});

describe.each(ORDER)('meshctl install --set profile=%s -y', (profile) => {
  it('installs every rendered object, prunes the previous profile\'s others, and has its workloads ready', async () => {
    const objects = renders.get(profile)!;
    expect(objects.length, profile).toBeGreaterThan(0);
    const wanted = new Set(objects.map(key));
    const present = new Set((await listed()).map(key));
    const before = await installed();
    const created = objects.filter((o) => !present.has(key(o))).length;
    const pruned = before.filter((k) => !wanted.has(k));

    const r = await meshctl(cluster, ['install', '--set', `profile=${profile}`, '-y']);
    expect(r.code, r.stderr).toBe(0);
    expect(linesStarting(r.stderr, '✔', '✘')).toEqual([
      ...COMPONENTS[profile]!.map((c) => LINES[c]),
      ...(pruned.length ? [`✔ Pruned ${pruned.length} object${pruned.length === 1 ? '' : 's'}`] : []),
      '✔ Installation complete',
    ]);
    // istioctl closes with its ambient line for the ambient profile only (operator/cmd/mesh/install.go).
    expect(r.stderr.includes(AMBIENT_CLOSING_LINE), 'ambient closing line').toBe(profile === 'ambient');
    const counts = r.stderr.match(/(\d+) objects applied \((\d+) created, (\d+) configured, (\d+) unchanged\), (\d+) pruned/);
    expect(counts, r.stderr).not.toBeNull();
    const [total, made, configured, unchanged, gone] = counts!.slice(1).map(Number) as [number, number, number, number, number];
    expect({ total, made, changed: configured + unchanged, gone }).toEqual({ total: objects.length, made: created, changed: objects.length - created, gone: pruned.length });

    // Every rendered object, read by kubectl; nothing of an installation beside them once the prune's deletes finish.
    const after = new Set((await listed()).map(key));
    expect(objects.map(key).filter((k) => !after.has(k)), 'missing').toEqual([]);
    const expected = objects.filter((o) => o.kind !== 'CustomResourceDefinition').map(key).sort();
    await waitFor(`only profile ${profile}'s objects`, async () => JSON.stringify(await installed()) === JSON.stringify(expected), 60_000,
      async () => JSON.stringify((await installed()).filter((k) => !wanted.has(k))));

    // Workloads ready as the installer waited for them.
    for (const d of objects.filter((o) => o.kind === 'Deployment')) {
      const s = JSON.parse(await kubectl(['get', 'deployment', '-n', d.metadata.namespace!, d.metadata.name, '-o', 'json'])) as KObject;
      const status = s.status as { observedGeneration?: number; readyReplicas?: number; updatedReplicas?: number };
      const replicas = (s.spec as { replicas: number }).replicas;
      expect({ name: key(d), observed: status.observedGeneration, ready: status.readyReplicas, updated: status.updatedReplicas })
        .toEqual({ name: key(d), observed: s.metadata.generation, ready: replicas, updated: replicas });
    }
    const daemonSets = objects.filter((o) => o.kind === 'DaemonSet');
    expect(daemonSets.map(key).sort()).toEqual(DAEMONSETS[profile] ?? []);
    for (const d of daemonSets) {
      const s = JSON.parse(await kubectl(['get', 'daemonset', '-n', d.metadata.namespace!, d.metadata.name, '-o', 'json'])) as KObject;
      const status = s.status as Record<string, number>;
      expect({ name: key(d), observed: status.observedGeneration, desired: status.desiredNumberScheduled, ready: status.numberReady, updated: status.updatedNumberScheduled })
        .toEqual({ name: key(d), observed: s.metadata.generation, desired: 2, ready: 2, updated: 2 });
      const pods = (JSON.parse(await kubectl(['get', 'pods', '-n', d.metadata.namespace!, '-o', 'json'])) as { items: KObject[] }).items
        .filter((p) => (p.metadata.ownerReferences as { kind: string; name: string }[] | undefined)?.some((ref) => ref.kind === 'DaemonSet' && ref.name === d.metadata.name))
        .filter((p) => !p.metadata.deletionTimestamp);
      expect(pods.map((p) => (p.spec as { nodeName?: string }).nodeName).sort(), key(d)).toEqual(NODES);
      for (const p of pods) {
        const ready = ((p.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).find((c) => c.type === 'Ready');
        expect(ready?.status, p.metadata.name).toBe('True');
      }
    }
    // The components the profile turns on, as the cluster's objects are labelled by the installer.
    const labelled = (await listed('operator.istio.io/component')).filter(fromProfile);
    expect([...new Set(labelled.filter((o) => o.kind !== 'CustomResourceDefinition').map((o) => o.metadata.labels!['operator.istio.io/component']))].sort())
      .toEqual([...COMPONENTS[profile]!].sort());
    if (profile === 'remote') {
      // No istiod: what the istio-discovery chart renders for profile remote (istiodRemote.enabled) is the Pilot
      // component, the injector's webhook, the values ConfigMap and the reader RBAC; Base adds the reader's
      // ServiceAccount to the CRDs (checked against helm's rendering of both charts with istioctl's values).
      expect(objects.filter((o) => ['Deployment', 'Service', 'ValidatingWebhookConfiguration'].includes(o.kind)).map(key)).toEqual([]);
      const byComponent = (c: string) => labelled.filter((o) => o.kind !== 'CustomResourceDefinition' && o.metadata.labels!['operator.istio.io/component'] === c).map(key).sort();
      expect(byComponent('Pilot')).toEqual([
        'ClusterRole.rbac.authorization.k8s.io/istio-reader-clusterrole-istio-system',
        'ClusterRoleBinding.rbac.authorization.k8s.io/istio-reader-clusterrole-istio-system',
        'ConfigMap./istio-system/values',
        'MutatingWebhookConfiguration.admissionregistration.k8s.io/istio-sidecar-injector',
      ]);
      expect(byComponent('Base')).toEqual(['ServiceAccount./istio-system/istio-reader-service-account']);
    }
  });
});

describe('meshctl install --set profile=empty -y', () => {
  it('says nothing is rendered and, as istioctl\'s installer, prunes the installation\'s objects; the CRDs stay', async () => {
    const before = await installed();
    expect(before.length).toBeGreaterThan(0);
    const r = await meshctl(cluster, ['install', '--set', 'profile=empty', '-y']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('No objects rendered: every component is disabled (profile "empty"); installing it applies nothing and prunes what the installation has.\n');
    expect(linesStarting(r.stderr, '✔', '✘')).toEqual([`✔ Pruned ${before.length} objects`, '✔ Installation complete']);
    expect(r.stderr).toContain(`0 objects applied (0 created, 0 configured, 0 unchanged), ${before.length} pruned.`);
    await waitFor('the prune to finish', async () => (await installed()).length === 0, 60_000, async () => (await installed()).join(', '));
    expect((await listed()).filter((o) => o.kind === 'CustomResourceDefinition' && o.metadata.name.endsWith('.istio.io')).length).toBe(15);
  });
});

describe('uninstall --purge', () => {
  it('removes what the last profile installed', async () => {
    await purge(cluster);
    expect(await installed()).toEqual([]);
  });
});
