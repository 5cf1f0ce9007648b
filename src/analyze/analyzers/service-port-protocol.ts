/**
 * service.PortProtocolAnalyzer (meshctl's own, MSH0003): when several Services select the same
 * pods, the sidecar of those pods sees each port through all of them; if one Service calls a port
 * HTTP and another TCP, the proxy can serve only one of the two and the other's traffic breaks.
 * Istio's own IST0116 (deployment.MultiServiceAnalyzer) compares only the Kubernetes L4
 * `protocol` field, so `http-api` and `tcp-api` on one port pass it.
 *
 * The rule:
 * - Services of one namespace with a non-empty selector, matched against every Pod and every
 *   workload's pod template (in files and in live clusters alike);
 * - two ports conflict when they carry the same `port` number, or reach the same pod port
 *   (`targetPort`, a named targetPort resolved through the pod's container ports, an unset one
 *   meaning `port`), in at least two Services, with different application protocols;
 * - the application protocol is Istio's (src/analyze/protocol.ts, per Istio 1.30.3
 *   pkg/config/kube/conversion.go): `appProtocol` when set, else the port name's prefix
 *   (`http-`, `tcp-`, `grpc-`, ...), else TCP (Istio would sniff; TCP is what it falls back to);
 * - UDP and SCTP ports are left out: the sidecar does not proxy them, and one port number
 *   serving TCP and UDP (DNS) is normal.
 * Each Service of a conflict gets a Warning at the conflicting port's `name` (the port entry when
 * it has none), naming the Services, the port and the protocols. The finding does not name the
 * pods, so the many pods of one workload give one finding.
 */
import type { Analyzer } from '../analyzer.js';
import { K, POD_TEMPLATE_PATHS } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { portProtocol } from '../protocol.js';
import { asList, asMap, field, getAt, stringMap, type Resource } from '../resource.js';
import { matchesLabels } from '../util/labels.js';

/** How Istio prints each protocol (pkg/config/protocol Instance names). */
const PROTOCOL_NAMES: Readonly<Record<string, string>> = {
  tcp: 'TCP', udp: 'UDP', grpc: 'GRPC', 'grpc-web': 'GRPC-Web', http: 'HTTP', http_proxy: 'HTTP_PROXY', http2: 'HTTP2',
  https: 'HTTPS', tls: 'TLS', mongo: 'Mongo', redis: 'Redis', mysql: 'MySQL',
};

/** One Service port as the rule compares it. */
interface PortEntry {
  service: Resource;
  index: number;
  port: number;
  /** The targetPort as given: a number, a name, or undefined for "same as port". */
  targetPort: number | string | undefined;
  /** Istio's protocol name (`HTTP`, `TCP`, ...). */
  protocol: string;
}

/** Services of one namespace sharing a selector. */
interface SelectorGroup {
  id: number;
  selector: Record<string, string>;
  entries: PortEntry[];
}

/**
 * Returns the ports of a Service that the sidecar proxies, with their application protocol: ports
 * with an integer `port` and an L4 protocol of TCP (the default).
 */
export function proxiedPorts(service: Resource): PortEntry[] {
  const out: PortEntry[] = [];
  asList(field(service.object.spec, 'ports')).forEach((raw, index) => {
    const p = asMap(raw);
    if (typeof p.port !== 'number' || !Number.isInteger(p.port)) return;
    const l4 = typeof p.protocol === 'string' && p.protocol !== '' ? p.protocol.toUpperCase() : 'TCP';
    if (l4 !== 'TCP') return;
    const detected = portProtocol(p);
    const protocol = detected === undefined ? 'TCP' : PROTOCOL_NAMES[detected] ?? detected.toUpperCase();
    const t = p.targetPort;
    const targetPort = typeof t === 'number' && t !== 0 ? t : typeof t === 'string' && t !== '' && t !== '0' ? (/^[0-9]+$/.test(t) ? Number(t) : t) : undefined;
    out.push({ service, index, port: p.port, targetPort, protocol });
  });
  return out;
}

/** Returns `containerPort` by port name over a pod spec's containers (first wins, as the kubelet resolves). */
function namedContainerPorts(podSpec: unknown): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of [...asList(field(podSpec, 'containers')), ...asList(field(podSpec, 'initContainers'))]) {
    for (const raw of asList(field(c, 'ports'))) {
      const p = asMap(raw);
      if (typeof p.name === 'string' && typeof p.containerPort === 'number' && !out.has(p.name)) out.set(p.name, p.containerPort);
    }
  }
  return out;
}

/** A set of entries that disagree on the protocol of one port. */
interface Conflict {
  /** `port 9000` or `targetPort 9000`. */
  what: string;
  entries: PortEntry[];
}

/**
 * Returns the conflicts among the ports of the Services selecting one pod: per port number, then
 * per pod port, the entries when they span two or more Services and two or more protocols. A pod
 * port conflict made of exactly the entries of a port-number conflict is not repeated.
 */
