/**
 * destinationrule.SubsetSelectPodAnalyzer: a DestinationRule's host must resolve to a Service or
 * ServiceEntry visible to it (IST0174), and each of its subsets must select at least one pod
 * (IST0173). Facts per Istio 1.30.3 analyzers/destinationrule/subset.go (Go type
 * PodNotSelectedAnalyzer):
 * - a subset selects with its labels merged over the ServiceEntry's `workloadSelector` labels; a
 *   Kubernetes Service contributes no selector (upstream converts it without one), so a subset of
 *   `reviews` with `version: v2` is satisfied by any pod labelled `version: v2`;
 * - pods of every namespace count;
 * - a pod's labels are augmented as Istio augments endpoint labels (pilot label.AugmentLabels):
 *   `kubernetes.io/hostname` from `spec.nodeName`, and the region, zone and subzone labels of that
 *   Node when non-empty (the subzone only with a zone, as a locality string carries it).
 * In file mode, pod templates stand in for pods; no node is known for them (nor for a pod without
 * `spec.nodeName`, nor, for the Node's own labels, when the Node is not among the inputs), so a
 * subset's requirements on those topology labels are not held against them rather than reported.
 * The ingress gateway assumed in file mode gets no such allowance.
 */
import type { AnalysisContext, Analyzer, WorkloadInstance } from '../analyzer.js';
import { K, WORKLOAD_INPUTS } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, asMap, field, labelsOf, stringMap } from '../resource.js';
import { exportToOf, ServiceHostIndex } from '../util/hosts.js';

/** Region label Istio copies from a pod's Node onto its endpoints (pilot serviceregistry/util/label). */
export const TOPOLOGY_REGION = 'topology.kubernetes.io/region';
/** Zone label Istio copies from a pod's Node onto its endpoints. */
export const TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';
/** Subzone label Istio copies from a pod's Node onto its endpoints (only alongside a zone). */
export const TOPOLOGY_SUBZONE = 'topology.istio.io/subzone';
/** Hostname label Istio sets on endpoints to the pod's `spec.nodeName`. */
export const HOSTNAME = 'kubernetes.io/hostname';

/** The labels a pod carries for subset matching, and the topology labels that cannot be known. */
export interface EndpointLabels {
  labels: Record<string, string>;
  /** Topology label keys whose value depends on a node the input does not hold. */
  unknown: ReadonlySet<string>;
}

const ALL_TOPOLOGY: ReadonlySet<string> = new Set([TOPOLOGY_REGION, TOPOLOGY_ZONE, TOPOLOGY_SUBZONE, HOSTNAME]);
const NODE_TOPOLOGY: ReadonlySet<string> = new Set([TOPOLOGY_REGION, TOPOLOGY_ZONE, TOPOLOGY_SUBZONE]);
const NONE: ReadonlySet<string> = new Set();

/**
 * Returns the labels an endpoint of workload `w` carries: its pod labels plus the topology labels
 * of its node, per pilot AugmentLabels. `nodeLabels` looks a Node's labels up by name.
 */
export function endpointLabels(w: WorkloadInstance, nodeLabels: (name: string) => Record<string, string> | undefined): EndpointLabels {
  const nodeName = w.fromTemplate ? '' : String(w.podSpec.nodeName ?? '');
  // The assumed ingress gateway is not the user's workload: its labels count as written, and the
  // topology it lacks is not given the benefit of the doubt (else it would satisfy any topology subset).
  if (w.resource.synthetic) return { labels: { ...w.labels }, unknown: NONE };
  if (!nodeName) return { labels: { ...w.labels }, unknown: ALL_TOPOLOGY };
  const labels: Record<string, string> = { ...w.labels };
  const node = nodeLabels(nodeName);
  if (node) {
    const region = node[TOPOLOGY_REGION] ?? '';
    const zone = node[TOPOLOGY_ZONE] ?? '';
    const subzone = zone ? node[TOPOLOGY_SUBZONE] ?? '' : '';
    if (region) labels[TOPOLOGY_REGION] = region;
    if (zone) labels[TOPOLOGY_ZONE] = zone;
    if (subzone) labels[TOPOLOGY_SUBZONE] = subzone;
  }
  labels[HOSTNAME] = nodeName;
  return { labels, unknown: node ? NONE : NODE_TOPOLOGY };
}

