/**
 * injection.Analyzer: how namespaces ask for sidecar injection and whether their pods got it.
 * Facts per Istio 1.30.3 pkg/config/analysis/analyzers/injection/injection.go:
 * - the control-plane namespace is skipped (and the system namespaces istioctl never loads);
 * - IST0123 when more than one of `istio-injection`, `istio.io/rev`, `istio.io/dataplane-mode` is
 *   set, where the latter two count only while `istio-injection` is absent or `enabled`;
 * - ambient namespaces (`istio.io/dataplane-mode=ambient`) need no sidecar: nothing more is said;
 * - a namespace with neither `istio-injection` (non-empty) nor `istio.io/rev` gets IST0102, or
 *   IST0148 when the injector's values set `sidecarInjectorWebhook.enableNamespacesByDefault`;
 * - Pod objects (not workload templates: a template is not a pod that failed injection) in
 *   `istio-injection=enabled` namespaces without an `istio-proxy` container with an image get
 *   IST0103, unless the pod opts out with `sidecar.istio.io/inject` "false" (label over annotation,
 *   any case) or runs on the host network. `istio.io/rev` namespaces are not checked, as upstream.
 */
import type { AnalysisContext, Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { annotationsOf, asMap, field, labelsOf } from '../resource.js';
import { IGNORED_NAMESPACES } from '../../inject/kinds.js';
import { allContainers, DATAPLANE_MODE_LABEL, hasIstioProxy, INJECTION_LABEL, REVISION_LABEL, SIDECAR_INJECT } from './injection-in-mesh.js';

/** The injector ConfigMap of the default revision, whose `values` hold the webhook settings. */
const INJECTOR_CONFIGMAP = 'istio-sidecar-injector';

/**
 * Returns the injection labels of a namespace as `key=value` strings in Istio's order, counting
 * `istio.io/rev` and `istio.io/dataplane-mode` only while `istio-injection` is absent or
 * `enabled` (a disabled namespace may keep a stale revision label without conflict).
 */
export function injectionLabels(labels: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  const legacy = labels[INJECTION_LABEL];
  if (legacy !== undefined) out.push(`${INJECTION_LABEL}=${legacy}`);
  for (const l of [REVISION_LABEL, DATAPLANE_MODE_LABEL]) {
    if (labels[l] !== undefined && (legacy === undefined || legacy === 'enabled')) out.push(`${l}=${labels[l]}`);
  }
  return out;
}

/**
 * Returns true when the injector ConfigMap's `values` JSON sets
 * `sidecarInjectorWebhook.enableNamespacesByDefault` to true. Istio looks the ConfigMap up by
 * name in any namespace; the control-plane namespace's copy is preferred here. Unreadable values
 * count as false.
 */
export function namespacesInjectedByDefault(ctx: AnalysisContext): boolean {
  const cm = ctx.get(K.ConfigMap, ctx.istioNamespace, INJECTOR_CONFIGMAP)
    ?? ctx.list(K.ConfigMap).find((c) => c.name === INJECTOR_CONFIGMAP);
  const text = field(cm?.object.data, 'values');
  if (typeof text !== 'string') return false;
  try {
    return field(field(JSON.parse(text), 'sidecarInjectorWebhook'), 'enableNamespacesByDefault') === true;
  } catch {
    return false;
  }
}

export const injectionAnalyzer: Analyzer = {
  name: 'injection.Analyzer',
  description: 'Flags namespaces without (or with conflicting) injection labels and pods missing their sidecar',
  inputs: [K.Namespace, K.Pod, K.ConfigMap],
  messages: [MESSAGES.NamespaceNotInjected, MESSAGES.PodMissingProxy, MESSAGES.NamespaceMultipleInjectionLabels,
    MESSAGES.NamespaceInjectionEnabledByDefault],
  analyze(ctx) {
    let byDefault: boolean | undefined;
    const injected = new Set<string>();
    for (const ns of ctx.list(K.Namespace)) {
      const name = ns.name;
      if (name === 'istio-system' || name === ctx.istioNamespace || IGNORED_NAMESPACES.includes(name)) continue;
      const labels = labelsOf(ns);
      const found = injectionLabels(labels);
      if (found.length > 1) ctx.report(MESSAGES.NamespaceMultipleInjectionLabels, { resource: ns, path: ['metadata', 'labels'], key: true }, found);
      if (labels[DATAPLANE_MODE_LABEL] === 'ambient') continue;
      const legacy = labels[INJECTION_LABEL] ?? '';
      if (legacy === '' && labels[REVISION_LABEL] === undefined) {
        byDefault ??= namespacesInjectedByDefault(ctx);
        const at = { resource: ns, path: ['metadata', 'name'] };
        if (byDefault) ctx.report(MESSAGES.NamespaceInjectionEnabledByDefault, at);
        else ctx.report(MESSAGES.NamespaceNotInjected, at, name, name);
        continue;
      }
      if (legacy === 'enabled') injected.add(name);
    }
    if (injected.size === 0) return;
    for (const pod of ctx.list(K.Pod)) {
      if (!injected.has(pod.namespace)) continue;
      const labels = labelsOf(pod);
      const choice = labels[SIDECAR_INJECT] ?? annotationsOf(pod)[SIDECAR_INJECT] ?? '';
      if (choice.toLowerCase() === 'false') continue;
      const spec = asMap(pod.object.spec);
      if (spec.hostNetwork === true) continue;
      if (!hasIstioProxy(allContainers(spec))) {
        ctx.report(MESSAGES.PodMissingProxy, { resource: pod, path: ['spec', 'containers'], key: true }, `${pod.namespace}/${pod.name}`);
      }
    }
  },
};
