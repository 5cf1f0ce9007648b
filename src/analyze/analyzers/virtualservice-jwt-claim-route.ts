/**
 * virtualservice.JWTClaimRouteAnalyzer: a VirtualService that routes on JWT claims
 * (`@request.auth.claims.<name>` or `@request.auth.claims[<name>]` header matches) at a Gateway
 * needs a RequestAuthentication on each of that Gateway's pods, or the claims are never there
 * (IST0149, once per gateway and pod). Facts per Istio 1.30.3
 * analyzers/virtualservice/jwtclaimroute.go and pkg/jwt/routing.go:
 * - the claim key is the first `headers` or `withoutHeaders` key of any match that names a claim
 *   (prefix compared case-insensitively, then a `.name` or a `[name]` part);
 * - `mesh` and Gateways that are not among the inputs are skipped (gateway.GatewayAnalyzer
 *   reports those); a Gateway's pods are those of any namespace its selector matches;
 * - a pod is covered by a RequestAuthentication in `istio-system` (upstream names this namespace,
 *   not the mesh config's root namespace) or in the pod's own namespace whose
 *   `selector.matchLabels` matches it (no selector matches every pod).
 * The finding points at the `gateways` entry. In file mode, pod templates stand in for pods.
 */
import type { Analyzer } from '../analyzer.js';
import { K, WORKLOAD_INPUTS } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, asMap, field, getAt, stringMap } from '../resource.js';
import { MESH_GATEWAY, shortOrFullName } from '../util/hosts.js';
import { matchesLabels } from '../util/labels.js';
import { WorkloadSelectorIndex } from './gateway-selection.js';

/** The header prefix that makes a VirtualService match on a JWT claim. */
const CLAIM_HEADER = '@request.auth.claims';
/** The namespace upstream always consults for RequestAuthentications besides the pod's own. */
const ISTIO_SYSTEM = 'istio-system';

/**
 * Returns true when a header name refers to a JWT claim: `@request.auth.claims` (any case)
 * followed by `.` and a name, or by `[`, a name and `]`.
 */
export function isClaimHeader(header: string): boolean {
  if (!header.toLowerCase().startsWith(CLAIM_HEADER)) return false;
  const rest = header.slice(CLAIM_HEADER.length);
  if (rest.startsWith('.')) return rest.length > 1;
  return rest.startsWith('[') && rest.endsWith(']') && rest.length > 2;
}

/** Returns the first claim header a VirtualService's HTTP matches use, or undefined. */
export function claimRouteKey(vs: unknown): string | undefined {
  for (const route of asList(getAt(vs, ['spec', 'http']))) {
    for (const match of asList(field(route, 'match'))) {
      for (const list of ['headers', 'withoutHeaders']) {
        const key = Object.keys(asMap(field(match, list))).find(isClaimHeader);
        if (key !== undefined) return key;
      }
    }
  }
  return undefined;
}

export const jwtClaimRouteAnalyzer: Analyzer = {
  name: 'virtualservice.JWTClaimRouteAnalyzer',
  description: 'Flags VirtualServices routing on JWT claims at gateways whose pods no RequestAuthentication covers',
  inputs: [K.VirtualService, K.RequestAuthentication, K.Gateway, ...WORKLOAD_INPUTS],
  messages: [MESSAGES.JwtClaimBasedRoutingWithoutRequestAuthN],
  analyze(ctx) {
    const selectorsByNamespace = new Map<string, Record<string, string>[]>();
    for (const ra of ctx.list(K.RequestAuthentication)) {
      let list = selectorsByNamespace.get(ra.namespace);
      if (!list) selectorsByNamespace.set(ra.namespace, (list = []));
      list.push(stringMap(getAt(ra.object, ['spec', 'selector', 'matchLabels'])));
    }
    const pods = new WorkloadSelectorIndex((ns) => ctx.workloads(ns));
    for (const vs of ctx.list(K.VirtualService)) {
      const key = claimRouteKey(vs.object);
      if (key === undefined) continue;
      const reported = new Set<string>();
      asList(field(vs.object.spec, 'gateways')).forEach((raw, i) => {
        const ref = String(raw);
        if (ref === MESH_GATEWAY) return;
        const gwName = shortOrFullName(vs.namespace, ref);
        const gateway = ctx.get(K.Gateway, gwName.namespace, gwName.name);
        if (!gateway) return;
        const gwText = gwName.namespace ? `${gwName.namespace}/${gwName.name}` : gwName.name;
        for (const pod of pods.select(stringMap(field(gateway.object.spec, 'selector')))) {
          const selectors = [...selectorsByNamespace.get(ISTIO_SYSTEM) ?? [], ...selectorsByNamespace.get(pod.namespace) ?? []];
          if (selectors.some((s) => matchesLabels(s, pod.labels))) continue;
          const podName = pod.resource.name;
          const id = `${gwText}\u0000${podName}`;
          if (reported.has(id)) continue;
          reported.add(id);
          ctx.report(MESSAGES.JwtClaimBasedRoutingWithoutRequestAuthN, { resource: vs, path: ['spec', 'gateways', i] }, key, gwText, podName);
        }
      });
    }
  },
};
