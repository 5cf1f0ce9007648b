/**
 * Ambient mode and kube-inject. A pod that Istio's ambient data plane captures carries no sidecar:
 * in a cluster that is how the pieces fit together, not one check. Per Istio 1.30.3:
 * - the sidecar injector's MutatingWebhookConfiguration (istio-discovery chart,
 *   templates/mutatingwebhook.yaml) calls istiod only for pods its namespace and object selectors
 *   pick (`istio-injection`, `istio.io/rev`, `sidecar.istio.io/inject`); `istio.io/dataplane-mode`
 *   is in none of them, and istiod's own check (pkg/kube/inject injectRequired) never reads it;
 * - istio-cni enrolls a pod in ambient mode by its enablement selectors (istio-cni chart,
 *   `ambient.enablementSelectors`: the pod labelled `istio.io/dataplane-mode: ambient`, or its
 *   namespace so labelled while the pod's label is not `none`), and never a pod that has a sidecar
 *   (cni/pkg/util enablement_selector.go: a `sidecar.istio.io/status` annotation opts it out).
 * So a pod in a namespace labelled only `istio.io/dataplane-mode=ambient` gets no sidecar, while
 * one whose namespace or own labels also select the injector gets a sidecar and stays out of
 * ambient mode. istioctl's kube-inject reads no namespace and injects either way; meshctl skips
 * the pods that ambient mode would capture and no injector webhook would pick.
 */
import { isObject, type Json } from '../manifest/objects.js';

/** The label that puts a namespace or a pod in ambient mode (`ambient`) or keeps a pod out (`none`). */
export const DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode';
const INJECTION_LABEL = 'istio-injection';
const REVISION_LABEL = 'istio.io/rev';
const SIDECAR_INJECT = 'sidecar.istio.io/inject';
/** The label Kubernetes gives every Namespace, holding its name. */
const NAME_LABEL = 'kubernetes.io/metadata.name';

type Labels = Readonly<Record<string, string>>;

/**
 * One requirement of a webhook selector. `Revision` stands for the chart's `In [<revision>]`:
 * whichever revisions a cluster has, any non-empty value may name one, so any counts here.
 */
type Requirement = readonly [key: string, operator: 'In' | 'NotIn' | 'DoesNotExist' | 'Revision', values?: readonly string[]];

interface WebhookSelectors {
  /** The webhook's name prefix in the chart. */
  name: string;
  namespace: readonly Requirement[];
  object: readonly Requirement[];
  /** Rendered only with `sidecarInjectorWebhook.enableNamespacesByDefault`. */
  byDefaultOnly?: true;
}

/**
 * The injector webhooks' selectors, as the istio-discovery chart of Istio 1.30.3 renders them for
 * a revision (`rev.*`) and for the default revision (the rest).
 */
const INJECTOR_WEBHOOKS: readonly WebhookSelectors[] = [
  { name: 'rev.namespace', namespace: [[REVISION_LABEL, 'Revision'], [INJECTION_LABEL, 'DoesNotExist']], object: [[SIDECAR_INJECT, 'NotIn', ['false']]] },
  {
    name: 'rev.object',
    namespace: [[REVISION_LABEL, 'DoesNotExist'], [INJECTION_LABEL, 'DoesNotExist']],
    object: [[SIDECAR_INJECT, 'NotIn', ['false']], [REVISION_LABEL, 'Revision']],
  },
  { name: 'namespace', namespace: [[INJECTION_LABEL, 'In', ['enabled']]], object: [[SIDECAR_INJECT, 'NotIn', ['false']]] },
  {
    name: 'object',
    namespace: [[INJECTION_LABEL, 'DoesNotExist'], [REVISION_LABEL, 'DoesNotExist']],
    object: [[SIDECAR_INJECT, 'In', ['true']], [REVISION_LABEL, 'DoesNotExist']],
  },
  {
    name: 'auto',
    byDefaultOnly: true,
    namespace: [[INJECTION_LABEL, 'DoesNotExist'], [REVISION_LABEL, 'DoesNotExist'], [NAME_LABEL, 'NotIn', ['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']]],
    object: [[SIDECAR_INJECT, 'DoesNotExist'], [REVISION_LABEL, 'DoesNotExist']],
  },
];

