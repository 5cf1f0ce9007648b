/**
 * applicationUID.Analyzer: workloads running as UID 1337, the sidecar proxy's user, whose traffic
 * the sidecar's iptables rules exempt from capture (IST0144). Facts per Istio 1.30.3
 * pkg/config/analysis/analyzers/deployment/pod.go: the pod-level and each container's
 * `securityContext.runAsUser` are checked, the `istio-proxy` and `istio-operator` containers and
 * init containers are not; Istio's own resources (label `istio`, or `release: istio`) are skipped.
 * Pods and Deployments are checked, as upstream; in file mode the pod templates of the other
 * workload kinds are too, since they stand in for pods.
 */
import type { Analyzer } from '../analyzer.js';
import { K, WORKLOAD_INPUTS } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { asList, asMap, field, getAt, labelsOf, type ObjectPath, type Resource } from '../resource.js';
import { ISTIO_PROXY } from './injection-in-mesh.js';

/** The UID the sidecar runs as (Istio's proxy UID). */
export const PROXY_UID = 1337;

/** Containers that may run as the proxy UID: the sidecar itself and the retired operator. */
const EXEMPT_CONTAINERS = new Set([ISTIO_PROXY, 'istio-operator']);

/** Returns true for Istio's own resources (IsIstioControlPlane: label `istio` or `release: istio`). */
function isIstioControlPlane(r: Resource): boolean {
  const labels = labelsOf(r);
  return Object.hasOwn(labels, 'istio') || labels.release === 'istio';
}

/**
 * Returns the paths (relative to the pod spec) of every `runAsUser` equal to 1337: the pod's
 * `securityContext.runAsUser`, then each non-exempt container's, in order.
 */
export function proxyUidPaths(podSpec: unknown): ObjectPath[] {
  const out: ObjectPath[] = [];
  if (getAt(podSpec, ['securityContext', 'runAsUser']) === PROXY_UID) out.push(['securityContext', 'runAsUser']);
  asList(field(podSpec, 'containers')).forEach((raw, i) => {
    const c = asMap(raw);
    if (typeof c.name === 'string' && EXEMPT_CONTAINERS.has(c.name)) return;
    if (getAt(c, ['securityContext', 'runAsUser']) === PROXY_UID) out.push(['containers', i, 'securityContext', 'runAsUser']);
  });
  return out;
}

export const applicationUidAnalyzer: Analyzer = {
  name: 'applicationUID.Analyzer',
  description: 'Flags pods and pod templates that run as UID 1337, the sidecar proxy\'s user',
  inputs: WORKLOAD_INPUTS,
  messages: [MESSAGES.InvalidApplicationUID],
  analyze(ctx) {
    const check = (r: Resource, templatePath: ObjectPath): void => {
      if (isIstioControlPlane(r)) return;
      // One finding per workload, at its first offending runAsUser: Istio reports the same
      // message once per setting and its de-duplication leaves one.
      const [first] = proxyUidPaths(getAt(r.object, [...templatePath, 'spec']));
      if (first) ctx.report(MESSAGES.InvalidApplicationUID, { resource: r, path: [...templatePath, 'spec', ...first] });
    };
    const seen = new Set<Resource>();
    for (const w of ctx.workloads()) {
      seen.add(w.resource);
      check(w.resource, w.templatePath);
    }
    // Against a cluster, templates do not stand in for pods, yet istioctl checks Deployments.
    for (const d of ctx.list(K.Deployment)) if (!seen.has(d)) check(d, ['spec', 'template']);
  },
};
