/**
 * The registry: every analyzer, sorted by name. Adding an analyzer means adding its file under
 * analyzers/ and one line here; the meta-tests in test/analyze check names, descriptions, inputs
 * and messages.
 */
import type { Analyzer } from './analyzer.js';
import { portNameAnalyzer } from './analyzers/port-name.js';
import { schemaAnalyzers } from './analyzers/schema-validation.js';
import { workloadLabelsAnalyzer } from './analyzers/workload-labels.js';
import { annotationsK8sAnalyzer } from './analyzers/annotations-k8s.js';
import { annotationsAlphaAnalyzer } from './analyzers/annotations-alpha.js';
import { conditionAnalyzer } from './analyzers/conditions.js';
import { deprecationAnalyzer } from './analyzers/deprecation.js';
import { meshNetworksAnalyzer } from './analyzers/meshnetworks.js';
import { webhookAnalyzer } from './analyzers/webhook.js';
import { applicationUidAnalyzer } from './analyzers/application-uid.js';
import { deploymentMultiServiceAnalyzer } from './analyzers/deployment-multi-service.js';
import { injectionAnalyzer } from './analyzers/injection-status.js';
import { namespaceRevisionAnalyzer } from './analyzers/injection-revision-namespace.js';
import { podRevisionAnalyzer } from './analyzers/injection-revision-pod.js';
import { conflictingGatewayAnalyzer } from './analyzers/gateway-conflicting.js';
import { ingressGatewayPortAnalyzer } from './analyzers/gateway-ingress-port.js';
import { sidecarSelectorAnalyzer } from './analyzers/sidecar-selector.js';
import { subsetSelectPodAnalyzer } from './analyzers/destinationrule-subset-select-pod.js';
import { conflictingMeshGatewayHostsAnalyzer } from './analyzers/virtualservice-conflicting-mesh-gateway-hosts.js';
import { virtualServiceDestinationHostAnalyzer } from './analyzers/virtualservice-destination-host.js';
import { virtualServiceDestinationRuleAnalyzer } from './analyzers/virtualservice-destination-rule.js';
import { virtualServiceGatewayAnalyzer } from './analyzers/virtualservice-gateway.js';
import { injectionImageAnalyzer } from './analyzers/injection-image.js';
import { injectionImageAutoAnalyzer } from './analyzers/injection-image-auto.js';
import { externalControlPlaneAnalyzer } from './analyzers/externalcontrolplane.js';
import { gatewayApiCrdVersionAnalyzer } from './analyzers/k8sgateway-crd-version.js';
import { kubernetesGatewaySelectorAnalyzer } from './analyzers/k8sgateway-selector.js';
import { telemetryDefaultSelectorAnalyzer } from './analyzers/telemetry-default-selector.js';
import { telemetryLightstepAnalyzer } from './analyzers/telemetry-lightstep.js';
import { telemetryProviderAnalyzer } from './analyzers/telemetry-provider.js';
import { telemetrySelectorAnalyzer } from './analyzers/telemetry-selector.js';
import { servicePortProtocolAnalyzer } from './analyzers/service-port-protocol.js';
import { authorizationPoliciesAnalyzer } from './analyzers/auth-authorization-policies.js';
import { blockedCidrsAnalyzer } from './analyzers/authn-blocked-cidrs.js';
import { caCertificateAnalyzer } from './analyzers/destinationrule-ca-certificate.js';
import { envoyPatchAnalyzer } from './analyzers/envoyfilter-patch.js';
import { gatewayCertificateAnalyzer } from './analyzers/gateway-certificate.js';
import { gatewaySecretAnalyzer } from './analyzers/gateway-secret.js';
import { serviceEntryAddressesAnalyzer } from './analyzers/serviceentry-addresses.js';
import { jwtClaimRouteAnalyzer } from './analyzers/virtualservice-jwt-claim-route.js';

/** All analyzers, sorted by name. */
export const ANALYZERS: readonly Analyzer[] = [
  portNameAnalyzer,
  workloadLabelsAnalyzer,
  annotationsK8sAnalyzer,
  annotationsAlphaAnalyzer,
  conditionAnalyzer,
  deprecationAnalyzer,
  meshNetworksAnalyzer,
  webhookAnalyzer,
  applicationUidAnalyzer,
  deploymentMultiServiceAnalyzer,
  injectionAnalyzer,
  namespaceRevisionAnalyzer,
  podRevisionAnalyzer,
  conflictingGatewayAnalyzer,
  ingressGatewayPortAnalyzer,
  sidecarSelectorAnalyzer,
  subsetSelectPodAnalyzer,
  conflictingMeshGatewayHostsAnalyzer,
  virtualServiceDestinationHostAnalyzer,
  virtualServiceDestinationRuleAnalyzer,
  virtualServiceGatewayAnalyzer,
  injectionImageAnalyzer,
  injectionImageAutoAnalyzer,
  externalControlPlaneAnalyzer,
  gatewayApiCrdVersionAnalyzer,
  kubernetesGatewaySelectorAnalyzer,
  telemetryDefaultSelectorAnalyzer,
  telemetryLightstepAnalyzer,
  telemetryProviderAnalyzer,
  telemetrySelectorAnalyzer,
  servicePortProtocolAnalyzer,
  authorizationPoliciesAnalyzer,
  blockedCidrsAnalyzer,
  caCertificateAnalyzer,
  envoyPatchAnalyzer,
  gatewayCertificateAnalyzer,
  gatewaySecretAnalyzer,
  serviceEntryAddressesAnalyzer,
  jwtClaimRouteAnalyzer,
  ...schemaAnalyzers,
].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/**
 * Returns the analyzers whose names are given (`--analyzer`), all but the opt-in ones when `names` is empty. A name
 * matches exactly or as a prefix ending at a dot (`schema.ValidationAnalyzer` selects every
 * `schema.ValidationAnalyzer.<Kind>`). Returns the names that matched nothing separately.
 */
export function selectAnalyzers(names: readonly string[]): { analyzers: Analyzer[]; unknown: string[] } {
  if (names.length === 0) return { analyzers: ANALYZERS.filter((a) => !a.optIn), unknown: [] };
  // An opt-in analyzer runs only when named in full.
  const matches = (a: Analyzer, n: string): boolean => a.name === n || (!a.optIn && a.name.startsWith(`${n}.`));
  const unknown = names.filter((n) => !ANALYZERS.some((a) => matches(a, n)));
  return { analyzers: ANALYZERS.filter((a) => names.some((n) => matches(a, n))), unknown };
}