/** Returns true when every label of `selector` holds on `e`, labels in `e.unknown` counting as held. */
export function selects(selector: Readonly<Record<string, string>>, e: EndpointLabels): boolean {
  for (const k in selector) {
    if (e.unknown.has(k)) continue;
    if (!Object.hasOwn(e.labels, k) || e.labels[k] !== selector[k]) return false;
  }
  return true;
}

/**
 * Endpoints indexed by label so that a selector is checked against the endpoints carrying its
 * rarest label rather than against all of them.
 */
class EndpointIndex {
  private readonly endpoints: EndpointLabels[] = [];
  private readonly byLabel = new Map<string, EndpointLabels[]>();
  private readonly unknownFor = new Map<string, EndpointLabels[]>();

  constructor(ctx: AnalysisContext) {
    const nodes = new Map<string, Record<string, string>>();
    const nodeLabels = (name: string): Record<string, string> | undefined => {
      if (!nodes.has(name)) {
        const node = ctx.get(K.Node, '', name);
        if (node) nodes.set(name, labelsOf(node));
      }
      return nodes.get(name);
    };
    for (const w of ctx.workloads()) {
      const e = endpointLabels(w, nodeLabels);
      this.endpoints.push(e);
      for (const [k, v] of Object.entries(e.labels)) add(this.byLabel, `${k}\u0000${v}`, e);
      for (const k of e.unknown) add(this.unknownFor, k, e);
    }
  }

  /** Returns true when some endpoint satisfies `selector` (an empty selector needs one endpoint). */
  anySelected(selector: Readonly<Record<string, string>>): boolean {
    let best: string | undefined;
    let size = Infinity;
    for (const [k, v] of Object.entries(selector)) {
      const n = (this.byLabel.get(`${k}\u0000${v}`)?.length ?? 0) + (this.unknownFor.get(k)?.length ?? 0);
      if (n < size) [best, size] = [k, n];
    }
    if (best === undefined) return this.endpoints.length > 0;
    const held = this.byLabel.get(`${best}\u0000${selector[best]}`) ?? [];
    const unknown = this.unknownFor.get(best) ?? [];
    return held.some((e) => selects(selector, e)) || unknown.some((e) => selects(selector, e));
  }
}

function add<T>(map: Map<string, T[]>, key: string, item: T): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}

export const subsetSelectPodAnalyzer: Analyzer = {
  name: 'destinationrule.SubsetSelectPodAnalyzer',
  description: 'Flags DestinationRule hosts that match no service and subsets that match no pod',
  inputs: [K.DestinationRule, K.Service, K.ServiceEntry, K.Node, ...WORKLOAD_INPUTS],
  messages: [MESSAGES.DestinationRuleSubsetNotSelectPods, MESSAGES.UnknownDestinationRuleHost],
  analyze(ctx) {
    const services = new ServiceHostIndex(ctx.list(K.ServiceEntry), ctx.list(K.Service));
    let endpoints: EndpointIndex | undefined;
    for (const dr of ctx.list(K.DestinationRule)) {
      const spec = asMap(dr.object.spec);
      const host = typeof spec.host === 'string' ? spec.host : '';
      const service = services.lookup(dr.namespace, exportToOf(dr), host);
      if (!service) {
        ctx.report(MESSAGES.UnknownDestinationRuleHost, { resource: dr, path: ['spec', 'host'] }, host);
        continue;
      }
      // Subsets by name: a repeated name counts once, with its last definition (upstream keeps a map).
      const list = asList(spec.subsets);
      const subsets = new Map<string, number>();
      list.forEach((s, i) => subsets.set(String(field(s, 'name') ?? ''), i));
      if (subsets.size === 0) continue;
      endpoints ??= new EndpointIndex(ctx);
      for (const [name, i] of subsets) {
        const subset = asMap(list[i]);
        const selector = { ...service.workloadSelector, ...stringMap(subset.labels) };
        if (endpoints.anySelected(selector)) continue;
        const path = subset.labels !== undefined ? ['spec', 'subsets', i, 'labels'] : ['spec', 'subsets', i, 'name'];
        ctx.report(MESSAGES.DestinationRuleSubsetNotSelectPods, { resource: dr, path }, name);
      }
    }
  },
};
