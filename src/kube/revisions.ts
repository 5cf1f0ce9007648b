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
import type { KubeClient } from './types.js';

/** The label naming a revision (on webhooks, Services, istiod, proxies and namespaces). */
export const REV_LABEL = 'istio.io/rev';
/** The label naming a revision tag (on tag webhooks and tag Services). */
export const TAG_LABEL = 'istio.io/tag';
/** The legacy namespace label that selects the default revision (or the `default` tag). */
export const INJECTION_LABEL = 'istio-injection';
/** The tag name that also owns `istio-injection=enabled` namespaces and cluster-wide validation. */
export const DEFAULT_TAG = 'default';

/** One revision tag found in the cluster. */
export interface RevisionTag {
  /** The tag's name (`prod`). */
  tag: string;
  /** The revision it points at (`canary`; `default` for the revision installed without `-r`). */
  revision: string;
  /** Names of the MutatingWebhookConfigurations that carry the tag, sorted. */
  webhooks: string[];
  /** Names of the tag's Services in the Istio namespace, sorted. */
  services: string[];
}

/** One control-plane revision found in the cluster. */
export interface ControlPlaneRevision {
  /** `default` for the revision installed without `-r`. */
  revision: string;
  /** Names of the revision's own (untagged) injector MutatingWebhookConfigurations, sorted. */
  webhooks: string[];
  /** Names of the revision's own (untagged) istiod Services in the Istio namespace, sorted. */
  services: string[];
}

/** What a cluster says about revisions and tags. */
export interface RevisionState {
  revisions: ControlPlaneRevision[];
  tags: RevisionTag[];
}

function add(map: Map<string, { webhooks: string[]; services: string[] }>, key: string, where: 'webhooks' | 'services', name: string): void {
  let entry = map.get(key);
  if (!entry) map.set(key, (entry = { webhooks: [], services: [] }));
  entry[where].push(name);
}

/**
 * Returns the revisions and revision tags of the cluster, each sorted by name: read from the
 * MutatingWebhookConfigurations labelled `istio.io/rev` (cluster-wide) and the Services labelled
 * `istio.io/rev` in `istioNamespace`. A tag webhook or Service without an `istio.io/rev` label
 * names no revision and is skipped, as istioctl skips it. Throws what the client throws.
 */
export async function readRevisionState(client: KubeClient, istioNamespace: string): Promise<RevisionState> {
  const revisions = new Map<string, { webhooks: string[]; services: string[] }>();
  const tags = new Map<string, { webhooks: string[]; services: string[] }>();
  const tagRevision = new Map<string, string>();
  const visit = (obj: K8sObject, where: 'webhooks' | 'services'): void => {
    const labels = obj.metadata.labels ?? {};
    const rev = labels[REV_LABEL];
    if (rev === undefined) return;
    const tag = labels[TAG_LABEL];
    if (tag !== undefined) {
      add(tags, tag, where, obj.metadata.name);
      // Webhook first: when a tag's webhook and Service disagree, the webhook decides injection.
      if (where === 'webhooks' || !tagRevision.has(tag)) tagRevision.set(tag, rev);
    } else if (where === 'webhooks' || labels.app === 'istiod') {
      add(revisions, rev || 'default', where, obj.metadata.name);
    }
  };
  for await (const wh of client.list('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', { labelSelector: REV_LABEL })) visit(wh, 'webhooks');
  for await (const svc of client.list('v1', 'Service', { namespace: istioNamespace, labelSelector: REV_LABEL })) visit(svc, 'services');
  const sorted = (xs: string[]): string[] => [...xs].sort();
  return {
    revisions: [...revisions].map(([revision, e]) => ({ revision, webhooks: sorted(e.webhooks), services: sorted(e.services) }))
      .sort((a, b) => cmp(a.revision, b.revision)),
    tags: [...tags].map(([tag, e]) => ({ tag, revision: tagRevision.get(tag)! || 'default', webhooks: sorted(e.webhooks), services: sorted(e.services) }))
      .sort((a, b) => cmp(a.tag, b.tag)),
  };
}

/**
 * Returns the revision a namespace label value selects: a tag resolves to the revision it points
 * at, a revision to itself; undefined when neither exists in `state`.
 */
export function resolveRevision(state: RevisionState, name: string): string | undefined {
  const tag = state.tags.find((t) => t.tag === name);
  if (tag) return tag.revision;
  return state.revisions.some((r) => r.revision === name) ? name : undefined;
}

/** Returns the tags that point at `revision`, sorted. */
export function tagsOf(state: RevisionState, revision: string): string[] {
  return state.tags.filter((t) => t.revision === revision).map((t) => t.tag);
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

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
