/**
 * Control-plane revisions and revision tags as a cluster records them, the facts `tag`, `version`,
 * `uninstall` and `analyze` share. Per Istio 1.30.3 istioctl/pkg/tag/util.go:
 * - a revision is the injector MutatingWebhookConfiguration labelled `istio.io/rev=<rev>` and not
 *   `istio.io/tag` (what installing the revision creates), or the istiod Service in the Istio
 *   namespace labelled `app=istiod`, `istio.io/rev=<rev>` and not `istio.io/tag`;
 * - a revision tag is a MutatingWebhookConfiguration labelled `istio.io/tag=<tag>` (named
 *   `istio-revision-tag-<tag>` unless `--webhook-name` said otherwise), whose `istio.io/rev` label
 *   names the revision it points at, and the Service `istiod-revision-tag-<tag>` in the Istio
 *   namespace with the same labels;
 * - a namespace uses a revision or tag through its `istio.io/rev=<name>` label; the legacy
 *   `istio-injection=enabled` label selects what the `default` tag (or, without one, the default
 *   revision) points at.
 */
import type { K8sObject } from '../manifest/objects.js';
import { REV_LABEL, INJECTION_LABEL, revisionStateOf, type LabelledObject, type RevisionState } from '../analyze/util/revisions.js';
import type { KubeClient } from './types.js';

// The resolution itself is pure and shared with the analyzers (src/analyze/util/revisions.ts).
export { REV_LABEL, TAG_LABEL, INJECTION_LABEL, DEFAULT_TAG, resolveRevision, tagsOf } from '../analyze/util/revisions.js';
export type { RevisionTag, ControlPlaneRevision, RevisionState } from '../analyze/util/revisions.js';

/**
 * Returns the revisions and revision tags of the cluster, each sorted by name: read from the
 * MutatingWebhookConfigurations labelled `istio.io/rev` (cluster-wide) and the Services labelled
 * `istio.io/rev` in `istioNamespace`. A tag webhook or Service without an `istio.io/rev` label
 * names no revision and is skipped, as istioctl skips it. Throws what the client throws.
 */
export async function readRevisionState(client: KubeClient, istioNamespace: string): Promise<RevisionState> {
  const named = (obj: K8sObject): LabelledObject => ({ name: obj.metadata.name, labels: obj.metadata.labels ?? {} });
  const webhooks: LabelledObject[] = [];
  const services: LabelledObject[] = [];
  for await (const wh of client.list('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', { labelSelector: REV_LABEL })) webhooks.push(named(wh));
  for await (const svc of client.list('v1', 'Service', { namespace: istioNamespace, labelSelector: REV_LABEL })) services.push(named(svc));
  return revisionStateOf(webhooks, services);
}

/**
 * Returns the names of the namespaces labelled `istio.io/rev=<name>`, sorted; with
 * `includeLegacy`, also those labelled `istio-injection=enabled` (what the default tag or default
 * revision injects). Throws what the client throws.
 */
export async function namespacesUsing(client: KubeClient, name: string, includeLegacy = false): Promise<string[]> {
  const found = new Set<string>();
  const selectors = [`${REV_LABEL}=${name}`, ...(includeLegacy ? [`${INJECTION_LABEL}=enabled`] : [])];
  for (const labelSelector of selectors) {
    for await (const ns of client.list('v1', 'Namespace', { labelSelector })) found.add(ns.metadata.name);
  }
  return [...found].sort();
}
