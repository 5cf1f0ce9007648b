/**
 * Revision tags in a cluster: the checks before a tag is set, its objects, the webhook conflicts
 * it would cause, applying it (and, for the `default` tag, deactivating the default revision's own
 * injector), listing and removing tags. Facts per Istio 1.30.3 istioctl/pkg/tag (tag.go,
 * generate.go, util.go); revisions and tags are read through revisions.ts.
 */
import { webhookAnalyzer } from '../analyze/analyzers/webhook.js';
import { runAnalysis, type Finding } from '../analyze/engine.js';
import { K } from '../analyze/kinds.js';
import { resourceOf } from '../analyze/sources.js';
import { ResourceStore } from '../analyze/store.js';
import type { Resource } from '../analyze/resource.js';
import type { K8sObject } from '../manifest/objects.js';
import type { RenderAssets } from '../render/config.js';
import {
  DEFAULT_REVISION, DEFAULT_VALIDATOR, deactivatedWebhook, NEVER_MATCH, renderRevisionTag, tagWebhookSource, type RevisionTagObjects,
} from '../render/revision-tag.js';
import { DEFAULT_TAG, namespacesUsing, readRevisionState, type RevisionState, type RevisionTag } from './revisions.js';
import type { KubeClient, ObjectRef } from './types.js';

const ADMISSION = 'admissionregistration.k8s.io/v1';

/** What `tag set` and `tag generate` are asked to do. */
export interface TagRequest {
  tag: string;
  /** The revision the tag points at (`default` for the revision installed without `-r`). */
  revision: string;
  istioNamespace: string;
  /** `--webhook-name`. */
  webhookName?: string;
  /** `--overwrite`: move an existing tag, and allow a tag named like a revision. */
  overwrite: boolean;
  /** `--auto-inject-namespaces`. */
  autoInjectNamespaces: boolean;
  /** `tag generate`: print only; the revision-name check is skipped and nothing is deactivated, as upstream. */
  generate: boolean;
}

/** A tag ready to apply or print. */
export interface TagPlan {
  request: TagRequest;
  objects: RevisionTagObjects;
  /**
   * For the `default` tag on `set`: the default revision's own injector configurations, each with
   * its webhooks deactivated (NEVER_MATCH selectors), as they will be written.
   */
  deactivate: K8sObject[];
  /**
   * Other MutatingWebhookConfigurations of the same tag (an earlier `--webhook-name`): with
   * `--overwrite` they would keep sending the tag's pods to the old revision, so `set` deletes them.
   */
  stale: string[];
}

/** Returns the objects of a plan in upstream's order: webhook, validator (`default` tag), Service. */
export function planObjects(plan: TagPlan): K8sObject[] {
  const { webhook, validator, service } = plan.objects;
  return [webhook, ...(validator ? [validator] : []), service];
}

/**
 * Returns the tag's objects after upstream's checks, in its order: a tag named like an existing
 * revision is refused (unless `--overwrite`, `generate` or the `default` tag); the revision must
 * have exactly one own injector configuration or istiod Service (at most one of each); an existing
 * tag is refused without `--overwrite`. The objects are rendered from the revision's injector
 * configuration (see render/revision-tag.ts); for `default`, the cluster's `istiod-default-validator`
 * lends its failure policies. Throws Error with upstream's messages, adapted; what the client throws.
 */
export async function planRevisionTag(client: KubeClient, assets: RenderAssets, req: TagRequest): Promise<TagPlan> {
  const state = await readRevisionState(client, req.istioNamespace);
  if (!req.generate && !req.overwrite && req.tag !== DEFAULT_TAG && state.revisions.some((r) => r.revision === req.tag)) {
    throw new Error(`cannot create revision tag "${req.tag}": found existing control plane revision with same name`);
  }
  const revision = state.revisions.find((r) => r.revision === req.revision);
  if (!revision || revision.webhooks.length === 0) {
    // A revision with a Service but no injector configuration cannot lend a tag its webhook either.
    throw new Error(revision
      ? `cannot modify tag: found no MutatingWebhookConfiguration of revision "${req.revision}" (only its Service ${revision.services.join(', ')})`
      : `cannot modify tag: cannot find MutatingWebhookConfiguration or Service with revision "${req.revision}"`);
  }
  if (revision.webhooks.length > 1 || revision.services.length > 1) {
    throw new Error(`cannot modify tag: found multiple canonical webhooks or services with revision "${req.revision}" `
      + `(${[...revision.webhooks, ...revision.services.map((s) => `Service ${req.istioNamespace}/${s}`)].join(', ')})`);
  }
  if (!req.overwrite && state.tags.some((t) => t.tag === req.tag)) {
    throw new Error(`revision tag "${req.tag}" already exists, and --overwrite is false`);
  }
  const canonical = await client.get({ apiVersion: ADMISSION, kind: 'MutatingWebhookConfiguration', name: revision.webhooks[0]! });
  if (!canonical) throw new Error(`cannot modify tag: MutatingWebhookConfiguration "${revision.webhooks[0]!}" of revision "${req.revision}" is gone`);
  const existingValidator = req.tag === DEFAULT_TAG
    ? await client.get({ apiVersion: ADMISSION, kind: 'ValidatingWebhookConfiguration', name: DEFAULT_VALIDATOR })
    : undefined;
  const objects = renderRevisionTag(assets, tagWebhookSource(canonical), {
    tag: req.tag,
    ...(req.webhookName ? { webhookName: req.webhookName } : {}),
    autoInjectNamespaces: req.autoInjectNamespaces,
    userManaged: true,
    istioNamespace: req.istioNamespace,
    ...(existingValidator ? { existingValidator } : {}),
  });
  const deactivate = req.tag === DEFAULT_TAG && !req.generate ? await defaultRevisionInjectors(client, state) : [];
  const stale = (state.tags.find((t) => t.tag === req.tag)?.webhooks ?? []).filter((n) => n !== objects.webhook.metadata.name);
  return { request: req, objects, deactivate, stale };
}

