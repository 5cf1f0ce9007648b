/**
 * The message catalog: every finding meshctl can report, keyed by name. Codes, levels and
 * templates of IST messages are Istio 1.30.3's (pkg/config/analysis/msg/messages.yaml); MSH
 * messages are meshctl's own checks that Istio lacks. Codes are never reused.
 */

/** Severity of a finding. Error is the worst, Info the mildest (istioctl's order). */
export type Level = 'Error' | 'Warning' | 'Info';

/** All levels, worst first. */
export const LEVELS: readonly Level[] = ['Error', 'Warning', 'Info'];

/** Returns 0 for Error, 1 for Warning, 2 for Info: smaller is worse. */
export function levelRank(level: Level): number {
  return LEVELS.indexOf(level);
}

/**
 * Parses a level given on the command line, case-insensitively (`error`, `WARNING`, `Info`).
 * Returns undefined for anything else.
 */
export function parseLevel(text: string): Level | undefined {
  const lower = text.toLowerCase();
  return LEVELS.find((l) => l.toLowerCase() === lower);
}

/** One kind of finding. */
export interface MessageType {
  /** Catalog name, e.g. `PortNameIsNotUnderNamingConvention`. */
  name: string;
  /** `IST0118` or `MSH0001`. */
  code: string;
  level: Level;
  /** Go-style format: `%s` `%d` `%v` `%q` (see formatMessage). */
  template: string;
  /** One line for SARIF rule descriptions and `-L`. */
  summary: string;
}

const m = (name: string, code: string, level: Level, template: string, summary: string): MessageType =>
  ({ name, code, level, template, summary });

