/**
 * The kinds analysis knows: which are cluster-scoped and where workload kinds keep their pod
 * template. Documents of other kinds are read (validate checks them) but no analyzer sees them,
 * as istioctl skips unknown kinds.
 */
import type { KindKey, ObjectPath } from './resource.js';

/** Kind keys analyzers declare as inputs (see resource.ts for the `Kind.group` form). */
export const K = {
  Namespace: 'Namespace',
  Service: 'Service',
  Pod: 'Pod',
  Node: 'Node',
  ConfigMap: 'ConfigMap',
  Secret: 'Secret',
  ServiceAccount: 'ServiceAccount',
  ReplicationController: 'ReplicationController',
  Deployment: 'Deployment.apps',
  StatefulSet: 'StatefulSet.apps',
  DaemonSet: 'DaemonSet.apps',
  ReplicaSet: 'ReplicaSet.apps',
  Job: 'Job.batch',
  CronJob: 'CronJob.batch',
  MutatingWebhookConfiguration: 'MutatingWebhookConfiguration.admissionregistration.k8s.io',
  ValidatingWebhookConfiguration: 'ValidatingWebhookConfiguration.admissionregistration.k8s.io',
  CustomResourceDefinition: 'CustomResourceDefinition.apiextensions.k8s.io',
  Gateway: 'Gateway.networking.istio.io',
  VirtualService: 'VirtualService.networking.istio.io',
  DestinationRule: 'DestinationRule.networking.istio.io',
  ServiceEntry: 'ServiceEntry.networking.istio.io',
  Sidecar: 'Sidecar.networking.istio.io',
  WorkloadEntry: 'WorkloadEntry.networking.istio.io',
  WorkloadGroup: 'WorkloadGroup.networking.istio.io',
  EnvoyFilter: 'EnvoyFilter.networking.istio.io',
  ProxyConfig: 'ProxyConfig.networking.istio.io',
  AuthorizationPolicy: 'AuthorizationPolicy.security.istio.io',
  PeerAuthentication: 'PeerAuthentication.security.istio.io',
  RequestAuthentication: 'RequestAuthentication.security.istio.io',
  Telemetry: 'Telemetry.telemetry.istio.io',
  WasmPlugin: 'WasmPlugin.extensions.istio.io',
  TrafficExtension: 'TrafficExtension.extensions.istio.io',
  KubernetesGateway: 'Gateway.gateway.networking.k8s.io',
  HTTPRoute: 'HTTPRoute.gateway.networking.k8s.io',
  GRPCRoute: 'GRPCRoute.gateway.networking.k8s.io',
  GatewayClass: 'GatewayClass.gateway.networking.k8s.io',
} as const satisfies Record<string, KindKey>;

/** Kinds without a namespace. Everything else known is namespaced. */
const CLUSTER_SCOPED: ReadonlySet<KindKey> = new Set([
  K.Namespace, 'Node', K.MutatingWebhookConfiguration,
  'ValidatingWebhookConfiguration.admissionregistration.k8s.io',
  'CustomResourceDefinition.apiextensions.k8s.io', 'ClusterRole.rbac.authorization.k8s.io',
  'ClusterRoleBinding.rbac.authorization.k8s.io', K.GatewayClass, 'PersistentVolume', 'StorageClass.storage.k8s.io',
  'PriorityClass.scheduling.k8s.io', 'IngressClass.networking.k8s.io',
]);

/** Returns true for kinds that have no namespace. */
export function isClusterScoped(key: KindKey): boolean {
  return CLUSTER_SCOPED.has(key);
}

/** Every kind any analyzer may read. Other kinds are skipped by the file source. */
export const ANALYZED_KINDS: ReadonlySet<KindKey> = new Set(Object.values(K));

/**
 * Where each workload kind keeps its pod template: the path of the object holding the pod's
 * `metadata` and `spec`. A Pod is its own template.
 */
export const POD_TEMPLATE_PATHS: ReadonlyMap<KindKey, ObjectPath> = new Map<KindKey, ObjectPath>([
  [K.Pod, []],
  [K.ReplicationController, ['spec', 'template']],
  [K.Deployment, ['spec', 'template']],
  [K.StatefulSet, ['spec', 'template']],
  [K.DaemonSet, ['spec', 'template']],
  [K.ReplicaSet, ['spec', 'template']],
  [K.Job, ['spec', 'template']],
  [K.CronJob, ['spec', 'jobTemplate', 'spec', 'template']],
]);

/** Workload kinds other than Pod, whose pod templates stand in for pods in file mode. */
export const TEMPLATE_KINDS: readonly KindKey[] = [...POD_TEMPLATE_PATHS.keys()].filter((k) => k !== K.Pod);

/** The inputs an analyzer declares to read workloads (pods and the templates standing in for them). */
export const WORKLOAD_INPUTS: readonly KindKey[] = [K.Pod, ...TEMPLATE_KINDS];