/** Returns the default revision's own injector configurations, deactivated (not yet written). */
async function defaultRevisionInjectors(client: KubeClient, state: RevisionState): Promise<K8sObject[]> {
  const names = state.revisions.find((r) => r.revision === DEFAULT_REVISION)?.webhooks ?? [];
  const out: K8sObject[] = [];
  for (const name of names) {
    const wh = await client.get({ apiVersion: ADMISSION, kind: 'MutatingWebhookConfiguration', name });
    if (wh) out.push(deactivatedWebhook(wh));
  }
  return out;
}

/**
 * Returns the Error findings of Istio's webhook analyzer (IST0139: overlapping injectors, an
 * injector calling a Service that does not exist) about the tag's webhook configuration, run over
 * the cluster's MutatingWebhookConfigurations as they will be (the tag's replacing one of the same
 * name, the default revision's deactivated when the plan deactivates them, stale ones of the tag
 * gone on `set`) and the Services of the
 * namespaces the webhooks call, the tag's own added (as upstream's analyzeWebhook runs it).
 * Throws what the client throws.
 */
export async function tagConflicts(client: KubeClient, plan: TagPlan): Promise<Finding[]> {
  const planned = new Map<string, K8sObject>();
  for (const o of [...plan.deactivate, plan.objects.webhook]) planned.set(o.metadata.name, o);
  const gone = new Set(plan.request.generate ? [] : plan.stale);
  const webhooks: K8sObject[] = [];
  for await (const wh of client.list(ADMISSION, 'MutatingWebhookConfiguration')) {
    if (!planned.has(wh.metadata.name) && !gone.has(wh.metadata.name)) webhooks.push(wh);
  }
  webhooks.push(...planned.values());
  const namespaces = new Set<string>();
  for (const wh of webhooks) {
    for (const w of Array.isArray(wh.webhooks) ? wh.webhooks : []) {
      const ns = (w as { clientConfig?: { service?: { namespace?: unknown } } }).clientConfig?.service?.namespace;
      if (typeof ns === 'string') namespaces.add(ns);
    }
  }
  const services: K8sObject[] = [];
  const tagService = plan.objects.service;
  for (const namespace of [...namespaces].sort()) {
    for await (const svc of client.list('v1', 'Service', { namespace })) {
      if (!(svc.metadata.name === tagService.metadata.name && namespace === tagService.metadata.namespace)) services.push(svc);
    }
  }
  services.push(tagService);
  const resources: Resource[] = [
    ...webhooks.map((o) => resourceOf(o as unknown as Record<string, unknown>, ADMISSION, 'MutatingWebhookConfiguration', o.metadata.name, '')),
    ...services.map((o) => resourceOf(o as unknown as Record<string, unknown>, 'v1', 'Service', o.metadata.name, o.metadata.namespace ?? '')),
  ];
  const { findings } = runAnalysis(new ResourceStore(resources, false), { analyzers: [webhookAnalyzer], istioNamespace: plan.request.istioNamespace });
  const name = plan.objects.webhook.metadata.name;
  return findings.filter((f) => f.type.level === 'Error' && f.resource?.key === K.MutatingWebhookConfiguration && f.resource.name === name);
}

/**
 * Writes the tag: its objects by server-side apply (field manager meshctl, conflicts forced, as
 * upstream's apply takes them), deletes the tag's stale webhook configurations (which upstream
 * leaves behind), then, for the `default` tag, the default revision's injector
 * webhooks deactivated (a merge patch of the webhook list, guarded by the resourceVersion read):
 * after the tag's webhook exists, so namespaces labelled `istio-injection=enabled` are never
 * without an injector. Throws what the client throws (KubeError 409 when the default revision's
 * configuration changed meanwhile).
 */