function conflictsAmong(entries: readonly PortEntry[], containerPorts: ReadonlyMap<string, number>): Conflict[] {
  const byPort = new Map<number, PortEntry[]>();
  const byTarget = new Map<string, PortEntry[]>();
  for (const e of entries) {
    push(byPort, e.port, e);
    const t = e.targetPort === undefined ? e.port : typeof e.targetPort === 'number' ? e.targetPort : containerPorts.get(e.targetPort) ?? e.targetPort;
    push(byTarget, typeof t === 'number' ? String(t) : `"${t}"`, e);
  }
  const out: Conflict[] = [];
  const seen = new Set<string>();
  const consider = (what: string, group: PortEntry[]): void => {
    if (new Set(group.map((e) => e.service)).size < 2 || new Set(group.map((e) => e.protocol)).size < 2) return;
    const signature = group.map((e) => `${e.service.name}\u0000${e.index}`).sort().join('\u0001');
    if (seen.has(signature)) return;
    seen.add(signature);
    out.push({ what, entries: group });
  };
  for (const [port, group] of byPort) consider(`port ${port}`, group);
  for (const [target, group] of byTarget) consider(`targetPort ${target}`, group);
  return out;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The Services of each namespace, grouped by selector and indexed by one `key=value` pair of it. */
class ServiceSelectorIndex {
  private readonly byPair = new Map<string, SelectorGroup[]>();

  constructor(services: readonly Resource[]) {
    const groups = new Map<string, SelectorGroup>();
    for (const svc of services) {
      const selector = stringMap(field(svc.object.spec, 'selector'));
      const keys = Object.keys(selector).sort();
      if (keys.length === 0) continue;
      const signature = `${svc.namespace}\u0002${keys.map((k) => `${k}\u0000${selector[k]!}`).join('\u0001')}`;
      let group = groups.get(signature);
      if (!group) {
        groups.set(signature, (group = { id: groups.size, selector, entries: [] }));
        push(this.byPair, `${svc.namespace}\u0002${keys[0]!}\u0000${selector[keys[0]!]!}`, group);
      }
      group.entries.push(...proxiedPorts(svc));
    }
  }

  /** Returns the groups of `namespace` whose selector matches `labels`, in creation order. */
  selecting(namespace: string, labels: Readonly<Record<string, string>>): SelectorGroup[] {
    const out = new Set<SelectorGroup>();
    for (const [k, v] of Object.entries(labels)) {
      for (const g of this.byPair.get(`${namespace}\u0002${k}\u0000${v}`) ?? []) if (matchesLabels(g.selector, labels)) out.add(g);
    }
    return [...out].sort((a, b) => a.id - b.id);
  }
}

export const servicePortProtocolAnalyzer: Analyzer = {
  name: 'service.PortProtocolAnalyzer',
  description: 'Flags Services that select the same pods and give one port (or target port) different application protocols',
  inputs: [K.Service, ...POD_TEMPLATE_PATHS.keys()],
  messages: [MESSAGES.ServicePortProtocolConflict],
  analyze(ctx) {
    const services = ctx.list(K.Service);
    if (services.length < 2) return;
    const index = new ServiceSelectorIndex(services);
    // Pods of one workload share labels and spec: their result is computed once.
    const done = new Set<string>();
    for (const [kind, templatePath] of POD_TEMPLATE_PATHS) {
      for (const r of ctx.list(kind)) {
        const template = asMap(getAt(r.object, templatePath));
        const labels = stringMap(field(template.metadata, 'labels'));
        const groups = index.selecting(r.namespace, labels);
        const entries = groups.flatMap((g) => g.entries);
        if (new Set(entries.map((e) => e.service)).size < 2) continue;
        const named = entries.some((e) => typeof e.targetPort === 'string');
        const containerPorts = named ? namedContainerPorts(template.spec) : new Map<string, number>();
        const key = `${groups.map((g) => g.id).join(',')}\u0000${[...containerPorts].join(',')}`;
        if (done.has(key)) continue;
        done.add(key);
        for (const c of conflictsAmong(entries, containerPorts)) {
          const sorted = [...c.entries].sort((a, b) => (a.service.name < b.service.name ? -1 : a.service.name > b.service.name ? 1 : a.index - b.index));
          const names = [...new Set(sorted.map((e) => e.service.name))];
          const protocols = [...new Set(sorted.map((e) => `${e.protocol} (${e.service.name})`))].join(', ');
          for (const e of sorted) {
            const hasName = typeof getAt(e.service.object, ['spec', 'ports', e.index, 'name']) === 'string';
            const path = hasName ? ['spec', 'ports', e.index, 'name'] : ['spec', 'ports', e.index];
            ctx.report(MESSAGES.ServicePortProtocolConflict, { resource: e.service, path }, names, c.what, protocols);
          }
        }
      }
    }
  },
};
