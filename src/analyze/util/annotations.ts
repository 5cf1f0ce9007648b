/**
 * Istio's annotation vocabulary as data: every annotation Istio 1.30.3 defines, the kinds it may
 * be placed on, its feature status and whether it is deprecated. Source: istio/api
 * `annotation.AllResourceAnnotations()` at the api version Istio 1.30.3 pins (`2e43f07b`, 67
 * entries), as surveyed in reference/istio-1.30.3-delta.md §1.5. annotations.K8sAnalyzer reads it
 * for IST0107/0108/0135, annotations.AlphaAnalyzer reads `status` for IST0136.
 */

/** The resource types istio/api names as an annotation's target (`Any` places it anywhere). */
export type AnnotationTarget =
  | 'Any' | 'AuthorizationPolicy' | 'Gateway' | 'GatewayClass' | 'Ingress' | 'Namespace' | 'Pod' | 'Service'
  | 'ServiceEntry' | 'WorkloadEntry';

/** Maturity of an annotation; undefined where istio/api gives none. */
export type FeatureStatus = 'Alpha' | 'Beta' | 'Stable';

/** One annotation Istio defines. */
export interface AnnotationDefinition {
  name: string;
  /** Kinds it attaches to, in istio/api's order (IST0107 lists them joined by `, `). */
  targets: readonly AnnotationTarget[];
  status?: FeatureStatus;
  deprecated: boolean;
}

/**
 * Builds the definitions of one target group from compact rows: `name [Alpha|Beta|Stable|none]
 * [deprecated]`, Alpha when no status is written, `none` where istio/api leaves it unset.
 */
function on(targets: readonly AnnotationTarget[], ...rows: string[]): AnnotationDefinition[] {
  return rows.map((row) => {
    const [name, ...flags] = row.split(' ');
    const given = flags.find((f) => f !== 'deprecated');
    const status: FeatureStatus | undefined = given === 'none' ? undefined : (given as FeatureStatus | undefined) ?? 'Alpha';
    const def: AnnotationDefinition = { name: name!, targets, deprecated: flags.includes('deprecated') };
    if (status) def.status = status;
    return def;
  });
}