export async function applyRevisionTag(client: KubeClient, plan: TagPlan): Promise<void> {
  for (const obj of planObjects(plan)) await client.apply(obj, { force: true });
  for (const name of plan.stale) await client.delete({ apiVersion: ADMISSION, kind: 'MutatingWebhookConfiguration', name });
  for (const wh of plan.deactivate) {
    const ref: ObjectRef = { apiVersion: ADMISSION, kind: 'MutatingWebhookConfiguration', name: wh.metadata.name };
    const rv = wh.metadata.resourceVersion;
    await client.mergePatch(ref, { metadata: typeof rv === 'string' ? { resourceVersion: rv } : {}, webhooks: wh.webhooks ?? [] });
  }
}

/** One row of `tag list` (upstream's tagDescription). */
export interface TagDescription {
  tag: string;
  revision: string;
  /** Namespaces that use the tag, sorted. */
  namespaces: string[];
}

/**
 * Returns the cluster's revision tags sorted by revision, then tag, each with the namespaces
 * labelled `istio.io/rev=<tag>` (for `default` also `istio-injection=enabled`, which that tag
 * injects). Revisions without a tag are not listed (upstream lists them with an empty tag).
 * Throws what the client throws.
 */
export async function listRevisionTags(client: KubeClient, istioNamespace: string): Promise<TagDescription[]> {
  const { tags } = await readRevisionState(client, istioNamespace);
  const out: TagDescription[] = [];
  for (const t of tags) out.push({ tag: t.tag, revision: t.revision, namespaces: await namespacesUsing(client, t.tag, t.tag === DEFAULT_TAG) });
  return out.sort((a, b) => cmp(a.revision, b.revision) || cmp(a.tag, b.tag));
}

/** A tag about to be removed and the namespaces still using it. */
export interface TagRemoval {
  tag: RevisionTag;
  istioNamespace: string;
  /** Namespaces labelled `istio.io/rev=<tag>` (for `default` also `istio-injection=enabled`), sorted. */
  namespaces: string[];
  /**
   * For the `default` tag, what removing it leaves as it is (as upstream's removeTag does): the
   * `istiod-default-validator` still validating for the tag's revision, and the default revision's
   * injector configurations that setting the tag deactivated. One sentence each.
   */
  leftAlone: string[];
}

/**
 * Returns the tag to remove and the namespaces that still use it. Throws Error (upstream's
 * message) when the cluster has neither a webhook configuration nor a Service of the tag; what the
 * client throws.
 */
export async function findTagRemoval(client: KubeClient, tag: string, istioNamespace: string): Promise<TagRemoval> {
  const state = await readRevisionState(client, istioNamespace);
  const found = state.tags.find((t) => t.tag === tag);
  if (!found) throw new Error(`cannot remove tag "${tag}": cannot find MutatingWebhookConfiguration or Service for tag`);
  const leftAlone: string[] = [];
  if (tag === DEFAULT_TAG) {
    const validator = await client.get({ apiVersion: ADMISSION, kind: 'ValidatingWebhookConfiguration', name: DEFAULT_VALIDATOR });
    if (validator) {
      const rev = validator.metadata.labels?.['istio.io/rev'];
      leftAlone.push(`ValidatingWebhookConfiguration ${DEFAULT_VALIDATOR} stays${rev ? ` (validating for revision "${rev}")` : ''}`);
    }
    for (const name of state.revisions.find((r) => r.revision === DEFAULT_REVISION)?.webhooks ?? []) {
      const wh = await client.get({ apiVersion: ADMISSION, kind: 'MutatingWebhookConfiguration', name });
      if (wh && isDeactivated(wh)) {
        leftAlone.push(`the default revision's MutatingWebhookConfiguration ${name} stays deactivated: namespaces labelled istio-injection=enabled get no sidecar until a default tag is set again`);
      }
    }
  }
  return { tag: found, istioNamespace, namespaces: await namespacesUsing(client, tag, tag === DEFAULT_TAG), leftAlone };
}

/** Returns true when every webhook of the configuration has the never-matching selectors `tag set default` gives them. */
function isDeactivated(config: K8sObject): boolean {
  const webhooks = Array.isArray(config.webhooks) ? config.webhooks : [];
  const never = JSON.stringify(NEVER_MATCH);
  return webhooks.length > 0 && webhooks.every((w) => JSON.stringify((w as { namespaceSelector?: unknown }).namespaceSelector) === never);
}

/**
 * Deletes the tag's webhook configurations, then its Services (per Istio 1.30.3 removeTag). An
 * object already gone counts as removed. Throws what the client throws.
 */
export async function removeRevisionTag(client: KubeClient, removal: TagRemoval): Promise<void> {
  for (const name of removal.tag.webhooks) await client.delete({ apiVersion: ADMISSION, kind: 'MutatingWebhookConfiguration', name });
  for (const name of removal.tag.services) await client.delete({ apiVersion: 'v1', kind: 'Service', name, namespace: removal.istioNamespace });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
