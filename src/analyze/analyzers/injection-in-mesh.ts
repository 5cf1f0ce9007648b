/**
 * Shared injection facts for the workload analyzers: the label and container names Istio's
 * analyzers look for, and the "in mesh" rule (Istio 1.30.3 pkg/config/analysis/analyzers/util
 * in_mesh.go and constants.go). Not an analyzer itself.
 */
import type { AnalysisContext } from '../analyzer.js';
import { K } from '../kinds.js';
import { asList, asMap, labelsOf } from '../resource.js';

/** Name of the sidecar container injection adds. */
export const ISTIO_PROXY = 'istio-proxy';
/** The namespace label that turns on injection with the default revision. */
export const INJECTION_LABEL = 'istio-injection';
/** The namespace label that selects a control-plane revision (and turns on injection). */
export const REVISION_LABEL = 'istio.io/rev';
/** The namespace label that selects the data-plane mode (`ambient` has no sidecars). */
export const DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode';
/** The pod label (and deprecated annotation) that opts a workload in or out of injection. */
export const SIDECAR_INJECT = 'sidecar.istio.io/inject';

/**
 * Returns true when a container list (plain maps, as in a pod spec) has a container named
 * `istio-proxy` with a non-empty image: an injected sidecar, as Istio's `hasIstioProxy` decides.
 */
export function hasIstioProxy(containers: readonly unknown[]): boolean {
  const proxy = containers.map(asMap).find((c) => c.name === ISTIO_PROXY);
  return proxy !== undefined && typeof proxy.image === 'string' && proxy.image !== '';
}

/** What the in-mesh rule looks at for one pod or pod template. */
export interface MeshCandidate {
  namespace: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  /** The containers to search for the sidecar (Istio looks only at `containers` for Deployments). */
  containers: readonly unknown[];
}

/**
 * Returns true when a workload is in the mesh, in Istio's order of precedence: it already runs
 * the sidecar; else its `sidecar.istio.io/inject` label decides (`"true"` only); else the same
 * annotation; else the `istio-injection=enabled` label of its Namespace, when that Namespace is
 * among the resources. A workload whose Namespace is absent and that says nothing is not in the
 * mesh, as upstream decides; `istio.io/rev` namespaces do not count (upstream checks only the
 * legacy label). Needs `Namespace` among the caller's inputs.
 */
export function inMesh(ctx: AnalysisContext, w: MeshCandidate): boolean {
  if (hasIstioProxy(w.containers)) return true;
  if (Object.hasOwn(w.labels, SIDECAR_INJECT)) return w.labels[SIDECAR_INJECT] === 'true';
  if (Object.hasOwn(w.annotations, SIDECAR_INJECT)) return w.annotations[SIDECAR_INJECT] === 'true';
  const ns = ctx.get(K.Namespace, '', w.namespace);
  return ns !== undefined && labelsOf(ns)[INJECTION_LABEL] === 'enabled';
}

/** Returns the containers of a pod spec followed by its init containers (native sidecars live there). */
export function allContainers(podSpec: Readonly<Record<string, unknown>>): unknown[] {
  return [...asList(podSpec.containers), ...asList(podSpec.initContainers)];
}
