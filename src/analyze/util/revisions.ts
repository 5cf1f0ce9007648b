/**
 * Control-plane revisions and revision tags as the objects of a cluster record them, and which
 * revision a namespace's labels select: pure resolution over plain names and labels, shared by the
 * cluster reader (src/kube/revisions.ts) and the revision analyzers. Per Istio 1.30.3
 * istioctl/pkg/tag/util.go and the injector webhook selectors of the istio-discovery chart
 * (mutatingwebhook.yaml, revision-tags-mwc.yaml):
 * - a revision is the injector MutatingWebhookConfiguration labelled `istio.io/rev=<rev>` and not
 *   `istio.io/tag` (what installing the revision creates), or the istiod Service in the Istio
 *   namespace labelled `app=istiod`, `istio.io/rev=<rev>` and not `istio.io/tag`;
 * - a revision tag is a MutatingWebhookConfiguration labelled `istio.io/tag=<tag>` (named
 *   `istio-revision-tag-<tag>` unless `--webhook-name` said otherwise), whose `istio.io/rev` label
 *   names the revision it points at, and the Service `istiod-revision-tag-<tag>` in the Istio
 *   namespace with the same labels;
 * - a namespace uses a revision or tag through its `istio.io/rev=<name>` label, which the
 *   webhooks honour only while the namespace has no `istio-injection` label; the legacy
 *   `istio-injection=enabled` label selects what the `default` tag (or, without one, the default
 *   revision) points at, whatever `istio.io/rev` says.
 */

/** The label naming a revision (on webhooks, Services, istiod, proxies and namespaces). */
export const REV_LABEL = 'istio.io/rev';
/** The label naming a revision tag (on tag webhooks and tag Services). */
export const TAG_LABEL = 'istio.io/tag';
/** The legacy namespace label that selects the default revision (or the `default` tag). */
export const INJECTION_LABEL = 'istio-injection';
/** The tag name that also owns `istio-injection=enabled` namespaces and cluster-wide validation. */
export const DEFAULT_TAG = 'default';
/** The name of the revision installed without `-r` (injection's `.Revision | default "default"`). */
export const DEFAULT_REVISION = 'default';

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

/** The part of an object revision resolution reads: its name and labels. */
export interface LabelledObject {
  name: string;
  labels: Readonly<Record<string, string>>;
}

type Entries = Map<string, { webhooks: string[]; services: string[] }>;

function add(map: Entries, key: string, where: 'webhooks' | 'services', name: string): void {
  let entry = map.get(key);
  if (!entry) map.set(key, (entry = { webhooks: [], services: [] }));
  entry[where].push(name);
}

/**
 * Returns the revisions and revision tags that `webhooks` (MutatingWebhookConfigurations, any)
 * and `services` (the Services of the Istio namespace) record, each list sorted by name. Objects
 * without an `istio.io/rev` label are ignored, as is a Service without `istio.io/tag` that is not
 * `app=istiod`. An empty `istio.io/rev` names the default revision. When a tag's webhook and Service
 * disagree on the revision, the webhook wins (it decides injection); among several webhooks of one
 * tag, the last given.
 */
export function revisionStateOf(webhooks: Iterable<LabelledObject>, services: Iterable<LabelledObject>): RevisionState {
  const revisions: Entries = new Map();
  const tags: Entries = new Map();
  const tagRevision = new Map<string, string>();
  const visit = (obj: LabelledObject, where: 'webhooks' | 'services'): void => {
    const rev = obj.labels[REV_LABEL];
    if (rev === undefined) return;
    const tag = obj.labels[TAG_LABEL];
    if (tag !== undefined) {
      add(tags, tag, where, obj.name);
      if (where === 'webhooks' || !tagRevision.has(tag)) tagRevision.set(tag, rev);
    } else if (where === 'webhooks' || obj.labels.app === 'istiod') {
      add(revisions, rev || DEFAULT_REVISION, where, obj.name);
    }
  };
  for (const wh of webhooks) visit(wh, 'webhooks');
  for (const svc of services) visit(svc, 'services');
  const sorted = (xs: string[]): string[] => [...xs].sort(cmp);
  return {
    revisions: [...revisions].map(([revision, e]) => ({ revision, webhooks: sorted(e.webhooks), services: sorted(e.services) }))
      .sort((a, b) => cmp(a.revision, b.revision)),
    tags: [...tags].map(([tag, e]) => ({ tag, revision: tagRevision.get(tag)! || DEFAULT_REVISION, webhooks: sorted(e.webhooks), services: sorted(e.services) }))
      .sort((a, b) => cmp(a.tag, b.tag)),
  };
}

/**
 * Returns true when `state` came from at least one injector webhook configuration (a revision's
 * or a tag's): only then does it say which revisions can inject. Services alone do not.
 */
export function hasInjectorWebhooks(state: RevisionState): boolean {
  return state.revisions.some((r) => r.webhooks.length > 0) || state.tags.some((t) => t.webhooks.length > 0);
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

/** Which control plane a namespace's injection labels ask for. */
export interface NamespaceSelection {
  /** The label that decides, as `key=value` (`istio.io/rev=prod`, `istio-injection=enabled`). */
  label: string;
  /** The tag or revision name asked for (`prod`; `default` for `istio-injection=enabled`). */
  name: string;
  /** The tag that was followed, when `name` resolved through one. */
  tag?: string;
  /** The revision selected; undefined when no revision or tag of that name exists. */
  revision?: string;
}

/**
 * Returns which revision a namespace with `labels` selects for sidecar injection, or undefined
 * when it asks for none: `istio-injection=enabled` selects the `default` tag's revision, else the
 * default revision (the injector webhooks of both match that label; `istio.io/rev` is then
 * ignored); any other `istio-injection` value turns injection off (every revision webhook requires
 * the label to be absent); otherwise `istio.io/rev=<name>` selects the tag or revision `name`.
 * `revision` is undefined when nothing of that name exists in `state`.
 */
export function namespaceSelection(state: RevisionState, labels: Readonly<Record<string, string>>): NamespaceSelection | undefined {
  const legacy = labels[INJECTION_LABEL];
  if (legacy !== undefined) {
    if (legacy !== 'enabled') return undefined;
    const tag = state.tags.find((t) => t.tag === DEFAULT_TAG);
    const label = `${INJECTION_LABEL}=enabled`;
    if (tag) return { label, name: DEFAULT_TAG, tag: tag.tag, revision: tag.revision };
    const revision = state.revisions.some((r) => r.revision === DEFAULT_REVISION) ? DEFAULT_REVISION : undefined;
    return { label, name: DEFAULT_REVISION, ...(revision ? { revision } : {}) };
  }
  const name = labels[REV_LABEL];
  if (name === undefined) return undefined;
  const tag = state.tags.find((t) => t.tag === name);
  const revision = resolveRevision(state, name);
  return { label: `${REV_LABEL}=${name}`, name, ...(tag ? { tag: tag.tag } : {}), ...(revision !== undefined ? { revision } : {}) };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
