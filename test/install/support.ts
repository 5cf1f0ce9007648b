// Shared by the installer tests: running meshctl against a test cluster, the rendering to compare
// with, and snapshots of what the cluster stores.
import { parseAllDocuments } from 'yaml';
import { main } from '../../src/main.js';
import type { Deps } from '../../src/deps.js';
import type { KObject, TestCluster } from '../cluster/types.js';
import { run, testDeps, type RunResult } from '../helpers.js';

/** Kinds an installation writes (group, kind), for snapshots of the store. */
export const INSTALLED_KINDS: [string, string][] = [
  ['', 'Namespace'], ['', 'ConfigMap'], ['', 'Service'], ['', 'ServiceAccount'], ['', 'Secret'],
  ['apps', 'Deployment'], ['apps', 'DaemonSet'], ['policy', 'PodDisruptionBudget'], ['autoscaling', 'HorizontalPodAutoscaler'],
  ['rbac.authorization.k8s.io', 'ClusterRole'], ['rbac.authorization.k8s.io', 'ClusterRoleBinding'],
  ['rbac.authorization.k8s.io', 'Role'], ['rbac.authorization.k8s.io', 'RoleBinding'],
  ['admissionregistration.k8s.io', 'MutatingWebhookConfiguration'], ['admissionregistration.k8s.io', 'ValidatingWebhookConfiguration'],
  ['apiextensions.k8s.io', 'CustomResourceDefinition'],
];

/** Returns `group/Kind/namespace/name -> resourceVersion` for every object of the installed kinds. */
export function snapshot(cluster: TestCluster): Map<string, string> {
  const out = new Map<string, string>();
  for (const [group, kind] of INSTALLED_KINDS) {
    for (const o of cluster.store.list(group, kind)) out.set(`${group}/${kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, String(o.metadata.resourceVersion));
  }
  return out;
}

/** Runs meshctl in-process against the cluster (poll interval shortened); `tty` makes stdout/stderr terminals. */
export function meshctl(cluster: TestCluster, argv: string[], tty = false): Promise<RunResult> {
  return run([...argv, '--poll-interval', '20ms'], { env: { KUBECONFIG: cluster.kubeconfigPath }, tty });
}

/** Runs meshctl with deps adjusted by `adjust` (prompt, signal, terminal flags). */
export async function meshctlWith(cluster: TestCluster, argv: string[], adjust: (deps: Deps) => void): Promise<RunResult> {
  const { deps, out } = testDeps({ env: { KUBECONFIG: cluster.kubeconfigPath } });
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

/** Returns the stored copy of a rendered object. */
export function stored(cluster: TestCluster, o: KObject): KObject | undefined {
  return cluster.store.get({ group: groupOf(o.apiVersion), kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name });
}

/** Returns the lines of `text` that start with one of the prefixes, in order. */
export function linesStarting(text: string, ...prefixes: string[]): string[] {
  return text.split('\n').filter((l) => prefixes.some((p) => l.startsWith(p)));
}