/** The catalog. Keys are the message names analyzers report by. */
export const MESSAGES = {
  Deprecated: m('Deprecated', 'IST0002', 'Warning',
    'Deprecated: %s', 'A deprecated setting or feature is in use.'),
  ReferencedResourceNotFound: m('ReferencedResourceNotFound', 'IST0101', 'Error',
    'Referenced %s not found: %q', 'A resource refers to a gateway, host, subset or workload that does not exist.'),
  NamespaceNotInjected: m('NamespaceNotInjected', 'IST0102', 'Info',
    "The namespace is not enabled for Istio injection. Run 'kubectl label namespace %s istio-injection=enabled' to enable it, or 'kubectl label namespace %s istio-injection=disabled' to explicitly mark it as not needing injection.",
    'A namespace carries no sidecar injection label.'),
  PodMissingProxy: m('PodMissingProxy', 'IST0103', 'Warning',
    'The pod %s is missing the Istio proxy. This can often be resolved by restarting or redeploying the workload.',
    'A pod in an injection-enabled namespace runs without the sidecar.'),
  SchemaValidationError: m('SchemaValidationError', 'IST0106', 'Error',
    'Schema validation error: %v', 'An Istio resource does not match its schema.'),
  MisplacedAnnotation: m('MisplacedAnnotation', 'IST0107', 'Warning',
    'Misplaced annotation: %s can only be applied to %s', 'An Istio annotation sits on a kind it does not apply to.'),
  UnknownAnnotation: m('UnknownAnnotation', 'IST0108', 'Warning',
    'Unknown annotation: %s', 'An annotation in an Istio domain that Istio does not define.'),
  ConflictingMeshGatewayVirtualServiceHosts: m('ConflictingMeshGatewayVirtualServiceHosts', 'IST0109', 'Error',
    'The VirtualServices %s associated with mesh gateway define the same host %s which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.',
    'Several VirtualServices bound to the mesh gateway define the same host.'),
  ConflictingSidecarWorkloadSelectors: m('ConflictingSidecarWorkloadSelectors', 'IST0110', 'Error',
    'The Sidecars %v in namespace %q select the same workload pod %q, which can lead to undefined behavior.',
    'Several Sidecars select the same pod.'),
  MultipleSidecarsWithoutWorkloadSelectors: m('MultipleSidecarsWithoutWorkloadSelectors', 'IST0111', 'Error',
    'The Sidecars %v in namespace %q have no workload selector, which can lead to undefined behavior.',
    'A namespace has more than one Sidecar without a workload selector.'),
  VirtualServiceDestinationPortSelectorRequired: m('VirtualServiceDestinationPortSelectorRequired', 'IST0112', 'Error',
    'This VirtualService routes to a service %q that exposes multiple ports %v. Specifying a port in the destination is required to disambiguate.',
    'A route destination names no port while its service has several.'),
  DeploymentAssociatedToMultipleServices: m('DeploymentAssociatedToMultipleServices', 'IST0116', 'Warning',
    'This deployment %s is associated with multiple services using port %d but different protocols: %v',
    'Services selecting one workload disagree on the protocol of a port.'),
  PortNameIsNotUnderNamingConvention: m('PortNameIsNotUnderNamingConvention', 'IST0118', 'Info',
    "Port name %s (port: %d, targetPort: %s) doesn't follow the naming convention of Istio port.",
    'A Service port name does not start with a protocol (http, grpc, tcp, ...) and sets no appProtocol.'),
  NamespaceMultipleInjectionLabels: m('NamespaceMultipleInjectionLabels', 'IST0123', 'Warning',
    'The namespace has more than one type of injection labels %v, which may lead to undefined behavior. Make sure only one injection label exists.',
    'A namespace carries both istio-injection and istio.io/rev.'),
  InvalidAnnotation: m('InvalidAnnotation', 'IST0125', 'Warning',
    'Invalid annotation %s: %s', 'An Istio annotation has a value Istio cannot use.'),
  UnknownMeshNetworksServiceRegistry: m('UnknownMeshNetworksServiceRegistry', 'IST0126', 'Error',
    'Unknown service registry %s in network %s', 'A mesh networks endpoint names a registry (cluster) the mesh does not know.'),
  NoMatchingWorkloadsFound: m('NoMatchingWorkloadsFound', 'IST0127', 'Warning',
    'No matching workloads for this resource with the following labels: %s',
    'A policy selects no workload in the mesh (or its namespace has none).'),
  NoServerCertificateVerificationDestinationLevel: m('NoServerCertificateVerificationDestinationLevel', 'IST0128', 'Warning',
    'DestinationRule %s in namespace %s has TLS mode set to %s but no caCertificates are set to validate server identity for host: %s',
    'A DestinationRule originates TLS (SIMPLE or MUTUAL) without CA certificates to verify the server.'),
  NoServerCertificateVerificationPortLevel: m('NoServerCertificateVerificationPortLevel', 'IST0129', 'Warning',
    'DestinationRule %s in namespace %s has TLS mode set to %s but no caCertificates are set to validate server identity for host: %s at port %s',
    'A DestinationRule port setting originates TLS without CA certificates to verify the server.'),
  VirtualServiceUnreachableRule: m('VirtualServiceUnreachableRule', 'IST0130', 'Warning',
    'VirtualService rule %v not used (%s).', 'An earlier route of the VirtualService already takes every request this route could match.'),
  VirtualServiceIneffectiveMatch: m('VirtualServiceIneffectiveMatch', 'IST0131', 'Info',
    'VirtualService rule %v match %v is not used (duplicate/overlapping match in rule %v).', 'A route match repeats, or is covered by, a match of an earlier route.'),
  VirtualServiceHostNotFoundInGateway: m('VirtualServiceHostNotFoundInGateway', 'IST0132', 'Warning',
    'one or more host %v defined in VirtualService %s not found in Gateway %s.',
    'A VirtualService host is not served by the Gateway it binds to.'),
  ServiceEntryAddressesRequired: m('ServiceEntryAddressesRequired', 'IST0134', 'Warning',
    'ServiceEntry addresses are required for this protocol.',
    'A ServiceEntry with a TCP (or unset) port protocol has no addresses and none are allocated.'),
  DeprecatedAnnotation: m('DeprecatedAnnotation', 'IST0135', 'Info',
    'Annotation %q has been deprecated%s and may not work in future Istio versions.', 'A deprecated Istio annotation is in use.'),
  AlphaAnnotation: m('AlphaAnnotation', 'IST0136', 'Info',
    'Annotation %q is part of an alpha-phase feature and may be incompletely supported.', 'An Istio annotation of an alpha-phase feature is in use.'),
  DeploymentConflictingPorts: m('DeploymentConflictingPorts', 'IST0137', 'Warning',
    'This deployment %s is associated with multiple services %v using targetPort %q but different ports: %v.',
    'Services selecting one workload map the same targetPort to different ports.'),
  GatewayDuplicateCertificate: m('GatewayDuplicateCertificate', 'IST0138', 'Warning',
    'Duplicate certificate in multiple gateways %v may cause 404s if clients re-use HTTP2 connections.',
    'Gateways on the same workloads serve the same certificate.'),
  InvalidWebhook: m('InvalidWebhook', 'IST0139', 'Error',
    '%v', 'A sidecar injection webhook overlaps another, or points at a control plane Service that does not exist.'),
  IngressRouteRulesNotAffected: m('IngressRouteRulesNotAffected', 'IST0140', 'Warning',
    'Subset in virtual service %s has no effect on ingress gateway %s requests', 'A route to a subset of a host that an ingress Gateway route addresses by Service name does not apply to the gateway\'s requests.'),
  InvalidApplicationUID: m('InvalidApplicationUID', 'IST0144', 'Warning',
    'User ID (UID) 1337 is reserved for the sidecar proxy.', 'A workload runs as UID 1337, which the sidecar uses.'),
  ConflictingGateways: m('ConflictingGateways', 'IST0145', 'Error',
    'Conflict with gateways %s (workload selector %s, port %s, hosts %v).',
    'Gateways on the same workload and port claim the same host.'),
  ImageAutoWithoutInjectionWarning: m('ImageAutoWithoutInjectionWarning', 'IST0146', 'Warning',
    '%s %s contains `image: auto` but does not match any Istio injection webhook selectors.',
    'A Deployment uses the `image: auto` placeholder but no Istio injection webhook selects it.'),
  ImageAutoWithoutInjectionError: m('ImageAutoWithoutInjectionError', 'IST0147', 'Error',
    '%s %s contains `image: auto` but does not match any Istio injection webhook selectors.',
    'A Pod runs with the `image: auto` placeholder, which injection never replaced.'),
  NamespaceInjectionEnabledByDefault: m('NamespaceInjectionEnabledByDefault', 'IST0148', 'Info',
    'is enabled for Istio injection, as Istio is installed with enableNamespacesByDefault as true.',
    'Injection applies to every namespace without a label.'),
  JwtClaimBasedRoutingWithoutRequestAuthN: m('JwtClaimBasedRoutingWithoutRequestAuthN', 'IST0149', 'Error',
    'The virtual service uses the JWT claim based routing (key: %s) but found no request authentication for the gateway (%s) pod (%s). The request authentication must first be applied for the gateway pods to validate the JWT token and make the claims available for routing.',
    'A VirtualService routes on JWT claims at a gateway whose pods no RequestAuthentication covers.'),
  ExternalNameServiceTypeInvalidPortName: m('ExternalNameServiceTypeInvalidPortName', 'IST0150', 'Warning',
    'Port name for ExternalName service is invalid. Proxy may prevent tcp named ports and unmatched traffic for ports serving TCP protocol from being forwarded correctly',
    'An ExternalName Service port has a name the proxy cannot route.'),
  EnvoyFilterUsesRelativeOperation: m('EnvoyFilterUsesRelativeOperation', 'IST0151', 'Warning',
    'This EnvoyFilter does not have a priority and has a relative patch operation set which can cause the EnvoyFilter not to be applied. Using the INSERT_FIRST of ADD option or setting the priority may help in ensuring the EnvoyFilter is applied correctly.',
    'An EnvoyFilter without priority uses a relative patch operation.'),
  EnvoyFilterUsesReplaceOperationIncorrectly: m('EnvoyFilterUsesReplaceOperationIncorrectly', 'IST0152', 'Error',
    'The REPLACE operation is only valid for HTTP_FILTER and NETWORK_FILTER.',
    'An EnvoyFilter patch uses REPLACE where it does not apply.'),
  EnvoyFilterUsesAddOperationIncorrectly: m('EnvoyFilterUsesAddOperationIncorrectly', 'IST0153', 'Error',
    'The ADD operation will be ignored when applyTo is set to ROUTE_CONFIGURATION, or HTTP_ROUTE.',
    'An EnvoyFilter patch uses ADD on a route configuration or HTTP route.'),
  EnvoyFilterUsesRemoveOperationIncorrectly: m('EnvoyFilterUsesRemoveOperationIncorrectly', 'IST0154', 'Error',
    'The REMOVE operation will be ignored when applyTo is set to ROUTE_CONFIGURATION, or HTTP_ROUTE.',
    'An EnvoyFilter patch uses REMOVE on a route configuration or HTTP route.'),
  EnvoyFilterUsesRelativeOperationWithProxyVersion: m('EnvoyFilterUsesRelativeOperationWithProxyVersion', 'IST0155', 'Warning',
    'This EnvoyFilter does not have a priority and has a relative patch operation (NSTERT_BEFORE/AFTER, REPLACE, MERGE, DELETE) and proxyVersion set which can cause the EnvoyFilter not to be applied during an upgrade. Using the INSERT_FIRST or ADD option or setting the priority may help in ensuring the EnvoyFilter is applied correctly.',
    'An EnvoyFilter without priority applies a relative patch to a filter that a proxyVersion-scoped patch also names.'),
  InvalidTelemetryProvider: m('InvalidTelemetryProvider', 'IST0157', 'Warning',
    'The Telemetry %v in namespace %q with empty providers will be ignored.',
    'A Telemetry access logging entry names no provider while the mesh config sets no default one.'),
  PodsIstioProxyImageMismatchInNamespace: m('PodsIstioProxyImageMismatchInNamespace', 'IST0158', 'Warning',
    'The Istio proxy images of the pods running in the namespace do not match the image defined in the injection configuration (pod names: %v). This often happens after upgrading the Istio control-plane and can be fixed by redeploying the pods.',
    'Pods of an injected namespace run a sidecar image other than the one injection now configures.'),
  ConflictingTelemetryWorkloadSelectors: m('ConflictingTelemetryWorkloadSelectors', 'IST0159', 'Error',
    'The Telemetries %v in namespace %q select the same workload pod %q, which can lead to undefined behavior.',
    'Several Telemetries select the same pod.'),
  MultipleTelemetriesWithoutWorkloadSelectors: m('MultipleTelemetriesWithoutWorkloadSelectors', 'IST0160', 'Error',
    'The Telemetries %v in namespace %q have no workload selector, which can lead to undefined behavior.',
    'A namespace has more than one Telemetry without a workload selector.'),
  InvalidGatewayCredential: m('InvalidGatewayCredential', 'IST0161', 'Error',
    'The credential referenced by the Gateway %s in namespace %s is invalid, which can cause the traffic not to work as expected.',
    'A Gateway credentialName names a Secret without a usable, currently valid certificate.'),
  GatewayPortNotDefinedOnService: m('GatewayPortNotDefinedOnService', 'IST0162', 'Warning',
    'The gateway is listening on a target port (port %d) that is not defined in the Service associated with its workload instances (Pod selector %s). If you need to access the gateway port through the gateway Service, it will not be available.',
    'A Gateway server port is not a target port of the gateway workload\'s Service.'),
  InvalidExternalControlPlaneConfig: m('InvalidExternalControlPlaneConfig', 'IST0163', 'Warning',
    'The hostname (%s) that was provided for the webhook (%s) to reach the ingress gateway on the external control plane cluster %s. Traffic may not flow properly.',
    'An Istio webhook has no usable URL or Service to reach an external control plane.'),
  ExternalControlPlaneAddressIsNotAHostname: m('ExternalControlPlaneAddressIsNotAHostname', 'IST0164', 'Info',
    'The address (%s) that was provided for the webhook (%s) to reach the ingress gateway on the external control plane cluster is an IP address. This is not recommended for a production environment.',
    'An Istio webhook reaches an external control plane by IP address rather than hostname.'),
  ReferencedInternalGateway: m('ReferencedInternalGateway', 'IST0165', 'Warning',
    'Gateway reference in VirtualService %s is to an implementation-generated internal Gateway: %s.', 'A VirtualService names a Gateway Istio generates for a Kubernetes Gateway.'),
  IneffectiveSelector: m('IneffectiveSelector', 'IST0166', 'Warning',
    'Ineffective selector on Kubernetes Gateway %s. Use the TargetRef field instead.',
    'A policy selects Kubernetes Gateway pods by label, which has no effect; targetRef attaches it.'),
  IneffectivePolicy: m('IneffectivePolicy', 'IST0167', 'Warning',
    'The policy has no impact: %s.', 'A policy applies to workloads that have no sidecar (ambient mode), so it does nothing.'),
  NegativeConditionStatus: m('NegativeConditionStatus', 'IST0171', 'Warning',
    'A condition with a negative status is present: type=%s, reason=%s, message=%s.', 'A resource\'s status holds a condition that reports a failure.'),
  DestinationRuleSubsetNotSelectPods: m('DestinationRuleSubsetNotSelectPods', 'IST0173', 'Error',
    'The Subset %s defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).',
    'A DestinationRule subset matches no workload.'),
  UnknownDestinationRuleHost: m('UnknownDestinationRuleHost', 'IST0174', 'Warning',
    'The host %s defined in the DestinationRule does not match any services in the mesh.',
    'A DestinationRule host is no known service.'),
  JwksUriFetchUnrestricted: m('JwksUriFetchUnrestricted', 'IST0175', 'Warning',
    'BLOCKED_CIDRS_IN_JWKS_URIS is not configured but %d RequestAuthentication resource(s) exist (%s). Consider configuring it to restrict JWKS URI fetches to trusted networks.',
    'RequestAuthentications exist while istiod may fetch JWKS URIs from any address.'),
  GatewayAPICRDVersionBelowMinimum: m('GatewayAPICRDVersionBelowMinimum', 'IST0176', 'Warning',
    'Gateway API CRD %q is at version %q but Istio requires at least %q; resources of this kind will not be processed. Upgrade the Gateway API CRDs to satisfy the minimum version.',
    'A Gateway API CRD is older than the bundle version Istio needs, so istiod ignores its resources.'),
  WorkloadMissingLabels: m('WorkloadMissingLabels', 'MSH0001', 'Info',
    '%s has no %s label (any of %s); %s.',
    'A workload pod template lacks an app (name) or version label.'),
  WorkloadDuplicateAppVersion: m('WorkloadDuplicateAppVersion', 'MSH0002', 'Warning',
    'Workloads %v in namespace %q share app %q and version %q; their telemetry is merged.',
    'Two workloads in one namespace carry the same app and version labels.'),
  ServicePortProtocolConflict: m('ServicePortProtocolConflict', 'MSH0003', 'Warning',
    'Services %v select the same pods and expose %s with different protocols: %s. A sidecar serves one protocol per port; give the ports the same protocol prefix (or appProtocol).',
    'Services selecting the same pods disagree on the application protocol of a port or targetPort.'),
  NamespaceRevisionNotFound: m('NamespaceRevisionNotFound', 'MSH0004', 'Warning',
    'The namespace label %s selects %q, which is neither a control plane revision nor a revision tag (revisions %v, tags %v): pods created in namespace %s start without a sidecar. Point it at one that exists: %s',
    'A namespace selects a control plane revision or revision tag that does not exist, so nothing injects its pods.'),
  PodRevisionMismatch: m('PodRevisionMismatch', 'MSH0005', 'Info',
    'The pod runs the sidecar of revision %q%s, but namespace %s selects revision %q (%s); restarting the workload moves it there: %s',
    'A pod runs the sidecar of a revision other than the one its namespace now selects.'),
} as const satisfies Record<string, MessageType>;

