/**
 * deprecation.DeprecationAnalyzer: deprecated Istio types and fields (IST0002). Facts per Istio
 * 1.30.3 pkg/config/analysis/analyzers/deprecation/deprecation.go, which checks a fixed list:
 * - a VirtualService HTTP route's `fault.delay.percent` above 0 (replaced by
 *   `fault.delay.percentage`), once per route;
 * - a Sidecar's `outboundTrafficPolicy.egressProxy`, which Istio ignores;
 * - CustomResourceDefinitions of the removed `rbac.istio.io` kinds ClusterRbacConfig, RbacConfig,
 *   ServiceRole and ServiceRoleBinding.
 */
import type { Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, field, getAt } from '../resource.js';

/** Kinds of the `rbac.istio.io` group Istio removed; their CRDs are reported. */
const REMOVED_RBAC_KINDS: ReadonlySet<string> = new Set(['ClusterRbacConfig', 'RbacConfig', 'ServiceRole', 'ServiceRoleBinding']);

export const deprecationAnalyzer: Analyzer = {
  name: 'deprecation.DeprecationAnalyzer',
  description: 'Flags deprecated Istio fields in VirtualServices and Sidecars, and CRDs of removed Istio kinds',
  inputs: [K.VirtualService, K.Sidecar, K.CustomResourceDefinition],
  messages: [MESSAGES.Deprecated],
  analyze(ctx) {
    for (const vs of ctx.list(K.VirtualService)) {
      asList(field(vs.object.spec, 'http')).forEach((route, i) => {
        const percent = getAt(route, ['fault', 'delay', 'percent']);
        if (typeof percent === 'number' && percent > 0) {
          ctx.report(MESSAGES.Deprecated, { resource: vs, path: ['spec', 'http', i, 'fault', 'delay', 'percent'], key: true },
            'HTTPRoute.fault.delay.percent is deprecated; use HTTPRoute.fault.delay.percentage');
        }
      });
    }
    for (const sidecar of ctx.list(K.Sidecar)) {
      const proxy = getAt(sidecar.object, ['spec', 'outboundTrafficPolicy', 'egressProxy']);
      if (proxy !== undefined && proxy !== null) {
        ctx.report(MESSAGES.Deprecated, { resource: sidecar, path: ['spec', 'outboundTrafficPolicy', 'egressProxy'], key: true },
          'OutboundTrafficPolicy.EgressProxy ignored');
      }
    }
    for (const crd of ctx.list(K.CustomResourceDefinition)) {
      const group = getAt(crd.object, ['spec', 'group']);
      const kind = getAt(crd.object, ['spec', 'names', 'kind']);
      if (group === 'rbac.istio.io' && typeof kind === 'string' && REMOVED_RBAC_KINDS.has(kind)) {
        ctx.report(MESSAGES.Deprecated, { resource: crd, path: ['spec', 'names', 'kind'] }, `Custom resource type ${group} ${kind} is removed`);
      }
    }
  },
};
