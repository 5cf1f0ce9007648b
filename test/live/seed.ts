/**
 * Seeding the real test control plane (test/control-plane/) for the live tests: objects go in
 * through the API server (server-side apply with meshctl's client), rendered by meshctl itself,
 * and workloads are injected with `meshctl kube-inject` before they are applied, so the
 * controllers and the kubelet stand-in (kwok) run Pods from injected templates as a cluster with
 * the webhook would.
 */
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { connect } from '../../src/kube/connect.js';
import type { KubeClient } from '../../src/kube/types.js';
import type { K8sObject } from '../../src/manifest/objects.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { repoRoot, run } from '../helpers.js';
import { waitFor } from '../control-plane/wait.js';

/** Bookinfo as the Istio project ships it (the copy kept with the analyze test data, so a clean clone has it). */
export const BOOKINFO = join(repoRoot, 'test', 'testdata', 'analyze', 'output', 'bookinfo', 'bookinfo.yaml');

/** Environment that points meshctl at the control plane (through its fault proxy, which logs requests). */
export function clusterEnv(cp: ControlPlane): Record<string, string> {
  return { KUBECONFIG: cp.kubeconfigPath };
}

/** Returns a meshctl client on the control plane (short retries: the server is local). */
export function clientFor(cp: ControlPlane): Promise<KubeClient> {
  return connect({ env: clusterEnv(cp), requestTimeoutMs: 10_000, retry: { baseDelayMs: 5, maxDelayMs: 20 } });
}

/** Returns the objects of a YAML stream (empty documents dropped). */
export function objectsOf(yaml: string): K8sObject[] {
  return parseAllDocuments(yaml).map((d) => d.toJS() as K8sObject | null).filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

/** Returns what `meshctl manifest generate <args>` renders. Throws when it fails. */
export async function rendered(args: string[]): Promise<K8sObject[]> {
  const r = await run(['manifest', 'generate', ...args]);
  if (r.code !== 0) throw new Error(`manifest generate ${args.join(' ')}: ${r.stderr}`);
  return objectsOf(r.stdout);
}

/** Returns the Bookinfo workloads injected by `meshctl kube-inject` with `args` (default: the default profile). */
export async function injectedBookinfo(args: string[] = []): Promise<K8sObject[]> {
  const r = await run(['kube-inject', '-f', BOOKINFO, ...args]);
  if (r.code !== 0) throw new Error(`kube-inject: ${r.stderr}`);
  return objectsOf(r.stdout);
}

/** Polls until `check` holds (test/control-plane/wait.ts). */
export const waitUntil = waitFor;

/**
 * Waits until every CustomResourceDefinition among `objects` is Established: only then does the
 * API server serve its kind (a create right after the CRD's would be a 404).
 */
export async function waitEstablished(cp: ControlPlane, objects: readonly K8sObject[]): Promise<void> {
  const names = objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name);
  await waitUntil(`CRDs established: ${names.join(', ')}`, async () => {
    const crds = await cp.store.list('apiextensions.k8s.io', 'CustomResourceDefinition');
    const established = new Set(crds.filter((c) => ((c.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [])
      .some((x) => x.type === 'Established' && x.status === 'True')).map((c) => c.metadata.name));
    return names.every((n) => established.has(n));
  });
}

/**
 * Server-side applies `objects` in order, into `namespace` when given (objects without one), and
 * creates the namespaces they need first. CRDs among them are waited for until Established, so
 * the objects after them (and the caller's) can use their kinds.
 */
export async function applyAll(cp: ControlPlane, client: KubeClient, objects: readonly K8sObject[], namespace?: string): Promise<void> {
  const placed = objects.map((o) => {
    const copy = structuredClone(o);
    if (namespace && copy.kind !== 'Namespace' && copy.kind !== 'CustomResourceDefinition' && !copy.kind.startsWith('Cluster')
      && !copy.kind.endsWith('WebhookConfiguration') && !copy.metadata.namespace) copy.metadata.namespace = namespace;
    return copy;
  });
  const namespaces = new Set(placed.map((o) => o.metadata.namespace).filter((n): n is string => !!n));
  for (const name of namespaces) await ensureNamespace(client, name);
  const crds = placed.filter((o) => o.kind === 'CustomResourceDefinition');
  for (const o of crds) await client.apply(o, { force: true });
  if (crds.length > 0) await waitEstablished(cp, crds);
  for (const o of placed) if (o.kind !== 'CustomResourceDefinition') await client.apply(o, { force: true });
}

/**
 * Creates a namespace with `labels` unless it exists (an existing one is left as it is: applying
 * it again without its labels would remove them, as server-side apply does).
 */
export async function ensureNamespace(client: KubeClient, name: string, labels: Record<string, string> = {}): Promise<void> {
  if (await client.get({ apiVersion: 'v1', kind: 'Namespace', name })) return;
  await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }, { force: true });
}

/** Returns how many Pods are Running and Ready (and not being deleted), in `namespace` or everywhere. */
export async function readyPods(cp: ControlPlane, namespace?: string): Promise<number> {
  return (await cp.store.list('', 'Pod', namespace)).filter((p) => {
    const status = p.status as { phase?: string; conditions?: { type: string; status: string }[] } | undefined;
    return !p.metadata.deletionTimestamp && status?.phase === 'Running'
      && (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  }).length;
}

/** A Deployment running one pod whose `istio-proxy` container has `image`, for version tests. */
export function proxyDeployment(name: string, image: string, labels: Record<string, string> = {}): K8sObject {
  const podLabels = { app: name, ...labels };
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: podLabels },
        spec: { containers: [{ name: 'app', image: 'docker.io/library/nginx:1.27' }, { name: 'istio-proxy', image }] },
      },
    },
  };
}
