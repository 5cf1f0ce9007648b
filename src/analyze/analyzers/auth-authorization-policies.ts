/**
 * auth.AuthorizationPoliciesAnalyzer: an AuthorizationPolicy that applies to no workload
 * (IST0127), and a source `namespaces` or `notNamespaces` entry that matches no Namespace
 * (IST0101 `namespace`). Facts per Istio 1.30.3 analyzers/authz/authorizationpolicies.go:
 * - only pods in the mesh count: a sidecar, a `sidecar.istio.io/inject` label or annotation, an
 *   `istio-injection=enabled` Namespace (analyzers/util in_mesh.go), or ambient redirection;
 * - a policy in the mesh config's root namespace is mesh-wide: without a selector it is never
 *   reported, with one it needs a matching pod in any namespace;
 * - elsewhere a policy without a selector needs some pod in its namespace, and one with a selector
 *   a matching pod in its namespace; a present but empty selector matches every pod;
 * - a namespace expression is `*`, `*suffix`, `prefix*` or a name compared case-insensitively, and
 *   is checked against the Namespace objects among the inputs only, so with none every expression
 *   is reported.
 * In file mode, pod templates stand in for pods, the assumed ingress gateway's included: it runs
 * the proxy and so is in the mesh, as a real ingress gateway is. Istio's stand-in pod for it has a
 * proxy container without an image, so istioctl reports IST0127 for a policy selecting the ingress
 * gateway in file mode and not against a cluster; meshctl reports it in neither.
 */
import type { AnalysisContext, Analyzer, WorkloadInstance } from '../analyzer.js';
import { K, WORKLOAD_INPUTS } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, field, stringMap, type Resource } from '../resource.js';
import { formatSelector } from '../util/labels.js';
import { WorkloadSelectorIndex } from './gateway-selection.js';
import { allContainers, inMesh } from './injection-in-mesh.js';
import { podInAmbientMode } from './sidecar-selector.js';

/** The root namespace Istio's mesh config defaults to (`DefaultMeshConfig`). */
const DEFAULT_ROOT_NAMESPACE = 'istio-system';

/**
 * Returns the mesh config's root namespace, where policies apply mesh-wide: `rootNamespace` of
 * `ctx.meshConfig`, `istio-system` when the mesh config has none.
 */
export function rootNamespace(ctx: AnalysisContext): string {
  const ns = ctx.meshConfig.rootNamespace;
  return typeof ns === 'string' ? ns : DEFAULT_ROOT_NAMESPACE;
}

/**
 * Returns true when namespace name `ns` matches an AuthorizationPolicy namespace expression `exp`:
 * `*` matches all, `*x` names ending in `x`, `x*` names starting with `x`, anything else the name
 * itself ignoring case (upstream namespaceMatch).
 */
export function namespaceExpressionMatches(ns: string, exp: string): boolean {
  if (exp === '*') return true;
  if (exp.startsWith('*')) return ns.endsWith(exp.slice(1));
  if (exp.endsWith('*')) return ns.startsWith(exp.slice(0, -1));
  return ns.toLowerCase() === exp.toLowerCase();
}

/** Returns true for a pod (or template) that has a sidecar or ambient redirection. */
function enrolled(ctx: AnalysisContext, w: WorkloadInstance): boolean {
  return podInAmbientMode(w)
    || inMesh(ctx, { namespace: w.namespace, labels: w.labels, annotations: w.annotations, containers: allContainers(w.podSpec) });
}

function reportNoWorkloads(ctx: AnalysisContext, ap: Resource, hasSelector: boolean, selector: Record<string, string>): void {
  const at = hasSelector
    ? { resource: ap, path: ['spec', 'selector', 'matchLabels'] }
    : { resource: ap, path: ['metadata', 'namespace'] };
  ctx.report(MESSAGES.NoMatchingWorkloadsFound, at, formatSelector(selector));
}

export const authorizationPoliciesAnalyzer: Analyzer = {
  name: 'auth.AuthorizationPoliciesAnalyzer',
  description: 'Flags AuthorizationPolicies that apply to no workload in the mesh or name namespaces that do not exist',
  inputs: [K.AuthorizationPolicy, K.Namespace, ...WORKLOAD_INPUTS],
  messages: [MESSAGES.NoMatchingWorkloadsFound, MESSAGES.ReferencedResourceNotFound],
  analyze(ctx) {
    const policies = ctx.list(K.AuthorizationPolicy);
    if (policies.length === 0) return;
    const meshPods = ctx.workloads().filter((w) => enrolled(ctx, w));
    const meshPodsByNamespace = new Map<string, WorkloadInstance[]>();
    for (const w of meshPods) {
      const list = meshPodsByNamespace.get(w.namespace);
      if (list) list.push(w);
      else meshPodsByNamespace.set(w.namespace, [w]);
    }
    const pods = new WorkloadSelectorIndex((ns) => (ns === undefined ? meshPods : meshPodsByNamespace.get(ns) ?? []));
    const root = rootNamespace(ctx);
    const namespaces = ctx.list(K.Namespace).map((n) => n.name);
    const lowerNames = new Set(namespaces.map((n) => n.toLowerCase()));
    const known = (exp: string): boolean => (exp.includes('*')
      ? namespaces.some((ns) => namespaceExpressionMatches(ns, exp))
      : lowerNames.has(exp.toLowerCase()));

    for (const ap of policies) {
      const rawSelector = field(ap.object.spec, 'selector');
      const hasSelector = rawSelector !== null && typeof rawSelector === 'object';
      const selector = stringMap(field(rawSelector, 'matchLabels'));
      if (ap.namespace === root) {
        if (hasSelector && pods.select(selector).length === 0) reportNoWorkloads(ctx, ap, true, selector);
      } else if (pods.select(hasSelector ? selector : {}, ap.namespace).length === 0) {
        reportNoWorkloads(ctx, ap, hasSelector, selector);
      }

      asList(field(ap.object.spec, 'rules')).forEach((rule, i) => {
        asList(field(rule, 'from')).forEach((from, j) => {
          const source = field(from, 'source');
          for (const list of ['namespaces', 'notNamespaces'] as const) {
            asList(field(source, list)).forEach((raw, k) => {
              const exp = String(raw);
              if (known(exp)) return;
              ctx.report(MESSAGES.ReferencedResourceNotFound,
                { resource: ap, path: ['spec', 'rules', i, 'from', j, 'source', list, k] }, 'namespace', exp);
            });
          }
        });
      });
    }
  },
};
