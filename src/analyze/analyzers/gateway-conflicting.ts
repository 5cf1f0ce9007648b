/**
 * gateway.ConflictingGatewayAnalyzer: Gateways that serve the same workload on the same port and
 * claim the same host (IST0145), and, as a side check, a Gateway with a selector but no servers
 * that no other Gateway's servers share a selector with (IST0101 `selector`). Facts per Istio
 * 1.30.3 `pkg/config/analysis/analyzers/gateway/conflictinggateway.go` and `CheckDuplicates` in
 * `pilot/pkg/model/gateway.go`:
 * - Gateways are grouped by selector text (`k=v,...` in key order) and server port number, across
 *   all namespaces; a server without a port counts as port 0. When one Gateway has several servers
 *   on a port, only its last one there is remembered for the others to collide with.
 * - Two selectors are the same workload when their texts are equal, or when one text contains the
 *   other and some pod matches both (a sub-selector, e.g. `istio=ingressgateway` and
 *   `app=istio-ingressgateway,istio=ingressgateway`).
 * - Hosts collide only when equal as written and bound to the same `bind` address: a wildcard is
 *   compared as text, so `*.example.com` does not collide with `foo.example.com`.
 * - The finding names the other Gateways as `namespace/name`, sorted and comma-joined, with the
 *   selector text, the port and the server's own hosts, comma-joined.
 * Upstream's host check adds the server's hosts to the other Gateway's remembered hosts when it
 * finds no duplicate, so its findings can depend on Go's random map order; here each server is
 * compared with the other Gateways' servers as written.
 */
import type { Analyzer, WorkloadInstance } from '../analyzer.js';
import { K, WORKLOAD_INPUTS } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, asMap, field, stringMap, type Resource } from '../resource.js';
import { formatSelector } from '../util/labels.js';
import { intOrStringValue } from './gateway-ingress-port.js';
import { WorkloadSelectorIndex, selectorPath } from './gateway-selection.js';

/** One server of a Gateway, read once. */
interface ServerEntry {
  index: number;
  port: number;
  hosts: string[];
  bind: string;
}

/** A Gateway with its selector and servers read once. */
interface GatewayEntry {
  resource: Resource;
  /** `namespace/name`, how the finding names it. */
  fullName: string;
  selector: Record<string, string>;
  selectorText: string;
  servers: ServerEntry[];
}

/** Returns a Gateway server's port number as Istio reads it: 0 when there is none. */
export function serverPort(server: unknown): number {
  return intOrStringValue(field(field(server, 'port'), 'number'));
}

/** A host some Gateway's server claims on a port: the Gateway's full name and the server's bind. */
export interface Claim {
  name: string;
  bind: string;
}

/**
 * Adds to `found` the Gateways other than `self` that claim one of `hosts` in `claims` (host →
 * claims on one selector and port) and returns the index of the first host claimed, or -1. A
 * claim counts only for the host as written (a wildcard is text like any other) and the same
 * `bind` (unset is `''`), per Istio's `CheckDuplicates`.
 */
export function addClaimants(
  found: Set<string>, claims: ReadonlyMap<string, readonly Claim[]> | undefined, hosts: readonly string[], bind: string, self: string,
): number {
  let first = -1;
  if (!claims) return first;
  hosts.forEach((host, i) => {
    for (const claim of claims.get(host) ?? []) {
      if (claim.name === self || claim.bind !== bind) continue;
      found.add(claim.name);
      if (first < 0) first = i;
    }
  });
  return first;
}

/**
 * Returns true when two selector texts may name the same workload by containment, the test Istio
 * applies before looking for a pod both match: one text contains the other.
 */
export function selectorTextsOverlap(a: string, b: string): boolean {
  return a.includes(b) || b.includes(a);
}

function readGateway(r: Resource): GatewayEntry {
  const spec = asMap(r.object.spec);
  const selector = stringMap(spec.selector);
  const servers = asList(spec.servers).map((raw, index): ServerEntry => {
    const bind = field(raw, 'bind');
    return {
      index,
      port: serverPort(raw),
      hosts: asList(field(raw, 'hosts')).filter((h): h is string => typeof h === 'string'),
      bind: typeof bind === 'string' ? bind : '',
    };
  });
  return { resource: r, fullName: `${r.namespace}/${r.name}`, selector, selectorText: formatSelector(selector), servers };
}

