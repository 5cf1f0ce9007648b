/**
 * virtualservice.DestinationHostAnalyzer: every route and mirror destination of a VirtualService
 * must resolve to a Service or ServiceEntry visible to the VirtualService (IST0101 `host` or
 * `mirror host`); a destination without a port must not point at a service with several ports
 * (IST0112), and a destination port must be one the service declares (IST0101 `host:port`).
 * Facts per Istio 1.30.3 analyzers/virtualservice/destinationhosts.go and util/service_lookup.go
 * (visibility rules in util/hosts.ts). IST0140 (subsets on ingress routes) is not checked.
 */
import type { AnalysisContext, Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { field, type Resource } from '../resource.js';
import {
  destinationHost, exportToOf, mirrorDestinations, routeDestinations, ServiceHostIndex,
  type VirtualServiceDestination,
} from '../util/hosts.js';

export const virtualServiceDestinationHostAnalyzer: Analyzer = {
  name: 'virtualservice.DestinationHostAnalyzer',
  description: 'Flags route destinations that name an unknown host or port, or no port for a multi-port service',
  inputs: [K.ServiceEntry, K.VirtualService, K.Service],
  messages: [MESSAGES.ReferencedResourceNotFound, MESSAGES.VirtualServiceDestinationPortSelectorRequired],
  analyze(ctx) {
    const index = new ServiceHostIndex(ctx.list(K.ServiceEntry), ctx.list(K.Service));
    for (const vs of ctx.list(K.VirtualService)) {
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
