/**
 * conditions.ConditionAnalyzer: status conditions that report a failure (IST0171). Facts per Istio
 * 1.30.3 pkg/config/analysis/analyzers/conditions/conditions.go:
 * - only these condition types count, each when its status is "False": `istio.io/WaypointBound` on
 *   Services, ServiceEntries and WorkloadEntries; `ZtunnelAccepted` and `WaypointAccepted` on
 *   AuthorizationPolicies; `Accepted`, `Programmed` and `ResolvedRefs` on Kubernetes Gateways,
 *   HTTPRoutes and GRPCRoutes;
 * - an AuthorizationPolicy's `WaypointAccepted` with reason `PartiallyInvalid` counts whatever its
 *   status (the waypoint accepted only part of the policy);
 * - conditions are read from `status.conditions`, and for routes from every
 *   `status.parents[].conditions` (a Gateway's listener conditions are not read).
 * The finding names the condition's type, reason and message.
 */
import type { Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, asMap, field, type KindKey, type ObjectPath } from '../resource.js';

const WAYPOINT_BOUND = ['istio.io/WaypointBound'];
const GATEWAY_API = ['Accepted', 'Programmed', 'ResolvedRefs'];

/** The condition types whose "False" status each kind reports, and whether the kind is a route. */
const NEGATIVE: readonly { kind: KindKey; types: readonly string[]; route?: boolean }[] = [
  { kind: K.Service, types: WAYPOINT_BOUND },
  { kind: K.ServiceEntry, types: WAYPOINT_BOUND },
  { kind: K.WorkloadEntry, types: WAYPOINT_BOUND },
  { kind: K.AuthorizationPolicy, types: ['ZtunnelAccepted', 'WaypointAccepted'] },
  { kind: K.KubernetesGateway, types: GATEWAY_API },
  { kind: K.HTTPRoute, types: GATEWAY_API, route: true },
  { kind: K.GRPCRoute, types: GATEWAY_API, route: true },
];

/** Returns each condition of a status with its path: `status.conditions`, or a route's parents' conditions. */
function conditionsOf(status: unknown, route: boolean): { condition: Record<string, unknown>; path: ObjectPath }[] {
  if (!route) return asList(field(status, 'conditions')).map((c, i) => ({ condition: asMap(c), path: ['status', 'conditions', i] }));
  return asList(field(status, 'parents')).flatMap((parent, p) =>
    asList(field(parent, 'conditions')).map((c, i) => ({ condition: asMap(c), path: ['status', 'parents', p, 'conditions', i] })));
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export const conditionAnalyzer: Analyzer = {
  name: 'conditions.ConditionAnalyzer',
  description: 'Flags resources whose status holds a condition reporting a failure (waypoint binding, policy and Gateway API acceptance)',
  inputs: NEGATIVE.map((n) => n.kind),
  messages: [MESSAGES.NegativeConditionStatus],
  analyze(ctx) {
    for (const { kind, types, route } of NEGATIVE) {
      for (const r of ctx.list(kind)) {
        for (const { condition, path } of conditionsOf(r.object.status, route === true)) {
          const type = text(condition.type);
          const negative = types.includes(type) && condition.status === 'False';
          const partial = kind === K.AuthorizationPolicy && type === 'WaypointAccepted' && condition.reason === 'PartiallyInvalid';
          if (!negative && !partial) continue;
          ctx.report(MESSAGES.NegativeConditionStatus, { resource: r, path }, type, text(condition.reason), text(condition.message));
        }
      }
    }
  },
};
