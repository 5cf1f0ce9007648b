/**
 * The workload kinds kube-inject handles and where each keeps its pod template. Kinds, exact
 * group/versions and the CronJob special case follow istioctl 1.30 (pkg/kube/inject/initializer.go
 * and IntoObject): other versions of the same kinds (`batch/v1beta1`, `extensions/v1beta1`) are
 * passed through untouched, as istioctl does.
 */

/** A path into a Kubernetes object. */
export type ObjectPath = readonly string[];

/** Where a workload kind keeps the metadata and spec injection edits. */
export interface WorkloadKind {
  apiVersion: string;
  kind: string;
  /** The metadata injection reads and labels/annotates. */
  podMeta: ObjectPath;
  /** The pod spec containers, volumes and init containers are added to. */
  podSpec: ObjectPath;
}

const template = (apiVersion: string, kind: string): WorkloadKind => ({
  apiVersion,
  kind,
  podMeta: ['spec', 'template', 'metadata'],
  podSpec: ['spec', 'template', 'spec'],
});

/**
 * Registered kinds. For a CronJob istioctl labels and annotates the job template's metadata
 * (`spec.jobTemplate.metadata`), not the pod template's; meshctl keeps that so its output matches.
 */
export const WORKLOAD_KINDS: readonly WorkloadKind[] = [
  { apiVersion: 'v1', kind: 'Pod', podMeta: ['metadata'], podSpec: ['spec'] },
  template('v1', 'ReplicationController'),
  template('apps/v1', 'Deployment'),
  template('apps/v1', 'DaemonSet'),
  template('apps/v1', 'ReplicaSet'),
  template('apps/v1', 'StatefulSet'),
  template('batch/v1', 'Job'),
  { apiVersion: 'batch/v1', kind: 'CronJob', podMeta: ['spec', 'jobTemplate', 'metadata'], podSpec: ['spec', 'jobTemplate', 'spec', 'template', 'spec'] },
  template('apps.openshift.io/v1', 'DeploymentConfig'),
];

/** Returns the registered kind for an object's apiVersion and kind, or undefined. */
export function workloadKind(apiVersion: unknown, kind: unknown): WorkloadKind | undefined {
  return WORKLOAD_KINDS.find((k) => k.apiVersion === apiVersion && k.kind === kind);
}

/** Namespaces injection never touches (istioctl's IgnoredNamespaces). */
export const IGNORED_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage'];

/**
 * Containers of other meshes' proxies: a pod that has one is refused rather than given a second
 * proxy that would fight over the pod's traffic. Data, not code: add a mesh by adding a row.
 */
export const FOREIGN_PROXIES: readonly { container: string; mesh: string; remedy: string }[] = [
  { container: 'linkerd-proxy', mesh: 'Linkerd', remedy: 'linkerd uninject' },
  { container: 'linkerd-init', mesh: 'Linkerd', remedy: 'linkerd uninject' },
  { container: 'kuma-sidecar', mesh: 'Kuma', remedy: 'remove the kuma-sidecar container' },
  { container: 'kuma-init', mesh: 'Kuma', remedy: 'remove the kuma-init container' },
  { container: 'consul-dataplane', mesh: 'Consul', remedy: 'remove the consul-dataplane container' },
  { container: 'envoy-sidecar', mesh: 'Consul', remedy: 'remove the envoy-sidecar container' },
  { container: 'consul-connect-inject-init', mesh: 'Consul', remedy: 'remove the consul-connect-inject-init container' },
];