/** A catalog name. */
export type MessageName = keyof typeof MESSAGES;

/**
 * Every code Istio 1.30.3 defines, with its level (istio-1.30.3 messages.yaml). `-S` accepts these
 * and meshctl's own; an unknown code only warns, as istioctl does.
 */
export const ISTIO_CODES: ReadonlySet<string> = new Set([
  1, 2, 101, 102, 103, 106, 107, 108, 109, 110, 111, 112, 116, 118, 123, 125, 126, 127, 128, 129, 130, 131, 132,
  133, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144, 145, 146, 147, 148, 149, 150, 151, 152, 153, 154,
  155, 156, 157, 158, 159, 160, 161, 162, 163, 164, 165, 166, 167, 168, 169, 170, 171, 172, 173, 174, 175, 176,
].map((n) => `IST${String(n).padStart(4, '0')}`));

/** Returns true when `code` is an Istio 1.30.3 code or one of meshctl's. */
export function isKnownCode(code: string): boolean {
  return ISTIO_CODES.has(code) || Object.values(MESSAGES).some((t) => t.code === code);
}

/**
 * Returns the documentation URL of a code: Istio's analysis reference for IST codes (the URL
 * istioctl 1.30 prints), the canary upgrade page for meshctl's revision checks, the application
 * requirements page for meshctl's other checks.
 */
