/**
 * injection.NamespaceRevisionAnalyzer (meshctl's own, MSH0004): a namespace whose injection label
 * selects a control plane revision or revision tag that does not exist. Istio 1.30.3 has no such
 * check (pkg/config/analysis/analyzers/injection/injection.go reports only IST0102, IST0103, IST0123
 * and IST0148; msg/messages.yaml has no revision message), and it is the most common leftover of a
 * canary upgrade: a namespace still labelled for a revision that was uninstalled, or for a tag that
 * was never set or was removed.
 *
 * Revisions and tags are what the MutatingWebhookConfigurations and the Services of the Istio
 * namespace in the analysis record (src/analyze/util/revisions.ts, the rules `tag list` and
 * `uninstall` use). Without a single injector webhook configuration (one labelled `istio.io/rev`)
 * nothing is known about revisions, so the analyzer stays silent: file-only analysis of
 * application manifests never fires it.
 *
 * What a namespace selects: `istio.io/rev=<name>` asks for the tag or revision `<name>`;
 * `istio-injection=enabled` asks for the `default` tag, else the default revision (the one
 * installed without `-r`). That second case is reported too: with only revisioned control planes
 * (`install -r canary`) and no `default` tag, no injector webhook matches `istio-injection=enabled`
 * (the revisioned webhooks require the label to be absent), so the namespace's pods start without
 * a sidecar exactly as with a missing revision. Other `istio-injection` values turn injection off
 * and ambient namespaces (`istio.io/dataplane-mode=ambient`) run no sidecars: neither is checked.
 * Existence is decided by labels, as istioctl's `tag` commands decide it, not by evaluating the
 * webhooks' selectors: a default revision whose injector webhooks were deactivated for a `default`
 * tag still counts as a revision after that tag is removed.
 *
 * Level Warning, not Error: the consequence is the one IST0103 (PodMissingProxy, Warning) reports,
 * pods without a sidecar, and nothing breaks at the moment of analysis (running pods keep the
 * proxies they have); the state also occurs briefly, and harmlessly, in a canary procedure whose
 * user labels the namespace before creating the tag. It is more than Info: the next rollout of
 * any workload there silently leaves the mesh (no mTLS, no policy), which analysis can catch first.
 *
 * The finding is on the namespace, at the label that decides, and names the revisions and tags
 * that do exist and the command that points the namespace at one of them.
 */
import type { AnalysisContext, Analyzer } from '../analyzer.js';
import { K } from '../kinds.js';
import { MESSAGES } from '../messages.js';
import { labelsOf, type Resource } from '../resource.js';
import { DATAPLANE_MODE_LABEL } from './injection-in-mesh.js';
import {
  DEFAULT_TAG, hasInjectorWebhooks, INJECTION_LABEL, namespaceSelection, REV_LABEL, revisionStateOf, type LabelledObject,
  type RevisionState,
} from '../util/revisions.js';

/**
 * Returns the revisions and tags the analysis holds: from every MutatingWebhookConfiguration and
 * the Services of the Istio namespace. Needs both kinds among the caller's inputs.
 */
export function revisionStateIn(ctx: AnalysisContext): RevisionState {
  const named = (r: Resource): LabelledObject => ({ name: r.name, labels: labelsOf(r) });
  return revisionStateOf(ctx.list(K.MutatingWebhookConfiguration).map(named), ctx.inNamespace(K.Service, ctx.istioNamespace).map(named));
}

/** Returns the command that points namespace `ns` (selecting by `label`) at an existing revision or tag. */
function fixFor(ns: string, legacy: boolean, state: RevisionState): string {
  const names = [...state.tags.map((t) => t.tag), ...state.revisions.map((r) => r.revision)];
  const target = names.length === 1 ? names[0]! : '<revision-or-tag>';
  if (!legacy) return `kubectl label namespace ${ns} ${REV_LABEL}=${target} --overwrite`;
  const revision = state.revisions.length === 1 ? state.revisions[0]!.revision : '<revision>';
  return `kubectl label namespace ${ns} ${INJECTION_LABEL}- ${REV_LABEL}=${target}, or make the ${DEFAULT_TAG} tag point at a revision: meshctl tag set ${DEFAULT_TAG} --revision ${revision}`;
}

export const namespaceRevisionAnalyzer: Analyzer = {
  name: 'injection.NamespaceRevisionAnalyzer',
  description: 'Flags namespaces labelled for a control plane revision or revision tag that does not exist',
  inputs: [K.MutatingWebhookConfiguration, K.Service, K.Namespace],
  messages: [MESSAGES.NamespaceRevisionNotFound],
  analyze(ctx) {
    const state = revisionStateIn(ctx);
    if (!hasInjectorWebhooks(state)) return;
    const revisions = state.revisions.map((r) => r.revision);
    const tags = state.tags.map((t) => t.tag);
    for (const ns of ctx.list(K.Namespace)) {
      const labels = labelsOf(ns);
      if (labels[DATAPLANE_MODE_LABEL] === 'ambient') continue;
      const selection = namespaceSelection(state, labels);
      if (!selection || selection.revision !== undefined) continue;
      const legacy = labels[INJECTION_LABEL] !== undefined;
      ctx.report(MESSAGES.NamespaceRevisionNotFound, { resource: ns, path: ['metadata', 'labels', legacy ? INJECTION_LABEL : REV_LABEL] },
        selection.label, selection.name, revisions, tags, ns.name, fixFor(ns.name, legacy, state));
    }
  },
};
