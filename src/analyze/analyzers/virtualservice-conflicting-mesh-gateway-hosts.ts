/**
 * virtualservice.ConflictingMeshGatewayHostsAnalyzer: VirtualServices bound to the mesh gateway
 * (no `gateways:`, or `mesh` among them) must not define the same host for the same namespaces
 * (IST0109, once per VirtualService). Facts per Istio 1.30.3
 * analyzers/virtualservice/conflictingmeshgatewayhosts.go: each host is qualified with the
 * VirtualService's namespace and keyed by the scopes its exportTo gives it (`*` for all); hosts
 * exported to chosen namespaces also conflict with overlapping hosts (wildcards included) exported
 * to all. The message names the key, e.g. `*\/ratings.foo.svc.cluster.local`.
 */
import type { Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, field, type Resource } from '../resource.js';
import { EXPORT_TO_ALL, exportScopes, exportToOf, HostOverlapIndex, MESH_GATEWAY, scopedFqdn } from '../util/hosts.js';

/** Returns true when a VirtualService applies to sidecars: no gateways, or `mesh` among them. */
export function boundToMesh(vs: Resource): boolean {
  const gateways = asList(field(vs.object.spec, 'gateways')).map(String);
  return gateways.length === 0 || gateways.includes(MESH_GATEWAY);
}

export const conflictingMeshGatewayHostsAnalyzer: Analyzer = {
  name: 'virtualservice.ConflictingMeshGatewayHostsAnalyzer',
  description: 'Flags VirtualServices bound to the mesh gateway that define the same host',
  inputs: [K.VirtualService],
  messages: [MESSAGES.ConflictingMeshGatewayVirtualServiceHosts],
  analyze(ctx) {
    // `scope/fqdn` → the VirtualServices defining it, in input order (a VirtualService listing a
    // host twice is there twice, as upstream counts it).
    const byScopedHost = new Map<string, Resource[]>();
    for (const vs of ctx.list(K.VirtualService)) {
      if (!boundToMesh(vs)) continue;
      const hosts = asList(field(vs.object.spec, 'hosts')).map(String);
      for (const scope of exportScopes(exportToOf(vs), vs.namespace)) {
        for (const h of hosts) {
          const key = scopedFqdn(scope, vs.namespace, h);
          const list = byScopedHost.get(key);
          if (list) list.push(vs);
          else byScopedHost.set(key, [vs]);
        }
      }
    }
    const exportedToAll = new HostOverlapIndex<Resource>();
    for (const [key, list] of byScopedHost) {
      if (!key.startsWith(`${EXPORT_TO_ALL}/`)) continue;
      for (const vs of list) exportedToAll.add(key.slice(EXPORT_TO_ALL.length + 1), vs);
    }
    const reported = new Set<Resource>();
    for (const [key, list] of byScopedHost) {
      const slash = key.indexOf('/');
      const conflicting = key.slice(0, slash) === EXPORT_TO_ALL ? list : [...list, ...exportedToAll.overlapping(key.slice(slash + 1))];
      if (conflicting.length < 2) continue;
      const names = conflicting.map((vs) => `${vs.namespace}/${vs.name}`).join(',');
      for (const vs of conflicting) {
        if (reported.has(vs)) continue;
        reported.add(vs);
        ctx.report(MESSAGES.ConflictingMeshGatewayVirtualServiceHosts, { resource: vs, path: ['metadata', 'name'] }, names, key);
      }
    }
  },
};
