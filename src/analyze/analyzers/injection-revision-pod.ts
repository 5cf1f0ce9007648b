/**
 * injection.PodRevisionAnalyzer (meshctl's own, MSH0005): a running pod whose sidecar comes from
 * a control plane revision other than the one its namespace now selects. Istio 1.30.3 has no such
 * check (pkg/config/analysis/analyzers/injection/injection.go; msg/messages.yaml has no revision
 * message); istioctl shows the revision per proxy only in `proxy-status` and `x describe`.
 *
 * - Only Pod objects count: a workload template is not a running proxy.
 * - The namespace's selection follows src/analyze/util/revisions.ts: `istio.io/rev=<name>`
 *   (a tag resolved to its revision), or for `istio-injection=enabled` the `default` tag's
 *   revision, else the default revision. Namespaces that select nothing, or something that does
 *   not exist (MSH0004 covers those), and ambient namespaces are skipped; so is everything while
 *   the analysis holds no injector webhook configuration (nothing is known about revisions).
 * - The pod's sidecar revision is the `revision` of its `sidecar.istio.io/status` annotation
 *   (what injection recorded), else its `istio.io/rev` annotation (which injection also writes,
 *   and which istioctl's `x describe` reads first; the two agree on injected pods), else its
 *   `istio.io/rev` label; an empty value is the default revision. A pod naming no revision is
 *   skipped.
 * - Skipped as injection.Analyzer skips them: pods without an `istio-proxy` container with an
 *   image (IST0103 covers those), pods that opt out with `sidecar.istio.io/inject` "false" (label
 *   over annotation, any case; gateways run their proxy so), pods on the host network.
 *
 * Level Info: in a canary upgrade this is the expected state between relabelling a namespace (or
 * moving its tag) and restarting its workloads, and the pod works meanwhile, served by its own
 * revision's istiod. The message says when that revision is no longer installed (the proxy has no
 * control plane then) and gives the restart command: `kubectl rollout restart` of the pod's
 * Deployment (found through its ReplicaSet and `pod-template-hash`), StatefulSet or DaemonSet;
 * other pods are deleted so that their controller, or the user, creates them again.
 */
import type { Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { annotationsOf, asList, asMap, field, labelsOf, type ObjectPath, type Resource } from '../resource.js';
import { DEFAULT_REVISION, hasInjectorWebhooks, INJECTION_LABEL, namespaceSelection, REV_LABEL, type NamespaceSelection } from '../util/revisions.js';
import { allContainers, DATAPLANE_MODE_LABEL, hasIstioProxy, SIDECAR_INJECT } from './injection-in-mesh.js';
import { revisionStateIn } from './injection-revision-namespace.js';

/** The annotation injection records what it added in, with the revision that injected. */
const SIDECAR_STATUS = 'sidecar.istio.io/status';

/** Returns the revision a pod's sidecar came from and where the pod says so, or undefined. */
export function podRevision(pod: Resource): { revision: string; path: ObjectPath } | undefined {
  const annotations = annotationsOf(pod);
  const status = annotations[SIDECAR_STATUS];
  if (status !== undefined) {
    try {
      const revision = field(JSON.parse(status), 'revision');
      if (typeof revision === 'string') return { revision: revision || DEFAULT_REVISION, path: ['metadata', 'annotations', SIDECAR_STATUS] };
    } catch {
      // An unreadable status says nothing; the other places may.
    }
  }
  const annotated = annotations[REV_LABEL];
  if (annotated !== undefined) return { revision: annotated || DEFAULT_REVISION, path: ['metadata', 'annotations', REV_LABEL] };
  const labelled = labelsOf(pod)[REV_LABEL];
  if (labelled !== undefined) return { revision: labelled || DEFAULT_REVISION, path: ['metadata', 'labels', REV_LABEL] };
  return undefined;
}

/** Returns the command that recreates a pod from its workload's current template. */
export function restartCommand(pod: Resource): string {
  const owners = asList(field(pod.object.metadata, 'ownerReferences')).map(asMap);
  const owner = owners.find((o) => o.controller === true) ?? owners[0];
  const kind = typeof owner?.kind === 'string' ? owner.kind : '';
  const name = typeof owner?.name === 'string' ? owner.name : '';
  const ns = `-n ${pod.namespace}`;
  if (kind === 'ReplicaSet') {
    const hash = labelsOf(pod)['pod-template-hash'];
    if (hash && name.endsWith(`-${hash}`)) return `kubectl rollout restart deployment/${name.slice(0, -hash.length - 1)} ${ns}`;
  }
  if ((kind === 'StatefulSet' || kind === 'DaemonSet') && name) return `kubectl rollout restart ${kind.toLowerCase()}/${name} ${ns}`;
  return `kubectl delete pod ${pod.name} ${ns}${owner ? '' : ', then create it again'}`;
}

/** Returns how a namespace came to select its revision, for the message (`istio.io/rev=prod, tag "prod"`). */
function describeSelection(s: NamespaceSelection): string {
  if (s.tag !== undefined) return `${s.label}, tag "${s.tag}"`;
  return s.label.startsWith(`${INJECTION_LABEL}=`) ? `${s.label}, the default revision` : s.label;
}

export const podRevisionAnalyzer: Analyzer = {
  name: 'injection.PodRevisionAnalyzer',
  description: 'Flags pods whose sidecar comes from a revision other than the one their namespace selects',
  inputs: [K.MutatingWebhookConfiguration, K.Service, K.Namespace, K.Pod],
  messages: [MESSAGES.PodRevisionMismatch],
  analyze(ctx) {
    const state = revisionStateIn(ctx);
    if (!hasInjectorWebhooks(state)) return;
    const installed = new Set(state.revisions.map((r) => r.revision));
    const selections = new Map<string, NamespaceSelection | undefined>();
    const selectionOf = (namespace: string): NamespaceSelection | undefined => {
      if (!selections.has(namespace)) {
        const ns = ctx.get(K.Namespace, '', namespace);
        const labels = ns ? labelsOf(ns) : {};
        selections.set(namespace, ns && labels[DATAPLANE_MODE_LABEL] !== 'ambient' ? namespaceSelection(state, labels) : undefined);
      }
      return selections.get(namespace);
    };
    for (const pod of ctx.list(K.Pod)) {
      const selection = selectionOf(pod.namespace);
      if (selection?.revision === undefined) continue;
      const choice = labelsOf(pod)[SIDECAR_INJECT] ?? annotationsOf(pod)[SIDECAR_INJECT] ?? '';
      if (choice.toLowerCase() === 'false') continue;
      const spec = asMap(pod.object.spec);
      if (spec.hostNetwork === true || !hasIstioProxy(allContainers(spec))) continue;
      const own = podRevision(pod);
      if (!own || own.revision === selection.revision) continue;
      ctx.report(MESSAGES.PodRevisionMismatch, { resource: pod, path: own.path },
        own.revision, installed.has(own.revision) ? '' : ', which is no longer installed', pod.namespace, selection.revision,
        describeSelection(selection), restartCommand(pod));
    }
  },
};
