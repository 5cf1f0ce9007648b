/**
 * deployment.MultiServiceAnalyzer: Services selecting the same in-mesh Deployment must agree.
 * IST0116 when they expose one port number with different protocols (the sidecar builds one
 * listener per port and can serve only one protocol on it); IST0137 when they send one
 * targetPort to different service ports. Facts per Istio 1.30.3
 * pkg/config/analysis/analyzers/deployment/services.go: only Deployments in the mesh (util
 * in_mesh.go) and not waypoints; only Services of the same namespace with a non-empty selector
 * matching the pod template's labels; protocol defaults to TCP, targetPort to port; service names
 * are `namespace/name`, sorted. Unlike istioctl, Services from files take part.
 */
import type { Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, asMap, field, getAt, labelsOf, stringMap, type Resource } from '../resource.js';
import { matchesLabels } from '../util/labels.js';
import { inMesh } from './injection-in-mesh.js';

/** The label value Istio's gateway controller puts on waypoint Deployments, which are skipped. */
const WAYPOINT_CONTROLLER = 'istio.io-mesh-controller';

/** One port of a Service, reduced to what the checks compare. */
export interface ServicePortFacts {
  port: number;
  /** `TCP` when unset. */
  protocol: string;
  /** The targetPort as Kubernetes prints it (`8080`, `http`); the port number when unset or 0. */
  targetPort: string;
}

/**
 * Returns the comparable ports of a Service spec. Ports without an integer `port` are left out:
 * Kubernetes would refuse such a Service, and istioctl could not read it.
 */
export function servicePorts(spec: unknown): ServicePortFacts[] {
  const out: ServicePortFacts[] = [];
  for (const raw of asList(field(spec, 'ports'))) {
    const p = asMap(raw);
    if (typeof p.port !== 'number' || !Number.isInteger(p.port)) continue;
    const protocol = typeof p.protocol === 'string' && p.protocol !== '' ? p.protocol : 'TCP';
    const target = p.targetPort === undefined || p.targetPort === null ? '' : String(p.targetPort);
    out.push({ port: p.port, protocol, targetPort: target === '' || target === '0' ? String(p.port) : target });
  }
  return out;
}

/**
 * What a set of Services says about the ports of the workloads they select: per port number the
 * services using each protocol, per targetPort the service (the last given) reaching it from each
 * port number. `order` is the input position of that last service.
 */
export interface PortSummary {
  protocols: Map<number, Map<string, string[]>>;
  targets: Map<string, Map<number, { service: string; order: number }>>;
}

/** Returns an empty summary. */
function emptySummary(): PortSummary {
  return { protocols: new Map(), targets: new Map() };
}

/** Adds one Service (`namespace/name`, input position `order`) to a summary. */
function addService(summary: PortSummary, service: string, order: number, ports: readonly ServicePortFacts[]): void {
  for (const p of ports) {
    let byProtocol = summary.protocols.get(p.port);
    if (!byProtocol) summary.protocols.set(p.port, (byProtocol = new Map()));
    let names = byProtocol.get(p.protocol);
    if (!names) byProtocol.set(p.protocol, (names = []));
    names.push(service);
    let byPort = summary.targets.get(p.targetPort);
    if (!byPort) summary.targets.set(p.targetPort, (byPort = new Map()));
    byPort.set(p.port, { service, order });
  }
}

/** A conflict found among the Services of one workload. */
export type ServiceConflict =
  | { kind: 'protocol'; port: number; services: string[] }
  | { kind: 'targetPort'; targetPort: string; services: string[]; ports: number[] };

/**
 * Returns the conflicts among the Services of several summaries (all selecting one workload):
 * per port number used with more than one protocol, the services using it (all protocols,
 * sorted); per targetPort reached from more than one port number, one service per port (the last
 * given, as upstream keeps a map) and the ports, both sorted. Ordered by port, then targetPort.
 * Service names are gathered only for ports in conflict, so a Service selecting many workloads
 * costs each of them its port count, not its name list.
 */
