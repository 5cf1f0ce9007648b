/**
 * sidecar.SelectorAnalyzer: a Sidecar whose `workloadSelector` matches no pod of its namespace
 * (IST0101 `selector`), several Sidecars selecting the same pod (IST0110), and more than one
 * Sidecar without a selector in a namespace (IST0111). Facts per Istio 1.30.3
 * `pkg/config/analysis/analyzers/sidecar/selector.go` and `analyzers/util` (ambient checks):
 * - a `workloadSelector` with no labels counts as no selector (namespace-wide Sidecar);
 * - selectors match only pods of the Sidecar's own namespace;
 * - IST0110 is reported on each Sidecar that selects a pod, once per pod, naming the Sidecars (by
 *   name) and the pod; IST0111 on each selector-less Sidecar of the namespace, naming them all;
 * - a pod annotated `ambient.istio.io/redirection: enabled`, or a namespace labelled
 *   `istio.io/dataplane-mode: ambient` (unless also `istio-injection=enabled` or a non-empty
 *   `istio.io/rev`), has no sidecar, so neither IST0110 nor IST0111 is reported there; instead
 *   each Sidecar selecting such a pod, and each selector-less Sidecar of such a namespace, gets
 *   IST0167 (the policy has no impact), once per Sidecar.
 * Pod templates stand in for pods in file mode, and the finding names the workload.
 */
import type { Analyzer, WorkloadInstance } from '../analyzer.js';
import { K, WORKLOAD_INPUTS } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { getAt, labelsOf, stringMap, type Resource } from '../resource.js';
import { formatSelector } from '../util/labels.js';
import { WorkloadSelectorIndex, selectorPath } from './gateway-selection.js';

/** Returns true for a pod the ambient data plane captures (Istio's `PodInAmbientMode`). */
export function podInAmbientMode(w: WorkloadInstance): boolean {
  return w.annotations['ambient.istio.io/redirection'] === 'enabled';
}

/**
 * Returns true for a Namespace enrolled in ambient mode (Istio's `NamespaceInAmbientMode`):
 * `istio.io/dataplane-mode: ambient`, unless sidecar injection is asked for by
 * `istio-injection=enabled` or a non-empty `istio.io/rev`. False when the Namespace is unknown.
 */
export function namespaceInAmbientMode(ns: Resource | undefined): boolean {
  if (!ns) return false;
  const labels = labelsOf(ns);
  if (labels['istio-injection'] === 'enabled') return false;
  if (labels['istio.io/rev']) return false;
  return labels['istio.io/dataplane-mode'] === 'ambient';
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export const sidecarSelectorAnalyzer: Analyzer = {
  name: 'sidecar.SelectorAnalyzer',
  description: 'Flags Sidecars whose selector matches no pod, several Sidecars on one pod, and several without a selector in one namespace',
  inputs: [K.Sidecar, K.Namespace, ...WORKLOAD_INPUTS],
  messages: [
    MESSAGES.ReferencedResourceNotFound, MESSAGES.ConflictingSidecarWorkloadSelectors, MESSAGES.MultipleSidecarsWithoutWorkloadSelectors,
    MESSAGES.IneffectivePolicy,
  ],
  analyze(ctx) {
    const sidecars = ctx.list(K.Sidecar);
    if (sidecars.length === 0) return;
    const pods = new WorkloadSelectorIndex((ns) => ctx.workloads(ns));
    const sidecarsOfPod = new Map<WorkloadInstance, Resource[]>();
    const namespaceWide = new Map<string, Resource[]>();

    for (const sc of sidecars) {
      const selector = stringMap(getAt(sc.object, ['spec', 'workloadSelector', 'labels']));
      if (Object.keys(selector).length === 0) {
        push(namespaceWide, sc.namespace, sc);
        continue;
      }
      const matched = pods.select(selector, sc.namespace);
      if (matched.length === 0) {
        ctx.report(MESSAGES.ReferencedResourceNotFound,
          { resource: sc, path: selectorPath(['spec', 'workloadSelector', 'labels'], selector) }, 'selector', formatSelector(selector));
        continue;
      }
      for (const w of matched) push(sidecarsOfPod, w, sc);
    }

    const ineffective = new Set<Resource>();
    const reportIneffective = (sc: Resource, reason: string): void => {
      if (ineffective.has(sc)) return;
      ineffective.add(sc);
      ctx.report(MESSAGES.IneffectivePolicy, { resource: sc, path: ['metadata', 'name'] }, reason);
    };
    for (const [w, list] of sidecarsOfPod) {
      if (podInAmbientMode(w)) {
        for (const sc of list) reportIneffective(sc, 'selected workload is in ambient mode, the policy has no impact');
        continue;
      }
      if (list.length < 2) continue;
      const names = list.map((s) => s.name);
      for (const sc of list) {
        ctx.report(MESSAGES.ConflictingSidecarWorkloadSelectors, { resource: sc, path: ['metadata', 'name'] }, names, w.namespace, w.resource.name);
      }
    }

    for (const [ns, list] of namespaceWide) {
      if (namespaceInAmbientMode(ctx.get(K.Namespace, '', ns))) {
        for (const sc of list) reportIneffective(sc, 'namespace is in ambient mode, the policy has no impact');
        continue;
      }
      if (list.length < 2) continue;
      const names = list.map((s) => s.name);
      for (const sc of list) ctx.report(MESSAGES.MultipleSidecarsWithoutWorkloadSelectors, { resource: sc, path: ['metadata', 'name'] }, names, ns);
    }
  },
};
