/**
 * RBAC rule tables of the istiod and reader ClusterRoles, as data (per Istio 1.30.3
 * istio-discovery templates clusterrole.yaml and reader-clusterrole.yaml, default values).
 */
import type { JsonObject } from '../../manifest/objects.js';

/** One PolicyRule. */
export interface Rule extends JsonObject {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const ALL_VERBS = ['get', 'watch', 'list', 'update', 'patch', 'create', 'delete'];
const READ = ['get', 'list', 'watch'];
const ISTIO_GROUPS = ['config.istio.io', 'security.istio.io', 'networking.istio.io', 'authentication.istio.io', 'rbac.istio.io', 'telemetry.istio.io', 'extensions.istio.io'];
const ISTIO_STATUS_KINDS = ['authorizationpolicies', 'destinationrules', 'envoyfilters', 'gateways', 'peerauthentications', 'proxyconfigs',
  'requestauthentications', 'serviceentries', 'sidecars', 'telemetries', 'virtualservices', 'wasmplugins', 'workloadentries', 'workloadgroups'];

const r = (apiGroups: string[], resources: string[], verbs: string[]): Rule => ({ apiGroups, resources, verbs });

/** Switches that add conditional rules to the istiod ClusterRole. */
export interface IstiodRoleOptions {
  enableAnalysis: boolean;
  taint: boolean;
  /** CSR signing rules (external CA or a non-istiod cert provider); `signers` are the resourceNames. */
  certSigners: string[] | null;
  clusterTrustBundle: boolean;
  mcsApiGroup: string;
}

/** Returns the rules of `istiod-clusterrole-<ns>`. */
export function istiodClusterRules(o: IstiodRoleOptions): Rule[] {
  const rules: Rule[] = [
    r(['admissionregistration.k8s.io'], ['mutatingwebhookconfigurations'], ['get', 'list', 'watch', 'update', 'patch']),
    r(['admissionregistration.k8s.io'], ['validatingwebhookconfigurations'], ['get', 'list', 'watch', 'update']),
    r(ISTIO_GROUPS, ['*'], ['get', 'watch', 'list']),
  ];
  if (o.enableAnalysis) rules.push(r(['networking.istio.io', 'security.istio.io', 'telemetry.istio.io', 'extensions.istio.io'], ISTIO_STATUS_KINDS.map((k) => `${k}/status`), ['update', 'patch']));
  rules.push(
    r(['networking.istio.io'], ['workloadentries'], ALL_VERBS),
    r(['networking.istio.io'], ['workloadentries/status', 'serviceentries/status'], ALL_VERBS),
    r(['security.istio.io'], ['authorizationpolicies/status'], ALL_VERBS),
    r([''], ['services/status'], ALL_VERBS),
    r(['apiextensions.k8s.io'], ['customresourcedefinitions'], READ),
    r([''], ['pods', 'nodes', 'services', 'namespaces', 'endpoints'], READ),
    r(['discovery.k8s.io'], ['endpointslices'], READ),
  );
  if (o.enableAnalysis) rules.push(r(['extensions', 'networking.k8s.io'], ['ingresses'], READ), r(['extensions', 'networking.k8s.io'], ['ingresses/status'], ['*']));
  rules.push(
    r(['networking.k8s.io'], ['ingresses', 'ingressclasses'], READ),
    r(['networking.k8s.io'], ['ingresses/status'], ['*']),
    r([''], ['configmaps'], ['create', 'get', 'list', 'watch', 'update']),
  );
  if (o.certSigners) {
    rules.push(
      r(['certificates.k8s.io'], ['certificatesigningrequests', 'certificatesigningrequests/approval', 'certificatesigningrequests/status'], ['update', 'create', 'get', 'delete', 'watch']),
      { apiGroups: ['certificates.k8s.io'], resources: ['signers'], resourceNames: o.certSigners, verbs: ['approve'] },
    );
  }
  if (o.clusterTrustBundle) {
    rules.push(
      r(['certificates.k8s.io'], ['clustertrustbundles'], ['update', 'create', 'delete', 'list', 'watch', 'get']),
      { apiGroups: ['certificates.k8s.io'], resources: ['signers'], resourceNames: ['istio.io/istiod-ca'], verbs: ['attest'] },
    );
  }
  rules.push(
    r(['authentication.k8s.io'], ['tokenreviews'], ['create']),
    r(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
    r(['gateway.networking.k8s.io', 'gateway.networking.x-k8s.io'], ['*'], ['get', 'watch', 'list']),
    r(['gateway.networking.x-k8s.io'], ['xbackendtrafficpolicies/status'], ['update', 'patch']),
    r(['gateway.networking.k8s.io'], ['backendtlspolicies/status', 'gatewayclasses/status', 'gateways/status', 'grpcroutes/status', 'httproutes/status',
      'referencegrants/status', 'tcproutes/status', 'tlsroutes/status', 'udproutes/status', 'listenersets/status'], ['update', 'patch']),
    r(['gateway.networking.k8s.io'], ['gatewayclasses'], ['create', 'update', 'patch', 'delete']),
    r(['inference.networking.k8s.io'], ['inferencepools'], ['get', 'watch', 'list']),
    r(['inference.networking.k8s.io'], ['inferencepools/status'], ['update', 'patch']),
    r([''], ['secrets'], ['get', 'watch', 'list']),
    r([o.mcsApiGroup], ['serviceexports'], ['get', 'watch', 'list', 'create', 'delete']),
    r([o.mcsApiGroup], ['serviceimports'], ['get', 'watch', 'list']),
  );
  if (o.taint) rules.push(r([''], ['nodes'], ['patch']));
  return rules;
}

/** Returns the rules of `istiod-gateway-controller-<ns>` (deploys Gateway API gateways). */
export function gatewayControllerRules(): Rule[] {
  return [
    r(['apps'], ['deployments'], ALL_VERBS),
    r(['autoscaling'], ['horizontalpodautoscalers'], ALL_VERBS),
    r(['policy'], ['poddisruptionbudgets'], ALL_VERBS),
    r([''], ['services'], ALL_VERBS),
    r([''], ['serviceaccounts'], ALL_VERBS),
  ];
}

/** Returns the rules of `istio-reader-clusterrole-<ns>`; a remote cluster's reader also manages webhooks and config maps. */
export function readerClusterRules(remote: boolean, mcsApiGroup: string): Rule[] {
  const rules: Rule[] = [
    r(ISTIO_GROUPS, ['*'], READ),
    r([''], ['endpoints', 'pods', 'services', 'nodes', 'replicationcontrollers', 'namespaces', 'secrets', 'configmaps'], READ),
    r(['networking.istio.io'], ['workloadentries'], ['get', 'watch', 'list']),
    r(['networking.x-k8s.io', 'gateway.networking.k8s.io'], ['gateways'], ['get', 'watch', 'list']),
    r(['apiextensions.k8s.io'], ['customresourcedefinitions'], READ),
    r(['discovery.k8s.io'], ['endpointslices'], READ),
    r([mcsApiGroup], ['serviceexports'], ['get', 'list', 'watch', 'create', 'delete']),
    r([mcsApiGroup], ['serviceimports'], READ),
    r(['apps'], ['replicasets'], READ),
    r(['authentication.k8s.io'], ['tokenreviews'], ['create']),
    r(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
  ];
  if (remote) {
    rules.push(
      r([''], ['configmaps'], ['create', 'get', 'list', 'watch', 'update']),
      r(['admissionregistration.k8s.io'], ['mutatingwebhookconfigurations'], ['get', 'list', 'watch', 'update', 'patch']),
      r(['admissionregistration.k8s.io'], ['validatingwebhookconfigurations'], ['get', 'list', 'watch', 'update']),
    );
  }
  return rules;
}

/** Returns the rules of the `istiod` Role in the install namespace. */
export function istiodNamespaceRules(): Rule[] {
  return [
    r(['networking.istio.io'], ['gateways'], ['create']),
    r([''], ['secrets'], ['create', 'get', 'watch', 'list', 'update', 'delete']),
    r([''], ['configmaps'], ['delete']),
    r(['coordination.k8s.io'], ['leases'], ['get', 'update', 'patch', 'create']),
  ];
}