export const conflictingGatewayAnalyzer: Analyzer = {
  name: 'gateway.ConflictingGatewayAnalyzer',
  description: 'Flags Gateways on the same workloads and port that claim the same host',
  inputs: [K.Gateway, ...WORKLOAD_INPUTS],
  messages: [MESSAGES.ConflictingGateways, MESSAGES.ReferencedResourceNotFound],
  analyze(ctx) {
    const gateways = ctx.list(K.Gateway).map(readGateway);
    if (gateways.length === 0) return;

    const table = claimsTable(gateways);
    const related = relatedSelectors(new WorkloadSelectorIndex((ns) => ctx.workloads(ns)), gateways, table);
    for (const gw of gateways) {
      const selectors = related.get(gw.selectorText)!;
      if (gw.selectorText !== '' && selectors.length === 0) {
        ctx.report(MESSAGES.ReferencedResourceNotFound, { resource: gw.resource, path: selectorPath(['spec', 'selector'], gw.selector) },
          'selector', gw.selectorText);
        continue;
      }
      for (const s of gw.servers) {
        const others = new Set<string>();
        let first = -1;
        for (const text of selectors) {
          const at = addClaimants(others, table.get(text)!.get(s.port), s.hosts, s.bind, gw.fullName);
          if (at >= 0 && (first < 0 || at < first)) first = at;
        }
        if (others.size === 0) continue;
        ctx.report(MESSAGES.ConflictingGateways, { resource: gw.resource, path: ['spec', 'servers', s.index, 'hosts', first] },
          [...others].sort().join(','), gw.selectorText, String(s.port), s.hosts.join(','));
      }
    }
  },
};

/**
 * Returns the hosts claimed per selector text and port: host → the Gateways claiming it. Each
 * Gateway contributes only its last server on a port, as Istio's map keyed by Gateway name keeps
 * it, and a later Gateway of the same namespace and name replaces an earlier one. Indexing by host
 * keeps the lookup proportional to the collisions, not to the number of Gateways on a port.
 */
function claimsTable(gateways: readonly GatewayEntry[]): Map<string, Map<number, Map<string, Claim[]>>> {
  const remembered = new Map<string, Map<number, Map<string, ServerEntry>>>();
  for (const gw of gateways) {
    for (const s of gw.servers) {
      let ports = remembered.get(gw.selectorText);
      if (!ports) remembered.set(gw.selectorText, (ports = new Map()));
      let byGateway = ports.get(s.port);
      if (!byGateway) ports.set(s.port, (byGateway = new Map()));
      byGateway.set(gw.fullName, s);
    }
  }
  const table = new Map<string, Map<number, Map<string, Claim[]>>>();
  for (const [text, ports] of remembered) {
    const byPort = new Map<number, Map<string, Claim[]>>();
    table.set(text, byPort);
    for (const [port, byGateway] of ports) {
      const byHost = new Map<string, Claim[]>();
      byPort.set(port, byHost);
      for (const [name, s] of byGateway) {
        for (const host of new Set(s.hosts)) {
          const claim = { name, bind: s.bind };
          const list = byHost.get(host);
          if (list) list.push(claim);
          else byHost.set(host, [claim]);
        }
      }
    }
  }
  return table;
}

/**
 * Returns, for each Gateway selector text, the selector texts with servers that name the same
 * workload: itself when it has servers, plus overlapping texts that share a matched pod. Pairs are
 * found through the pods each selector matches, so the work follows the matches rather than the
 * square of the selector count.
 */
function relatedSelectors(
  index: WorkloadSelectorIndex,
  gateways: readonly GatewayEntry[],
  table: ReadonlyMap<string, unknown>,
): Map<string, string[]> {
  const selectors = new Map<string, Record<string, string>>();
  for (const gw of gateways) selectors.set(gw.selectorText, gw.selector);
  const matched = new Map<string, readonly WorkloadInstance[]>();
  const selectorsOfPod = new Map<WorkloadInstance, string[]>();
  for (const [text, selector] of selectors) {
    const pods = index.select(selector);
    matched.set(text, pods);
    if (!table.has(text)) continue;
    for (const w of pods) {
      const list = selectorsOfPod.get(w);
      if (list) list.push(text);
      else selectorsOfPod.set(w, [text]);
    }
  }
  const out = new Map<string, string[]>();
  for (const text of selectors.keys()) {
    const found = new Set<string>();
    if (table.has(text)) found.add(text);
    for (const w of matched.get(text)!) {
      for (const other of selectorsOfPod.get(w) ?? []) if (!found.has(other) && selectorTextsOverlap(text, other)) found.add(other);
    }
    out.set(text, [...found]);
  }
  return out;
}