export function conflictsOf(summaries: readonly PortSummary[]): ServiceConflict[] {
  const protocols = new Map<number, Map<string, string[][]>>();
  const targets = new Map<string, Map<number, { service: string; order: number }>>();
  for (const summary of summaries) {
    for (const [port, byProtocol] of summary.protocols) {
      let merged = protocols.get(port);
      if (!merged) protocols.set(port, (merged = new Map()));
      for (const [protocol, names] of byProtocol) {
        const lists = merged.get(protocol);
        if (lists) lists.push(names);
        else merged.set(protocol, [names]);
      }
    }
    for (const [targetPort, byPort] of summary.targets) {
      let merged = targets.get(targetPort);
      if (!merged) targets.set(targetPort, (merged = new Map()));
      for (const [port, last] of byPort) {
        const prev = merged.get(port);
        if (!prev || prev.order < last.order) merged.set(port, last);
      }
    }
  }
  const out: ServiceConflict[] = [];
  for (const port of [...protocols.keys()].sort((a, b) => a - b)) {
    const byProtocol = protocols.get(port)!;
    if (byProtocol.size > 1) out.push({ kind: 'protocol', port, services: [...byProtocol.values()].flat(2).sort() });
  }
  for (const targetPort of [...targets.keys()].sort()) {
    const byPort = targets.get(targetPort)!;
    if (byPort.size > 1) {
      out.push({
        kind: 'targetPort', targetPort,
        services: [...byPort.values()].map((l) => l.service).sort(),
        ports: [...byPort.keys()].sort((a, b) => a - b),
      });
    }
  }
  return out;
}

/** Returns the conflicts among Services, given in input order (see conflictsOf). */
export function serviceConflicts(services: readonly { name: string; ports: readonly ServicePortFacts[] }[]): ServiceConflict[] {
  const summary = emptySummary();
  services.forEach((s, order) => addService(summary, s.name, order, s.ports));
  return conflictsOf([summary]);
}

/** Services of one namespace sharing one selector, summarised once for every workload they select. */
interface SelectorGroup {
  selector: Record<string, string>;
  summary: PortSummary;
}

/**
 * The Services of one namespace, grouped by identical selector and indexed by one `key=value`
 * pair of it, so that finding what selects a pod template costs one lookup per template label
 * and one merge per distinct selector, not a scan of every Service.
 */
class NamespaceServices {
  private readonly byPair = new Map<string, SelectorGroup[]>();

  constructor(services: readonly Resource[]) {
    const groups = new Map<string, SelectorGroup>();
    services.forEach((svc, order) => {
      const spec = asMap(svc.object.spec);
      const selector = stringMap(spec.selector);
      const keys = Object.keys(selector).sort();
      // An empty selector selects nothing here: such Services have hand-managed endpoints.
      if (keys.length === 0) return;
      const signature = keys.map((k) => `${k}\u0000${selector[k]!}`).join('\u0001');
      let group = groups.get(signature);
      if (!group) {
        groups.set(signature, (group = { selector, summary: emptySummary() }));
        const pair = `${keys[0]!}\u0000${selector[keys[0]!]!}`;
        const list = this.byPair.get(pair);
        if (list) list.push(group);
        else this.byPair.set(pair, [group]);
      }
      addService(group.summary, `${svc.namespace}/${svc.name}`, order, servicePorts(spec));
    });
  }

  /** Returns the summaries of the Service groups whose selector matches `labels`. */
  selecting(labels: Readonly<Record<string, string>>): PortSummary[] {
    const out: PortSummary[] = [];
    for (const [k, v] of Object.entries(labels)) {
      for (const g of this.byPair.get(`${k}\u0000${v}`) ?? []) if (matchesLabels(g.selector, labels)) out.push(g.summary);
    }
    return out;
  }
}

export const deploymentMultiServiceAnalyzer: Analyzer = {
  name: 'deployment.MultiServiceAnalyzer',
  description: 'Flags in-mesh workloads whose Services disagree on the protocol or port behind one target port',
  inputs: [K.Service, K.Deployment, K.Namespace],
  messages: [MESSAGES.DeploymentAssociatedToMultipleServices, MESSAGES.DeploymentConflictingPorts],
  analyze(ctx) {
    const indexes = new Map<string, NamespaceServices>();
    for (const deployment of ctx.list(K.Deployment)) {
      if (labelsOf(deployment)['gateway.istio.io/managed'] === WAYPOINT_CONTROLLER) continue;
      const template = asMap(getAt(deployment.object, ['spec', 'template']));
      const labels = stringMap(field(template.metadata, 'labels'));
      const candidate = {
        namespace: deployment.namespace,
        labels,
        annotations: stringMap(field(template.metadata, 'annotations')),
        containers: asList(field(template.spec, 'containers')),
      };
      if (!inMesh(ctx, candidate)) continue;
      let index = indexes.get(deployment.namespace);
      if (!index) indexes.set(deployment.namespace, (index = new NamespaceServices(ctx.inNamespace(K.Service, deployment.namespace))));
      const at = { resource: deployment, path: ['metadata', 'name'] };
      for (const c of conflictsOf(index.selecting(labels))) {
        if (c.kind === 'protocol') ctx.report(MESSAGES.DeploymentAssociatedToMultipleServices, at, deployment.name, c.port, c.services);
        else ctx.report(MESSAGES.DeploymentConflictingPorts, at, deployment.name, c.services, c.targetPort, c.ports);
      }
    }
  },
};