function meets(labels: Labels, [key, operator, values = []]: Requirement): boolean {
  const has = Object.hasOwn(labels, key);
  switch (operator) {
    case 'In': return has && values.includes(labels[key]!);
    case 'NotIn': return !has || !values.includes(labels[key]!);
    case 'DoesNotExist': return !has;
    case 'Revision': return has && labels[key] !== '';
  }
}

/**
 * Returns the name of the first sidecar injector webhook whose selectors pick a pod with
 * `podLabels` in namespace `namespace` with `namespaceLabels`, or undefined when none does (the
 * API server would then not ask istiod to inject it). `enableNamespacesByDefault` is the
 * injector's `sidecarInjectorWebhook.enableNamespacesByDefault`, which adds the `auto` webhook.
 */
export function injectorWebhookFor(namespace: string, namespaceLabels: Labels, podLabels: Labels, enableNamespacesByDefault: boolean): string | undefined {
  const ns = { ...namespaceLabels, [NAME_LABEL]: namespace };
  return INJECTOR_WEBHOOKS.find((w) => (enableNamespacesByDefault || !w.byDefaultOnly)
    && w.namespace.every((r) => meets(ns, r)) && w.object.every((r) => meets(podLabels, r)))?.name;
}

/**
 * Returns why the ambient data plane captures a pod (istio-cni's default enablement selectors),
 * or undefined when it does not: the pod's own `istio.io/dataplane-mode: ambient` label, or its
 * namespace's unless the pod's label is `none`. A pod with a sidecar (`sidecar.istio.io/status`)
 * is never captured.
 */
export function ambientCapture(namespace: string, namespaceLabels: Labels, podLabels: Labels, podAnnotations: Labels): string | undefined {
  if ('sidecar.istio.io/status' in podAnnotations) return undefined;
  if (podLabels[DATAPLANE_MODE_LABEL] === 'ambient') return `label ${DATAPLANE_MODE_LABEL}: "ambient"`;
  if (namespaceLabels[DATAPLANE_MODE_LABEL] === 'ambient' && podLabels[DATAPLANE_MODE_LABEL] !== 'none') {
    return `namespace "${namespace}" labelled ${DATAPLANE_MODE_LABEL}=ambient`;
  }
  return undefined;
}

/**
 * Returns why kube-inject leaves a pod to ambient mode, or undefined to inject it: ambient mode
 * captures the pod (ambientCapture) and no injector webhook picks it (injectorWebhookFor), so in
 * the cluster it would run without a sidecar. `namespaceLabels` is undefined when the namespace is
 * not known (no cluster, no Namespace document): only the pod's labels decide then.
 */
export function ambientSkipDetail(
  namespace: string, namespaceLabels: Labels | undefined, podLabels: Labels, podAnnotations: Labels, enableNamespacesByDefault: boolean,
): string | undefined {
  const nsLabels = namespaceLabels ?? {};
  const capture = ambientCapture(namespace, nsLabels, podLabels, podAnnotations);
  if (capture === undefined) return undefined;
  return injectorWebhookFor(namespace, nsLabels, podLabels, enableNamespacesByDefault) === undefined ? capture : undefined;
}

/**
 * Returns the labels of every Namespace object in a document (recursing into `kind: List`
 * items), by name, added to `into`. Labels that are not strings are left out.
 */
export function collectNamespaceLabels(data: Json | undefined, into: Map<string, Record<string, string>>): void {
  if (!isObject(data)) return;
  if (data.kind === 'List' && Array.isArray(data.items)) {
    for (const item of data.items) collectNamespaceLabels(item, into);
    return;
  }
  if (data.kind !== 'Namespace' || !isObject(data.metadata) || typeof data.metadata.name !== 'string') return;
  const labels: Record<string, string> = {};
  if (isObject(data.metadata.labels)) {
    for (const [k, v] of Object.entries(data.metadata.labels)) if (typeof v === 'string') labels[k] = v;
  }
  into.set(data.metadata.name, labels);
}
