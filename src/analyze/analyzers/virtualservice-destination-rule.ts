/**
 * virtualservice.DestinationRuleAnalyzer: a route or mirror destination that names a subset needs a
 * DestinationRule for the same host defining that subset (IST0101 `host+subset in destinationrule`
 * or `mirror+subset in destinationrule`, argument `host+subset` as written). Facts per Istio 1.30.3
 * analyzers/virtualservice/destinationrules.go: hosts are compared as the Service they name
 * (util.GetResourceNameFromHost), short names in the namespace of the resource that writes them;
 * DestinationRule exportTo is not consulted.
 */
import type { Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, field } from '../resource.js';
import {
  destinationHost, destinationSubset, mirrorDestinations, resourceNameFromHost, routeDestinations,
  type VirtualServiceDestination,
} from '../util/hosts.js';

/** Returns the key of a host (as the Service it names, seen from `namespace`) and a subset name. */
function subsetKey(namespace: string, host: string, subset: string): string {
  const n = resourceNameFromHost(namespace, host);
  return `${n.namespace}\u0000${n.name}\u0000${subset}`;
}

export const virtualServiceDestinationRuleAnalyzer: Analyzer = {
  name: 'virtualservice.DestinationRuleAnalyzer',
  description: 'Flags route destinations that name a subset no DestinationRule defines',
  inputs: [K.VirtualService, K.DestinationRule],
  messages: [MESSAGES.ReferencedResourceNotFound],
  analyze(ctx) {
    const defined = new Set<string>();
    for (const dr of ctx.list(K.DestinationRule)) {
      const host = String(field(dr.object.spec, 'host') ?? '');
      for (const s of asList(field(dr.object.spec, 'subsets'))) {
        defined.add(subsetKey(dr.namespace, host, String(field(s, 'name') ?? '')));
      }
    }
    for (const vs of ctx.list(K.VirtualService)) {
      const check = (d: VirtualServiceDestination, refType: string): void => {
        const subset = destinationSubset(d.destination);
        if (subset === '') return;
        const host = destinationHost(d.destination);
        if (defined.has(subsetKey(vs.namespace, host, subset))) return;
        ctx.report(MESSAGES.ReferencedResourceNotFound, { resource: vs, path: [...d.path, 'subset'] }, refType, `${host}+${subset}`);
      };
      for (const d of routeDestinations(vs)) check(d, 'host+subset in destinationrule');
      for (const d of mirrorDestinations(vs)) check(d, 'mirror+subset in destinationrule');
    }
  },
};
