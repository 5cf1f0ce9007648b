/**
 * Seeding the Kubernetes API test server for the live tests: objects go in through the real HTTP
 * API (server-side apply with meshctl's client), rendered by meshctl itself, and workloads are
 * injected with `meshctl kube-inject` before they are applied, so the simulated kubelet starts
 * Pods from injected templates as a cluster with the webhook would.
 */
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { connect } from '../../src/kube/connect.js';
import type { KubeClient } from '../../src/kube/types.js';
import type { K8sObject } from '../../src/manifest/objects.js';
import type { TestCluster } from '../cluster/server.js';
import { repoRoot, run } from '../helpers.js';

/** The Bookinfo sample (Istio 1.30.3 samples/bookinfo), read by tests only. */
/** Bookinfo as the Istio project ships it (the copy kept with the analyze test data, so a clean clone has it). */
export const BOOKINFO = join(repoRoot, 'test', 'testdata', 'analyze', 'output', 'bookinfo', 'bookinfo.yaml');

/** Environment that points meshctl at the test cluster. */
export function clusterEnv(cluster: TestCluster): Record<string, string> {
  return { KUBECONFIG: cluster.kubeconfigPath };
}

/** Returns a client on the test cluster (fast retries: the server is local). */
export function clientFor(cluster: TestCluster): Promise<KubeClient> {
  return connect({ env: clusterEnv(cluster), requestTimeoutMs: 10_000, retry: { baseDelayMs: 5, maxDelayMs: 20 } });
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

/**
 * Server-side applies `objects` in order, into `namespace` when given (objects without one), and
 * creates the namespaces they need first.
 */
export async function applyAll(client: KubeClient, objects: readonly K8sObject[], namespace?: string): Promise<void> {
  const placed = objects.map((o) => {
    const copy = structuredClone(o);
    if (namespace && copy.kind !== 'Namespace' && copy.kind !== 'CustomResourceDefinition' && !copy.kind.startsWith('Cluster')
      && !copy.kind.endsWith('WebhookConfiguration') && !copy.metadata.namespace) copy.metadata.namespace = namespace;
    return copy;
  });
  const namespaces = new Set(placed.map((o) => o.metadata.namespace).filter((n): n is string => !!n));
  for (const name of namespaces) await ensureNamespace(client, name);
  for (const o of placed) await client.apply(o, { force: true });
}

/**
 * Creates a namespace with `labels` unless it exists (an existing one is left as it is: applying
 * it again without its labels would remove them, as server-side apply does).
 */
export async function ensureNamespace(client: KubeClient, name: string, labels: Record<string, string> = {}): Promise<void> {
  if (await client.get({ apiVersion: 'v1', kind: 'Namespace', name })) return;
  await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }, { force: true });
}

/** Polls `check` every 10 ms until it returns true; throws after `timeoutMs` with `what`. */
export async function waitUntil(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Returns how many Pods of the store are Running and Ready, in `namespace` or everywhere. */
export function readyPods(cluster: TestCluster, namespace?: string): number {
  return cluster.store.list('', 'Pod', namespace).filter((p) => {
    const status = p.status as { phase?: string; conditions?: { type: string; status: string }[] } | undefined;
    return status?.phase === 'Running' && (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
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
