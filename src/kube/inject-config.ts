/**
 * The injection configuration a cluster's istiod uses, read from its ConfigMaps: the injector
 * settings and values from `istio-sidecar-injector[-<rev>]` (keys `config`, `values`) and the mesh
 * config from `istio[-<rev>]` (key `mesh`), in the control-plane namespace. istioctl kube-inject
 * reads the same ConfigMaps (Istio 1.30 istioctl/pkg/kubeinject/kubeinject.go; reference
 * istio-1.30.md 3.1), after first trying istiod's webhook through a port-forward, which meshctl
 * does not need: the ConfigMaps are what that webhook renders from. The Nodes' kubelet versions,
 * which decide between native and classic sidecars, come from here too.
 */
import type { K8sObject } from '../manifest/objects.js';
import { injectionConfigFromObjects, type InjectionConfig } from '../inject/config.js';
import type { NodeKubelet } from '../inject/native-sidecars.js';
import type { KubeClient } from './types.js';

/** Where to look. */
export interface ClusterInjectionOptions {
  /** Control-plane namespace (`-i`, default `istio-system`). */
  istioNamespace: string;
  /** Revision (`-r`); `''` or `default` for the default revision, whose ConfigMaps have no suffix. */
  revision?: string;
}

/** The injector ConfigMap's name for a revision (`istio-sidecar-injector`, `istio-sidecar-injector-canary`). */
export function injectorConfigMapName(revision: string): string {
  return revision ? `istio-sidecar-injector-${revision}` : 'istio-sidecar-injector';
}

/** The mesh config ConfigMap's name for a revision (`istio`, `istio-canary`). */
export function meshConfigMapName(revision: string): string {
  return revision ? `istio-${revision}` : 'istio';
}

/** The ConfigMaps that hold a revision's injection configuration are missing. */
export class InjectionConfigNotFoundError extends Error {
  override name = 'InjectionConfigNotFoundError';
}

/**
 * Returns the injection configuration of the cluster's control plane for `revision`. Throws
 * InjectionConfigNotFoundError (exit 1) naming the missing ConfigMaps and the namespace when
 * either is absent or the injector ConfigMap has no `config` key; DataError when their content
 * does not parse; what the client throws (KubeError, ClusterUnreachableError) otherwise.
 */
export async function injectionConfigFromCluster(client: KubeClient, opts: ClusterInjectionOptions): Promise<InjectionConfig> {
  const revision = opts.revision === 'default' ? '' : opts.revision ?? '';
  const names = [injectorConfigMapName(revision), meshConfigMapName(revision)];
  const found = await Promise.all(names.map((name) => client.get<K8sObject>({ apiVersion: 'v1', kind: 'ConfigMap', namespace: opts.istioNamespace, name })));
  const missing = names.filter((_, i) => {
    const data = found[i]?.data as Record<string, unknown> | undefined;
    return i === 0 ? typeof data?.config !== 'string' : found[i] === undefined;
  });
  if (missing.length > 0) {
    const list = missing.map((n) => `ConfigMap "${n}"`).join(' and ');
    const hint = revision
      ? `is revision "${revision}" installed there? Pass -r with an installed revision, or -i with the control-plane namespace`
      : 'is Istio installed there? Pass -i with the control-plane namespace, or -r when only a revision is installed';
    throw new InjectionConfigNotFoundError(`${list} not found in namespace "${opts.istioNamespace}" (or without the injector's "config" key): ${hint}`);
  }
  return injectionConfigFromObjects(found as K8sObject[], revision);
}

/** What kube-inject reads of the cluster's Namespaces, by name. */
export interface NamespaceMetadata {
  /** Labels: an ambient namespace's pods get no sidecar (src/inject/ambient.ts). */
  labels: Map<string, Record<string, string>>;
  /** Annotations: on OpenShift they decide the proxy's uid and gid (src/inject/openshift.ts). */
  annotations: Map<string, Record<string, string>>;
}

function strings(m: Readonly<Record<string, unknown>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}

/**
 * Returns the labels and annotations of every Namespace by name, read page by page in one list;
 * throws what the client throws (a KubeError 403 when the user may not list Namespaces).
 */
export async function namespaceMetadata(client: KubeClient): Promise<NamespaceMetadata> {
  const out: NamespaceMetadata = { labels: new Map(), annotations: new Map() };
  for await (const ns of client.list<K8sObject>('v1', 'Namespace')) {
    out.labels.set(ns.metadata.name, strings(ns.metadata.labels));
    out.annotations.set(ns.metadata.name, strings(ns.metadata.annotations));
  }
  return out;
}

/**
 * Returns every Node's name and kubelet version, which decide whether the cluster's istiod injects
 * native sidecars (src/inject/native-sidecars.ts). Read page by page; throws what the client
 * throws (a KubeError 403 when the user may not list Nodes).
 */
export async function nodeKubelets(client: KubeClient): Promise<NodeKubelet[]> {
  const nodes: NodeKubelet[] = [];
  for await (const node of client.list<K8sObject>('v1', 'Node')) {
    const info = (node.status as { nodeInfo?: { kubeletVersion?: unknown } } | undefined)?.nodeInfo;
    nodes.push({ name: node.metadata.name, kubeletVersion: typeof info?.kubeletVersion === 'string' ? info.kubeletVersion : '' });
  }
  return nodes;
}