/** The 67 annotations, grouped by the kinds they attach to. */
export const ISTIO_ANNOTATIONS: readonly AnnotationDefinition[] = [
  ...on(['Service'],
    'alpha.istio.io/canonical-serviceaccounts deprecated',
    'alpha.istio.io/kubernetes-serviceaccounts deprecated',
    'networking.istio.io/exportTo',
    'traffic.istio.io/nodeSelector Stable'),
  ...on(['Service', 'Namespace', 'ServiceEntry'],
    'networking.istio.io/traffic-distribution'),
  ...on(['Pod'],
    'ambient.istio.io/bypass-inbound-capture',
    'ambient.istio.io/dns-capture',
    'ambient.istio.io/redirection Beta',
    'inject.istio.io/templates',
    'istio.io/reroute-virtual-interfaces',
    'istio.io/rev',
    'prometheus.istio.io/merge-metrics',
    'proxy.istio.io/config Beta',
    'proxy.istio.io/overrides',
    'readiness.status.sidecar.istio.io/applicationPorts',
    'readiness.status.sidecar.istio.io/failureThreshold',
    'readiness.status.sidecar.istio.io/initialDelaySeconds',
    'readiness.status.sidecar.istio.io/periodSeconds',
    'sidecar.istio.io/agentLogLevel',
    'sidecar.istio.io/bootstrapOverride',
    'sidecar.istio.io/componentLogLevel',
    'sidecar.istio.io/discoveryAddress deprecated',
    'sidecar.istio.io/extraStatTags deprecated',
    'sidecar.istio.io/inject Beta deprecated',
    'sidecar.istio.io/interceptionMode',
    'sidecar.istio.io/logLevel',
    'sidecar.istio.io/nativeSidecar',
    'sidecar.istio.io/proxyCPU',
    'sidecar.istio.io/proxyCPULimit',
    'sidecar.istio.io/proxyImage',
    'sidecar.istio.io/proxyImageType',
    'sidecar.istio.io/proxyMemory',
    'sidecar.istio.io/proxyMemoryLimit',
    'sidecar.istio.io/rewriteAppHTTPProbers',
    'sidecar.istio.io/statsCompression deprecated',
    'sidecar.istio.io/statsEvictionInterval',
    'sidecar.istio.io/statsFlushInterval',
    'sidecar.istio.io/statsHistogramBins',
    'sidecar.istio.io/statsHistogramBuckets',
    'sidecar.istio.io/statsInclusionPrefixes deprecated',
    'sidecar.istio.io/statsInclusionRegexps deprecated',
    'sidecar.istio.io/statsInclusionSuffixes deprecated',
    'sidecar.istio.io/status',
    'sidecar.istio.io/userVolume',
    'sidecar.istio.io/userVolumeMount',
    'status.sidecar.istio.io/port',
    'traffic.sidecar.istio.io/excludeInboundPorts',
    'traffic.sidecar.istio.io/excludeInterfaces',
    'traffic.sidecar.istio.io/excludeOutboundIPRanges',
    'traffic.sidecar.istio.io/excludeOutboundPorts',
    'traffic.sidecar.istio.io/includeInboundPorts',
    'traffic.sidecar.istio.io/includeOutboundIPRanges',
    'traffic.sidecar.istio.io/includeOutboundPorts',
    'traffic.sidecar.istio.io/kubevirtInterfaces deprecated'),
  ...on(['Namespace'],
    'topology.istio.io/controlPlaneClusters'),
  ...on(['WorkloadEntry'],
    'istio.io/autoRegistrationGroup',
    'istio.io/connectedAt',
    'istio.io/disconnectedAt',
    'istio.io/workloadController'),
  ...on(['AuthorizationPolicy'],
    'istio.io/dry-run'),
  ...on(['Gateway'],
    'gateway.istio.io/name-override',
    'gateway.istio.io/service-account',
    'networking.istio.io/service-type'),
  ...on(['Gateway', 'GatewayClass'],
    'ambient.istio.io/waypoint-inbound-binding'),
  ...on(['Ingress'],
    'kubernetes.io/ingress.class Stable'),
  ...on(['Any'],
    'galley.istio.io/analyze-suppress',
    'gateway.istio.io/controller-version'),
];

const BY_NAME: ReadonlyMap<string, AnnotationDefinition> = new Map(ISTIO_ANNOTATIONS.map((a) => [a.name, a]));

/** Returns the definition of an annotation Istio defines, or undefined. */
export function lookupAnnotation(name: string): AnnotationDefinition | undefined {
  return BY_NAME.get(name);
}

/**
 * Annotations set by Istio itself (the injector's status, the gateway controller's version, the
 * revision tag), never reported however they are placed (Istio 1.30.3
 * `maturity.AlwaysIgnoredAnnotations`, which K8sAnalyzer also honours).
 */
export const ALWAYS_IGNORED_ANNOTATIONS: ReadonlySet<string> = new Set([
  'sidecar.istio.io/status', 'gateway.istio.io/controller-version', 'istio.io/rev',
]);

/** Text IST0135 inserts after "has been deprecated" for annotations that have a replacement. */
export const DEPRECATION_NOTES: Readonly<Record<string, string>> = {
  'sidecar.istio.io/inject': ' in favor of the "sidecar.istio.io/inject" label',
};

/**
 * Returns true for annotation keys in an Istio domain: the part before the first `/` ends with
 * `istio.io` (so `sidecar.istio.io/x` and `istio.io/x`), plus `kubernetes.io/ingress.class`, the
 * one foreign annotation Istio documents (Istio 1.30.3 annotations.go `istioAnnotation`).
 */
export function isIstioAnnotation(key: string): boolean {
  if (key === 'kubernetes.io/ingress.class') return true;
  const slash = key.indexOf('/');
  return (slash < 0 ? key : key.slice(0, slash)).endsWith('istio.io');
}
