/**
 * gateway.IngressGatewayPortAnalyzer: a Gateway whose `spec.selector` matches no pod (IST0101
 * `selector`), and a server port that no Service in front of the selected pods forwards to
 * (IST0162). Facts per Istio 1.30.3 `pkg/config/analysis/analyzers/gateway/gateway.go`:
 * - pods are searched in every namespace (the Gateway's own namespace does not scope its selector
 *   here, whatever PILOT_SCOPE_GATEWAY_TO_NAMESPACE says), and an empty selector matches every pod;
 * - a Service counts for a pod when it is in the pod's namespace and its selector matches the pod's
 *   labels; a Service without a selector matches every pod of its namespace, as Kubernetes'
 *   `SelectorFromSet` of an empty set does;
 * - of those Services only TCP ports count, each by its numeric `targetPort` and by its `port`
 *   (Go's `IntOrString.IntValue()` reads a named target as 0, which leaves the `port` alone): the
 *   proxy listens on the target, and upstream accepts the Service port that maps to it as well;
 * - a server without a `port` is skipped; one whose port has no number is checked as port 0.
 * Unlike istioctl, Services and Pods from files take part, pod templates stand in for pods, and a
 * port without `protocol` counts as TCP, as Kubernetes defaults it. In file mode the default
 * profile's ingress gateway (Service ports 80→8080, 443→8443, 15021) is assumed to exist.
 */
import type { Analyzer, WorkloadInstance } from '../analyzer.js';
import { K, WORKLOAD_INPUTS } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, asMap, field, stringMap, type Resource } from '../resource.js';
import { formatSelector, matchesLabels } from '../util/labels.js';
import { WorkloadSelectorIndex, selectorPath } from './gateway-selection.js';

/**
 * Returns the number Go's `intstr.IntOrString.IntValue()` gives: an integer as is, a string of
 * decimal digits (optionally signed) parsed, anything else 0.
 */
export function intOrStringValue(v: unknown): number {
  if (typeof v === 'number') return Number.isInteger(v) ? v : Math.trunc(v);
  if (typeof v === 'string' && /^[+-]?\d+$/.test(v)) return Number.parseInt(v, 10);
  return 0;
}

/**
 * Returns the ports of a Service that a Gateway server port may name, in port order: for each TCP
 * port (no `protocol` means TCP), its numeric `targetPort` when non-zero followed by its `port`,
 * else its `port` alone. Istio 1.30.3 accepts both the target (what the proxy listens on) and the
 * Service port that maps to it, so the Bookinfo gateway of older releases (port 80 on the ingress
 * gateway whose Service maps 80 to 8080) passes.
 */
export function serviceTargetPorts(service: Resource): number[] {
  const out: number[] = [];
  for (const raw of asList(field(service.object.spec, 'ports'))) {
    const port = asMap(raw);
    if ((port.protocol ?? 'TCP') !== 'TCP') continue;
    const target = intOrStringValue(port.targetPort);
    if (target !== 0) out.push(target);
    out.push(intOrStringValue(port.port));
  }
  return out;
}

/** A Service with its selector and target ports read once. */
interface IndexedService {
  selector: Record<string, string>;
  ports: number[];
}

/** The Services of one namespace: those without a selector, and the others by one selector label. */
interface NamespaceServices {
  any: IndexedService[];
  byLabel: Map<string, Map<string, IndexedService[]>>;
}

/**
 * Services per namespace, read when a selected pod first needs its namespace's, each filed under
 * one label of its selector (or under "any" when it has none), so a pod looks up only the Services
 * one of its labels could satisfy.
 */
class ServiceIndex {
  private readonly byNamespace = new Map<string, NamespaceServices>();

  /** @param services returns the Services of a namespace: `ctx.inNamespace(K.Service, ns)` fits. */
  constructor(private readonly services: (namespace: string) => readonly Resource[]) {}

  /** Returns the target ports of every Service in the pod's namespace that selects it. */
  portsFor(w: WorkloadInstance): number[] {
    const ns = this.namespace(w.namespace);
    const out: number[] = [];
    for (const s of ns.any) out.push(...s.ports);
    for (const [k, v] of Object.entries(w.labels)) {
      for (const s of ns.byLabel.get(k)?.get(v) ?? []) if (matchesLabels(s.selector, w.labels)) out.push(...s.ports);
    }
    return out;
  }

  private namespace(name: string): NamespaceServices {
    let ns = this.byNamespace.get(name);
    if (ns) return ns;
    ns = { any: [], byLabel: new Map() };
    this.byNamespace.set(name, ns);
    for (const svc of this.services(name)) {
      const selector = stringMap(field(svc.object.spec, 'selector'));
      const entry: IndexedService = { selector, ports: serviceTargetPorts(svc) };
      const first = Object.keys(selector)[0];
      if (first === undefined) {
        ns.any.push(entry);
        continue;
      }
      let values = ns.byLabel.get(first);
      if (!values) ns.byLabel.set(first, (values = new Map()));
      const list = values.get(selector[first]!);
      if (list) list.push(entry);
      else values.set(selector[first]!, [entry]);
    }
    return ns;
  }
}

export const ingressGatewayPortAnalyzer: Analyzer = {
  name: 'gateway.IngressGatewayPortAnalyzer',
  description: 'Flags Gateways whose selector matches no pod, or whose server ports their workload\'s Service does not expose',
  inputs: [K.Gateway, K.Service, ...WORKLOAD_INPUTS],
  messages: [MESSAGES.ReferencedResourceNotFound, MESSAGES.GatewayPortNotDefinedOnService],
  analyze(ctx) {
    const gateways = ctx.list(K.Gateway);
    if (gateways.length === 0) return;
    const pods = new WorkloadSelectorIndex((ns) => ctx.workloads(ns));
    const services = new ServiceIndex((ns) => ctx.inNamespace(K.Service, ns));
    const podPorts = new Map<WorkloadInstance, number[]>();
    // Ports per distinct selector; undefined marks a selector that matches no pod.
    const bySelector = new Map<string, Set<number> | undefined>();
    const portsOf = (selector: Record<string, string>, text: string): Set<number> | undefined => {
      if (bySelector.has(text)) return bySelector.get(text);
      const matched = pods.select(selector);
      let ports: Set<number> | undefined;
      if (matched.length > 0) {
        ports = new Set();
        for (const w of matched) {
          let list = podPorts.get(w);
          if (!list) podPorts.set(w, (list = services.portsFor(w)));
          for (const p of list) ports.add(p);
        }
      }
      bySelector.set(text, ports);
      return ports;
    };

    for (const gw of gateways) {
      const spec = asMap(gw.object.spec);
      const selector = stringMap(spec.selector);
      const text = formatSelector(selector);
      const ports = portsOf(selector, text);
      if (!ports) {
        ctx.report(MESSAGES.ReferencedResourceNotFound, { resource: gw, path: selectorPath(['spec', 'selector'], selector) }, 'selector', text);
        continue;
      }
      asList(spec.servers).forEach((raw, i) => {
        const port = field(raw, 'port');
        if (port === undefined || port === null) return;
        const number = intOrStringValue(field(port, 'number'));
        if (ports.has(number)) return;
        const path = field(port, 'number') === undefined ? ['spec', 'servers', i, 'port'] : ['spec', 'servers', i, 'port', 'number'];
        ctx.report(MESSAGES.GatewayPortNotDefinedOnService, { resource: gw, path }, number, text);
      });
    }
  },
};