export function documentationUrl(code: string): string {
  if (code.startsWith('IST')) return `https://istio.io/v1.30/docs/reference/config/analysis/${code.toLowerCase()}/?ref=istioctl-analyze`;
  if (code === 'MSH0004' || code === 'MSH0005') return 'https://istio.io/v1.30/docs/setup/upgrade/canary/';
  return 'https://istio.io/v1.30/docs/ops/deployment/application-requirements/';
}

/**
 * Formats `template` with `args` the way Go's fmt does for the verbs Istio's templates use:
 * `%s` and `%v` print strings as they are and arrays as `[a b]`, `%d` prints numbers, `%q` prints
 * a double-quoted, escaped string, `%%` a percent sign. Missing arguments print `%!s(MISSING)`.
 */
export function formatMessage(template: string, args: readonly unknown[]): string {
  let i = 0;
  return template.replace(/%([%sdvq])/g, (_m, verb: string) => {
    if (verb === '%') return '%';
    if (i >= args.length) return `%!${verb}(MISSING)`;
    const arg = args[i++];
    return verb === 'q' ? goQuote(arg) : goValue(arg);
  });
}

function goValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'object') {
    return `map[${Object.keys(v).sort().map((k) => `${k}:${goValue((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  }
  return String(v);
}

function goQuote(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goQuote).join(' ')}]`;
  return JSON.stringify(typeof v === 'string' ? v : goValue(v));
}
