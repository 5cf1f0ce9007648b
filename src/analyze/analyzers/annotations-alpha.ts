/**
 * annotations.AlphaAnalyzer: Istio annotations of alpha-phase features on Namespaces, Services,
 * Pods and Deployments (IST0136, Info). Facts per Istio 1.30.3
 * pkg/config/analysis/analyzers/maturity/maturity.go and istio/api's annotation table (feature
 * status in util/annotations.ts):
 * - only keys in an Istio domain that Istio defines count; the injector's status, the gateway
 *   controller's version and the revision annotation are never reported;
 * - on a Pod without an `istio-init` init container (the CNI plugin sets up its traffic, and sets
 *   these itself), `sidecar.istio.io/interceptionMode` and the `traffic.sidecar.istio.io/`
 *   `includeInboundPorts`, `excludeInboundPorts` and `includeOutboundIPRanges` annotations are not
 *   reported either;
 * - istioctl leaves this analyzer out of its default set (too noisy for annotations Istio sets
 *   itself); meshctl runs it only when named with `--analyzer` (`optIn`).
 * A Deployment's own metadata is checked as a Deployment; in file mode every workload's pod
 * template is also checked as a Pod, as annotations.K8sAnalyzer does.
 */
import type { Analyzer } from '../analyzer.js';
import { K, WORKLOAD_INPUTS } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, asMap, field, getAt, type ObjectPath, type Resource } from '../resource.js';
import { ALWAYS_IGNORED_ANNOTATIONS, isIstioAnnotation, lookupAnnotation } from '../util/annotations.js';

/** Annotations the CNI plugin's setup implies; not reported on a Pod that has no `istio-init`. */
const SET_WITH_CNI: ReadonlySet<string> = new Set([
  'sidecar.istio.io/interceptionMode',
  'traffic.sidecar.istio.io/includeInboundPorts',
  'traffic.sidecar.istio.io/excludeInboundPorts',
  'traffic.sidecar.istio.io/includeOutboundIPRanges',
]);

/** Returns true when a pod spec has no `istio-init` init container (Istio's isCNIEnabled). */
function withoutIstioInit(podSpec: unknown): boolean {
  return !asList(field(podSpec, 'initContainers')).some((c) => field(c, 'name') === 'istio-init');
}

export const annotationsAlphaAnalyzer: Analyzer = {
  name: 'annotations.AlphaAnalyzer',
  description: 'Flags Istio annotations of alpha-phase features on Namespaces, Services, Pods and Deployments',
  inputs: [K.Namespace, K.Service, ...WORKLOAD_INPUTS],
  messages: [MESSAGES.AlphaAnnotation],
  optIn: true,
  analyze(ctx) {
    const check = (r: Resource, meta: ObjectPath, podSpec?: unknown): void => {
      const annotations = asMap(field(getAt(r.object, meta), 'annotations'));
      const cni = podSpec !== undefined && withoutIstioInit(podSpec);
      for (const key of Object.keys(annotations)) {
        if (!isIstioAnnotation(key) || lookupAnnotation(key)?.status !== 'Alpha') continue;
        if (ALWAYS_IGNORED_ANNOTATIONS.has(key) || (cni && SET_WITH_CNI.has(key))) continue;
        ctx.report(MESSAGES.AlphaAnnotation, { resource: r, path: [...meta, 'annotations', key], key: true }, key);
      }
    };
    for (const ns of ctx.list(K.Namespace)) check(ns, ['metadata']);
    for (const svc of ctx.list(K.Service)) check(svc, ['metadata']);
    for (const deployment of ctx.list(K.Deployment)) check(deployment, ['metadata']);
    for (const w of ctx.workloads()) check(w.resource, [...w.templatePath, 'metadata'], w.podSpec);
  },
};
