/**
 * telemetry.DefaultSelectorAnalyzer: a namespace may hold one Telemetry without a workload
 * selector; with several, which applies is undefined (IST0160 on each, naming them all). Facts per
 * Istio 1.30.3 pkg/config/analysis/analyzers/telemetry/default_selector.go: only an absent
 * `spec.selector` counts (an empty selector is a selector here), names are sorted. Needs no pods,
 * so it works where pods are not available.
 */
import type { Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asMap, type Resource } from '../resource.js';

export const telemetryDefaultSelectorAnalyzer: Analyzer = {
  name: 'telemetry.DefaultSelectorAnalyzer',
  description: 'Flags namespaces with more than one Telemetry without a workload selector',
  inputs: [K.Telemetry],
  messages: [MESSAGES.MultipleTelemetriesWithoutWorkloadSelectors],
  analyze(ctx) {
    const byNamespace = new Map<string, Resource[]>();
    for (const t of ctx.list(K.Telemetry)) {
      const selector = asMap(t.object.spec).selector;
      if (selector !== undefined && selector !== null) continue;
      const list = byNamespace.get(t.namespace) ?? [];
      list.push(t);
      byNamespace.set(t.namespace, list);
    }
    for (const [ns, list] of byNamespace) {
      if (list.length < 2) continue;
      const names = list.map((t) => t.name).sort();
      for (const t of list) ctx.report(MESSAGES.MultipleTelemetriesWithoutWorkloadSelectors, { resource: t, path: ['metadata', 'name'] }, names, ns);
    }
  },
};
