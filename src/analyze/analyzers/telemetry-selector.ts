/**
 * telemetry.SelectorAnalyzer: a Telemetry whose workload selector matches no pod of its namespace
 * (IST0101 `selector`), and several Telemetries selecting the same pod (IST0159 on each, once per
 * pod, naming them). Facts per Istio 1.30.3
 * pkg/config/analysis/analyzers/telemetry/selector.go: Telemetries without a selector or with
 * empty `matchLabels` are not checked here (telemetry.DefaultSelectorAnalyzer covers them);
 * selectors match only pods of the Telemetry's own namespace; names are sorted; the selector is
 * printed `key=value,...` in key order. Pod templates stand in for pods in file mode, as for
 * sidecar.SelectorAnalyzer.
 */
import type { Analyzer, WorkloadInstance } from '../analyzer.js';
import { K, WORKLOAD_INPUTS } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { getAt, stringMap, type Resource } from '../resource.js';
import { formatSelector } from '../util/labels.js';
import { WorkloadSelectorIndex, selectorPath } from './gateway-selection.js';

export const telemetrySelectorAnalyzer: Analyzer = {
  name: 'telemetry.SelectorAnalyzer',
  description: 'Flags Telemetries whose selector matches no pod, and several Telemetries selecting one pod',
  inputs: [K.Telemetry, ...WORKLOAD_INPUTS],
  messages: [MESSAGES.ReferencedResourceNotFound, MESSAGES.ConflictingTelemetryWorkloadSelectors],
  analyze(ctx) {
    const telemetries = ctx.list(K.Telemetry);
    if (telemetries.length === 0) return;
    const pods = new WorkloadSelectorIndex((ns) => ctx.workloads(ns));
    const ofPod = new Map<WorkloadInstance, Resource[]>();
    for (const t of telemetries) {
      const selector = stringMap(getAt(t.object, ['spec', 'selector', 'matchLabels']));
      if (Object.keys(selector).length === 0) continue;
      const matched = pods.select(selector, t.namespace);
      if (matched.length === 0) {
        ctx.report(MESSAGES.ReferencedResourceNotFound,
          { resource: t, path: selectorPath(['spec', 'selector', 'matchLabels'], selector) }, 'selector', formatSelector(selector));
        continue;
      }
      for (const w of matched) {
        const list = ofPod.get(w) ?? [];
        list.push(t);
        ofPod.set(w, list);
      }
    }
    for (const [w, list] of ofPod) {
      if (list.length < 2) continue;
      const names = list.map((t) => t.name).sort();
      for (const t of list) {
        ctx.report(MESSAGES.ConflictingTelemetryWorkloadSelectors, { resource: t, path: ['metadata', 'name'] }, names, w.namespace, w.resource.name);
      }
    }
  },
};
