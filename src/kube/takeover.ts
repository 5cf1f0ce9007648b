/**
 * Taking over an installation that istioctl made. istioctl 1.30.3 applies every object by
 * server-side apply with field manager `istio-operator`, forcing conflicts
 * (operator/pkg/install/install.go serverSideApply), and on a cluster without a default revision
 * tag adds one out of band: the tag's webhook, validator and Service, labelled
 * `install.operator.istio.io/owning-resource-not-pruned=true`, after deactivating the default
 * revision's own injector webhooks (operator/pkg/webhook/webhook.go WebhooksToDeploy,
 * istioctl/pkg/tag/generate.go Generate and util.go DeactivateIstioInjectionWebhook).
 *
 * meshctl's install forces its applies the same way, so it takes such objects over without
 * conflict errors. This module finds them beforehand, so that the installer can say so; releases
 * istioctl's remaining ownership after meshctl's apply, so that meshctl alone owns what it renders;
 * finds what istioctl's installation has that the rendering lacks, for the prune; and keeps the
 * default revision's injector deactivated while a `default` tag injects in its place.
 */
import type { K8sObject } from '../manifest/objects.js';
import { KubeError } from './errors.js';
import { applyEntry } from './managed-fields.js';
import { LABEL } from './owner.js';
import { refOf } from './refs.js';
import { DEFAULT_TAG, readRevisionState, REV_LABEL, TAG_LABEL } from './revisions.js';
import type { KubeClient, ObjectRef } from './types.js';
import { PRUNABLE_KINDS, revisionLabel } from './uninstall.js';

/** Field manager of istioctl's installer (and of the in-cluster operator it replaced). */
export const ISTIOCTL_FIELD_MANAGER = 'istio-operator';

/** True when istioctl's installer has applied to `obj` and still owns fields of it (a managedFields Apply entry of `istio-operator`). */
export function appliedByIstioctl(obj: K8sObject): boolean {
  return applyEntry(obj, ISTIOCTL_FIELD_MANAGER) !== undefined;
}

/**
 * Returns the refs of the `objects` (in their order) whose live copy istioctl's installer applied
 * and still owns fields of (`appliedByIstioctl`). Reads with one list per kind and namespace,
 * selecting the `operator.istio.io/component` label that istioctl puts on everything it applies;
 * kinds the server does not serve count as none. Throws KubeError / ClusterUnreachableError from
 * the client.
 */
export async function findIstioctlObjects(client: KubeClient, objects: readonly K8sObject[]): Promise<ObjectRef[]> {
  const groups = new Map<string, K8sObject[]>();
  for (const o of objects) {
    const g = `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}`;
    groups.set(g, [...(groups.get(g) ?? []), o]);
  }
  const owned = new Set<string>();
  await Promise.all([...groups.values()].map(async (group) => {
    const first = group[0]!;
    const names = new Set(group.map((o) => o.metadata.name));
    try {
      for await (const live of client.list(first.apiVersion, first.kind, { namespace: first.metadata.namespace, labelSelector: LABEL.component })) {
        if (!names.has(live.metadata.name)) continue;
        if (appliedByIstioctl(live)) owned.add(`${first.kind}|${first.metadata.namespace ?? ''}|${live.metadata.name}`);
      }
    } catch (err) {
      if (err instanceof KubeError && err.status === 404) return;
      throw err;
    }
  }));
  return objects.filter((o) => owned.has(`${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`)).map((o) => refOf(o));
}

/**
 * True for the default revision's own injector webhook configuration: a
 * MutatingWebhookConfiguration labelled `istio.io/rev=default` and not `istio.io/tag` (what
 * istioctl deactivates; util.go GetWebhooksWithRevision).
 */
export function isDefaultRevisionInjector(obj: K8sObject): boolean {
  const labels = obj.metadata.labels ?? {};
  return obj.kind === 'MutatingWebhookConfiguration' && labels[REV_LABEL] === 'default' && labels[TAG_LABEL] === undefined;
}

/**
 * Returns whether the cluster has a `default` revision tag (a MutatingWebhookConfiguration labelled
 * `istio.io/tag=default`). While it has, the default revision's own injector webhooks would inject
 * the pods the tag's webhook injects a second time, so istioctl keeps them deactivated
 * (`deactivatedWebhook`, src/render/revision-tag.ts), and so does install. Throws what the client throws.
 */
export async function hasDefaultTag(client: KubeClient, istioNamespace: string): Promise<boolean> {
  const state = await readRevisionState(client, istioNamespace);
  return state.tags.some((t) => t.tag === DEFAULT_TAG && t.webhooks.length > 0);
}

/**
 * Gives up every field istioctl's installer owns in `obj` and returns the object as stored after:
 * a server-side apply of the bare identity (apiVersion, kind, name, namespace) with field manager
 * `istio-operator`, server-side apply's transfer of ownership. Call it after meshctl's own apply:
 * fields both set stay, now meshctl's alone; fields only istioctl set (a port or an environment
 * variable another profile had) are removed, so the object becomes what meshctl renders and later
 * renderings can drop fields again. Throws KubeError / ClusterUnreachableError from the client.
 */
export async function releaseIstioctlFields(client: KubeClient, obj: K8sObject): Promise<K8sObject> {
  const identity: K8sObject = {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: { name: obj.metadata.name, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) },
  };
  return client.apply(identity, { fieldManager: ISTIOCTL_FIELD_MANAGER, force: true });
}

/**
 * Returns the objects istioctl installed for `revision` ('' = default) into `namespace` that the
 * rendering (`keep`: `Kind/namespace/name` keys) no longer has: what istioctl's own prune would
 * delete when its installation switches to this rendering (operator/pkg/install/install.go prune:
 * the kinds uninstall lists, never CRDs, objects labelled `istio.io/rev`, `operator.istio.io/component`
 * and `install.operator.istio.io/owning-resource-namespace`, except those labelled
 * `install.operator.istio.io/owning-resource-not-pruned=true`), limited to objects istioctl still
 * owns fields of and to `components` (those meshctl installs: an istioctl component meshctl knows
 * nothing of is never deleted as a leftover). Pods are left to their controllers.
 * Sorted by kind order of PRUNABLE_KINDS, then name. Throws KubeError / ClusterUnreachableError.
 */
export async function findIstioctlLeftovers(
  client: KubeClient, revision: string, namespace: string, keep: ReadonlySet<string>, components: ReadonlySet<string>,
): Promise<ObjectRef[]> {
  const labelSelector = `${LABEL.revision}=${revisionLabel(revision)},${LABEL.component},${LABEL.owningResourceNamespace}=${namespace}`;
  const kinds = PRUNABLE_KINDS.filter((k) => k.kind !== 'Pod');
  const found = await Promise.all(kinds.map(async (k) => {
    if (!(await client.resourceFor(k.apiVersion, k.kind))) return [];
    const out: ObjectRef[] = [];
    for await (const live of client.list(k.apiVersion, k.kind, { labelSelector })) {
      const labels = live.metadata.labels ?? {};
      const ref = refOf({ ...live, apiVersion: k.apiVersion });
      if (keep.has(`${ref.kind}/${ref.namespace ?? ''}/${ref.name}`)) continue;
      if (labels[LABEL.notPruned] === 'true' || live.metadata.deletionTimestamp) continue;
      if (!components.has(labels[LABEL.component] ?? '') || !appliedByIstioctl(live)) continue;
      out.push(ref);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }));
  return found.flat();
}
