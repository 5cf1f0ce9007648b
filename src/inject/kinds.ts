/**
 * The workload kinds kube-inject handles and where each keeps its pod template. Kinds and the
 * CronJob special case follow istioctl 1.30 (pkg/kube/inject/initializer.go and IntoObject).
 * istioctl registers each kind as unversioned, so its decoder takes a document by its `kind`
 * alone: `extensions/v1beta1` Deployments, `batch/v1beta1` CronJobs and `v1` DeploymentConfigs
 * are injected like the current versions, and keep the apiVersion they came with.
 */

/** A path into a Kubernetes object. */
export type ObjectPath = readonly string[];

/** Where a workload kind keeps the metadata and spec injection edits. */
export interface WorkloadKind {
  /** The group/version istioctl registers the kind under (a document may carry another). */
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

/**
 * Returns the registered kind of an object, or undefined. Only `kind` decides, whatever the
 * apiVersion (see the module comment); kinds are case-sensitive, as in Kubernetes.
 */
export function workloadKind(kind: unknown): WorkloadKind | undefined {
  return WORKLOAD_KINDS.find((k) => k.kind === kind);
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

/** The workload a pod is taken to belong to: its name and namespace, and the type that names it. */
export interface PodOwner {
  name: string;
  namespace: string;
  apiVersion: string;
  kind: string;
}

/** A Job name ending in a CronJob's schedule suffix: `-` and 8 to 10 digits (istiod's pattern). */
const CRONJOB_JOB_NAME = /^(.+)-\d{8,10}$/;

/**
 * Returns the workload a Pod belongs to, judged from the Pod alone as istiod does for
 * ISTIO_META_WORKLOAD_NAME and ISTIO_META_OWNER (pkg/kube GetDeployMetaFromPod, Istio 1.30.3).
 * A Pod with a `generateName` and a controller owner reference belongs to that controller, with
 * these refinements: a ReplicaSet whose name ends in the pod's `pod-template-hash` label is its
 * Deployment; one ending in `rollouts-pod-template-hash` is an Argo Rollout (apiVersion
 * `v1alpha1`); a ReplicationController of a pod labelled `deploymentconfig` is that
 * DeploymentConfig; a Job named `<name>-<8 to 10 digits>` is CronJob `<name>` (`batch/v1`).
 * Otherwise the Pod is its own workload (`v1` Pod). `meta` is the Pod's metadata as JSON.
 */
export function podOwner(meta: Record<string, unknown>): PodOwner {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const podName = str(meta.name);
  const labels = (typeof meta.labels === 'object' && meta.labels !== null ? meta.labels : {}) as Record<string, unknown>;
  const owner: PodOwner = { name: podName, namespace: str(meta.namespace), apiVersion: 'v1', kind: 'Pod' };
  const refs = Array.isArray(meta.ownerReferences) ? meta.ownerReferences : [];
  const controller = str(meta.generateName) === '' ? undefined
    : refs.find((r): r is Record<string, unknown> => typeof r === 'object' && r !== null && (r as Record<string, unknown>).controller === true);
  if (controller) {
    const refName = str(controller.name);
    owner.apiVersion = str(controller.apiVersion);
    owner.kind = str(controller.kind);
    owner.name = refName;
    const hash = str(labels['pod-template-hash']);
    const rolloutHash = str(labels['rollouts-pod-template-hash']);
    if (owner.kind === 'ReplicaSet' && hash !== '' && refName.endsWith(hash)) {
      owner.name = refName.endsWith(`-${hash}`) ? refName.slice(0, -(hash.length + 1)) : refName;
      owner.kind = 'Deployment';
    } else if (owner.kind === 'ReplicaSet' && rolloutHash !== '' && refName.endsWith(rolloutHash)) {
      owner.name = refName.endsWith(`-${rolloutHash}`) ? refName.slice(0, -(rolloutHash.length + 1)) : refName;
      owner.kind = 'Rollout';
      owner.apiVersion = 'v1alpha1';
    } else if (owner.kind === 'ReplicationController' && str(labels.deploymentconfig) !== '') {
      owner.name = str(labels.deploymentconfig);
      owner.kind = 'DeploymentConfig';
    } else if (owner.kind === 'Job') {
      const m = CRONJOB_JOB_NAME.exec(refName);
      if (m) {
        owner.name = m[1]!;
        owner.kind = 'CronJob';
        owner.apiVersion = 'batch/v1';
      }
    }
  }
  if (owner.name === '') owner.name = podName;
  return owner;
}
