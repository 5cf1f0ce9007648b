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
 * conflict errors; this module finds them beforehand, so that the installer can say so, and keeps
 * the default revision's injector deactivated while a `default` tag injects in its place.
 */
import { isObject, type JsonObject, type K8sObject } from '../manifest/objects.js';
import { KubeError } from './errors.js';
import { applyEntry } from './managed-fields.js';
import { FIELD_MANAGER, LABEL } from './owner.js';
import { refOf } from './refs.js';
import { DEFAULT_TAG, readRevisionState, REV_LABEL, TAG_LABEL } from './revisions.js';
import type { KubeClient, ObjectRef } from './types.js';

/** Field manager of istioctl's installer (and of the in-cluster operator it replaced). */
export const ISTIOCTL_FIELD_MANAGER = 'istio-operator';

/**
 * The selector istioctl puts on the default revision's injector webhooks when a `default` tag
 * injects in their place: it matches nothing a user labels (istioctl/pkg/util/common.go
 * NeverMatch, Istio 1.30.3).
 */
export const NEVER_MATCH: JsonObject = { matchLabels: { 'istio.io/deactivated': 'never-match' } };

/**
 * Returns the refs of the `objects` (in their order) whose live copy was applied by istioctl's
 * installer (a managedFields Apply entry of `istio-operator`) and not yet by meshctl (no Apply
 * entry of `meshctl`). Reads with one list per kind and namespace, selecting the
 * `operator.istio.io/component` label that istioctl puts on everything it applies; kinds the
 * server does not serve count as none. Throws KubeError / ClusterUnreachableError from the client.
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
        if (applyEntry(live, ISTIOCTL_FIELD_MANAGER) && !applyEntry(live, FIELD_MANAGER)) owned.add(`${first.kind}|${first.metadata.namespace ?? ''}|${live.metadata.name}`);
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

/** Returns whether the cluster has a `default` revision tag (a MutatingWebhookConfiguration labelled `istio.io/tag=default`). Throws what the client throws. */
export async function hasDefaultTag(client: KubeClient, istioNamespace: string): Promise<boolean> {
  const state = await readRevisionState(client, istioNamespace);
  return state.tags.some((t) => t.tag === DEFAULT_TAG && t.webhooks.length > 0);
}

/**
 * Returns a copy of an injector webhook configuration with every webhook's namespaceSelector and
 * objectSelector set to NEVER_MATCH: while a `default` tag injects for `istio-injection=enabled`
 * and `istio.io/rev=default` namespaces, the revision's own webhooks would inject the same pods a
 * second time. The configuration itself stays, so that removing the tag can give the revision its
 * pods back (as istioctl keeps it).
 */
export function deactivateInjector(obj: K8sObject): K8sObject {
  const webhooks = Array.isArray(obj.webhooks) ? obj.webhooks : [];
  return {
    ...obj,
    webhooks: webhooks.map((w) => (isObject(w) ? { ...w, namespaceSelector: structuredClone(NEVER_MATCH), objectSelector: structuredClone(NEVER_MATCH) } : w)),
  };
}
