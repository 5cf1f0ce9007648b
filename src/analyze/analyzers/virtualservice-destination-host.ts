/**
 * virtualservice.DestinationHostAnalyzer: every route and mirror destination of a VirtualService
 * must resolve to a Service or ServiceEntry visible to the VirtualService (IST0101 `host` or
 * `mirror host`); a destination without a port must not point at a service with several ports
 * (IST0112), and a destination port must be one the service declares (IST0101 `host:port`).
 * Facts per Istio 1.30.3 analyzers/virtualservice/destinationhosts.go and util/service_lookup.go
 * (visibility rules in util/hosts.ts).
 *
 * IST0140: a VirtualService bound to gateways that routes (HTTP `route`, no subset) to a host which
 * some VirtualService, itself among them, splits into subsets for that same host (a destination
 * with a subset whose host is literally one of that VirtualService's hosts) gets one finding per
 * such destination, naming the splitting VirtualService: requests entering through the gateway go
 * to the host as a whole, so the subset routing does not apply to them. Hosts compare as written.
 */
import type { AnalysisContext, Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, field, type Resource } from '../resource.js';
import {
  destinationHost, exportToOf, mirrorDestinations, routeDestinations, ServiceHostIndex,
  type VirtualServiceDestination,
} from '../util/hosts.js';

export const virtualServiceDestinationHostAnalyzer: Analyzer = {
  name: 'virtualservice.DestinationHostAnalyzer',
  description: 'Flags route destinations that name an unknown host or port, or no port for a multi-port service',
  inputs: [K.ServiceEntry, K.VirtualService, K.Service],
  messages: [MESSAGES.ReferencedResourceNotFound, MESSAGES.VirtualServiceDestinationPortSelectorRequired, MESSAGES.IngressRouteRulesNotAffected],
  analyze(ctx) {
    const index = new ServiceHostIndex(ctx.list(K.ServiceEntry), ctx.list(K.Service));
    const splits = subsetRoutedHosts(ctx.list(K.VirtualService));
    for (const vs of ctx.list(K.VirtualService)) {
      checkIngressSubsets(ctx, vs, splits);
      const exportTo = exportToOf(vs);
      const check = (d: VirtualServiceDestination, refType: string): void => {
        const host = destinationHost(d.destination);
        const found = index.lookup(vs.namespace, exportTo, host);
        if (!found) ctx.report(MESSAGES.ReferencedResourceNotFound, { resource: vs, path: [...d.path, 'host'] }, refType, host);
        else checkPort(ctx, vs, d, host, found.ports);
      };
      for (const d of routeDestinations(vs)) check(d, 'host');
      for (const d of mirrorDestinations(vs)) check(d, 'mirror host');
    }
  },
};

/** One HTTP route destination: its host, subset and path. */
interface HttpRouteDestination {
  host: string;
  subset: string;
  path: (string | number)[];
}

/** Returns the HTTP `route` destinations of a VirtualService, in order. */
function httpRouteDestinations(vs: Resource): HttpRouteDestination[] {
  const out: HttpRouteDestination[] = [];
  asList(field(vs.object.spec, 'http')).forEach((rule, i) => {
    asList(field(rule, 'route')).forEach((route, j) => {
      const d = field(route, 'destination');
      const host = field(d, 'host');
      const subset = field(d, 'subset');
      out.push({
        host: typeof host === 'string' ? host : '', subset: typeof subset === 'string' ? subset : '',
        path: ['spec', 'http', i, 'route', j, 'destination', 'host'],
      });
    });
  });
  return out;
}

/**
 * Returns, per host, the VirtualServices (`namespace/name`, one entry per destination) that route
 * that host to a subset within their own hosts.
 */
function subsetRoutedHosts(virtualServices: readonly Resource[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const vs of virtualServices) {
    const hosts = new Set(asList(field(vs.object.spec, 'hosts')).map(String));
    for (const d of httpRouteDestinations(vs)) {
      if (d.subset === '' || !hosts.has(d.host)) continue;
      const list = out.get(d.host);
      if (list) list.push(`${vs.namespace}/${vs.name}`);
      else out.set(d.host, [`${vs.namespace}/${vs.name}`]);
    }
  }
  return out;
}

/** Reports IST0140 for the subset-less HTTP routes of a gateway-bound VirtualService (see the file comment). */
function checkIngressSubsets(ctx: AnalysisContext, vs: Resource, splits: ReadonlyMap<string, readonly string[]>): void {
  if (asList(field(vs.object.spec, 'gateways')).length === 0) return;
  for (const d of httpRouteDestinations(vs)) {
    if (d.subset !== '') continue;
    for (const splitter of splits.get(d.host) ?? []) {
      ctx.report(MESSAGES.IngressRouteRulesNotAffected, { resource: vs, path: d.path }, splitter, `${vs.namespace}/${vs.name}`);
    }
  }
}

/**
 * Reports a destination that names no port while the service has several (IST0112), or a port
 * the service does not declare (IST0101 `host:port`). A service with no ports accepts any
 * destination without a port, as upstream does.
 */
function checkPort(ctx: AnalysisContext, vs: Resource, d: VirtualServiceDestination, host: string, ports: readonly number[]): void {
  const port = d.destination.port;
  if (port === undefined || port === null) {
    if (ports.length > 1) {
      ctx.report(MESSAGES.VirtualServiceDestinationPortSelectorRequired, { resource: vs, path: [...d.path, 'host'] }, host, ports);
    }
    return;
  }
  const raw = field(port, 'number');
  const number = typeof raw === 'number' ? raw : 0;
  if (!ports.includes(number)) {
    ctx.report(MESSAGES.ReferencedResourceNotFound, { resource: vs, path: [...d.path, 'port', 'number'] }, 'host:port', `${host}:${number}`);
  }
}
