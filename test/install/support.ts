// Shared by the installer tests: running meshctl against the test control plane, the rendering to
// compare with, snapshots of what the cluster stores, and waiting for asynchronous deletes.
import { parseAllDocuments } from 'yaml';
import { main } from '../../src/main.js';
import type { Deps } from '../../src/deps.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import type { KObject } from '../control-plane/types.js';
import { run, testDeps, type RunResult } from '../helpers.js';
import { waitFor } from '../control-plane/wait.js';

/** Kinds an installation writes (group, kind), for snapshots of the store. */
export const INSTALLED_KINDS: [string, string][] = [
  ['', 'Namespace'], ['', 'ConfigMap'], ['', 'Service'], ['', 'ServiceAccount'], ['', 'Secret'],
  ['apps', 'Deployment'], ['apps', 'DaemonSet'], ['policy', 'PodDisruptionBudget'], ['autoscaling', 'HorizontalPodAutoscaler'],
  ['rbac.authorization.k8s.io', 'ClusterRole'], ['rbac.authorization.k8s.io', 'ClusterRoleBinding'],
  ['rbac.authorization.k8s.io', 'Role'], ['rbac.authorization.k8s.io', 'RoleBinding'],
  ['admissionregistration.k8s.io', 'MutatingWebhookConfiguration'], ['admissionregistration.k8s.io', 'ValidatingWebhookConfiguration'],
  ['apiextensions.k8s.io', 'CustomResourceDefinition'],
];

/**
 * Returns `group/Kind/namespace/name -> resourceVersion` for every object of the installed kinds,
 * in every namespace (the control plane's own objects included: a run that should write nothing
 * must not touch those either).
 */
export async function snapshot(cp: ControlPlane): Promise<Map<string, string>> {
  const lists = await Promise.all(INSTALLED_KINDS.map(async ([group, kind]) => ({ group, kind, items: await cp.store.list(group, kind) })));
  const out = new Map<string, string>();
  for (const { group, kind, items } of lists) {
    for (const o of items) out.set(`${group}/${kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, String(o.metadata.resourceVersion));
  }
  return out;
}

/** Runs meshctl in-process against the control plane through the fault proxy (poll interval shortened); `tty` makes stdout/stderr terminals. */
export function meshctl(cp: ControlPlane, argv: string[], tty = false): Promise<RunResult> {
  return run([...argv, '--poll-interval', '20ms'], { env: { KUBECONFIG: cp.kubeconfigPath }, tty });
}

/** Runs meshctl with deps adjusted by `adjust` (prompt, signal, terminal flags). */
export async function meshctlWith(cp: ControlPlane, argv: string[], adjust: (deps: Deps) => void): Promise<RunResult> {
  const { deps, out } = testDeps({ env: { KUBECONFIG: cp.kubeconfigPath } });
  adjust(deps);
  const code = await main([...argv, '--poll-interval', '20ms'], deps);
  return { code, ...out() };
}

/** Returns the objects `manifest generate` renders for these flags. */
export async function rendered(argv: string[]): Promise<KObject[]> {
  const r = await run(['manifest', 'generate', ...argv]);
  if (r.code !== 0) throw new Error(r.stderr);
  return parseAllDocuments(r.stdout).map((d) => d.toJSON() as KObject).filter((o) => o && o.kind);
}

/** Returns the API group of an apiVersion. */
export function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
}

/** Returns the stored copy of a rendered object, undefined when the cluster does not have it. */
export function stored(cp: ControlPlane, o: KObject): Promise<KObject | undefined> {
  return cp.store.get({ group: groupOf(o.apiVersion), kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name });
}

/** Returns the lines of `text` that start with one of the prefixes, in order. */
export function linesStarting(text: string, ...prefixes: string[]): string[] {
  return text.split('\n').filter((l) => prefixes.some((p) => l.startsWith(p)));
}

export { waitFor };

/** Owner label meshctl puts on everything it installs. */
const OWNING_RESOURCE = 'install.operator.istio.io/owning-resource';

/** Returns `Kind/namespace/name` of every object of the installed kinds (and Pods) that carries meshctl's owner label. */
export async function ownedObjects(cp: ControlPlane): Promise<string[]> {
  const kinds: [string, string][] = [...INSTALLED_KINDS, ['', 'Pod'], ['apps', 'ReplicaSet']];
  const lists = await Promise.all(kinds.map(async ([group, kind]) => ({ kind, items: await cp.store.list(group, kind) })));
  return lists.flatMap(({ kind, items }) => items
    // Pods and ReplicaSets inherit the pod template's labels; they belong to an installation while their owner exists.
    .filter((o) => o.metadata.labels?.[OWNING_RESOURCE] !== undefined || ((kind === 'Pod' || kind === 'ReplicaSet') && o.metadata.namespace === 'istio-system'))
    .map((o) => `${kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`));
}

/**
 * Runs `meshctl uninstall --purge -y` and waits until nothing of any
 * installation is left: no object with meshctl's owner label, no Pod or ReplicaSet in
 * istio-system (foreground deletes finish after the API server answered), and no Istio CRD.
 * Throws after `timeoutMs` per phase (uninstall, then the wait).
 */
export async function purge(cp: ControlPlane, timeoutMs = 60_000): Promise<void> {
  // Bounded, so that a delete that never finishes fails here with uninstall's own account of it.
  const { deps, out } = testDeps({ env: { KUBECONFIG: cp.kubeconfigPath } });
  deps.signal = AbortSignal.timeout(timeoutMs);
  const code = await main(['uninstall', '--purge', '-y'], deps);
  if (code !== 0) throw new Error(`uninstall --purge failed (${code}${code === 130 ? `: not done after ${timeoutMs} ms` : ''}):\n${out().stderr}`);
  const left = async (): Promise<string[]> => {
    const crds = (await cp.store.list('apiextensions.k8s.io', 'CustomResourceDefinition')).filter((c) => c.metadata.name.endsWith('.istio.io'));
    return [...await ownedObjects(cp), ...crds.map((c) => `CustomResourceDefinition/${c.metadata.name}`)];
  };
  await waitFor('the purge to finish', async () => (await left()).length === 0, timeoutMs, async () => (await left()).join(', '));
}

/**
 * multus' CRD (NetworkAttachmentDefinition, k8s.cni.cncf.io/v1), the fields its
 * deployments/multus-daemonset.yml gives it: what an OpenShift cluster always serves, and the
 * openshift profiles' CNI component writes one.
 */
export const MULTUS_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'network-attachment-definitions.k8s.cni.cncf.io' },
  spec: {
    group: 'k8s.cni.cncf.io',
    scope: 'Namespaced',
    names: { plural: 'network-attachment-definitions', singular: 'network-attachment-definition', kind: 'NetworkAttachmentDefinition', shortNames: ['net-attach-def'] },
    versions: [{
      name: 'v1', served: true, storage: true,
      schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { config: { type: 'string' } } } } } },
    }],
  },
};
