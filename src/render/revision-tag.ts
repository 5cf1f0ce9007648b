/**
 * Revision tags rendered as Istio 1.30.3's `istioctl tag set|generate` renders them
 * (istioctl/pkg/tag/generate.go): the tag's injector MutatingWebhookConfiguration and Service come
 * from the Pilot component rendered with `profile=empty`, Pilot enabled, the revision and
 * `values.revisionTags=[tag]`; the `default` tag's ValidatingWebhookConfiguration from the
 * default-revision validator of the Base component. Then the revision's own injector webhook
 * configuration (the "canonical" one) supplies the caBundle, the Service name and path, the
 * reinvocation policy, its labels (but `app`) and its annotations.
 */
import { isObject, type Json, type JsonObject, type K8sObject } from '../manifest/objects.js';
import { resolveConfiguration, type RenderAssets } from './config.js';
import { renderManifests } from './render.js';

/** The revision whose webhook configuration says `istio.io/rev=default` is rendered as revision `""` (upstream's DefaultRevisionName). */
export const DEFAULT_REVISION = 'default';

/** Webhooks of the canonical configuration whose name ends in this are the injector (upstream's istioInjectionWebhookSuffix). */
const INJECTOR_SUFFIX = 'sidecar-injector.istio.io';

/** Labels containing this are the installer's; a user-made tag drops them (upstream's operatorNamespace, UserManaged). */
const OPERATOR_LABEL_PART = 'operator.istio.io';

/** The name of the validating webhook configuration the `default` tag takes over (upstream's vwhBaseTemplateName). */
export const DEFAULT_VALIDATOR = 'istiod-default-validator';

/**
 * A label selector that matches nothing a user labels, put on the default revision's injector
 * webhooks when the `default` tag takes their place (upstream's istioctl/pkg/util.NeverMatch).
 */
export const NEVER_MATCH: JsonObject = { matchLabels: { 'istio.io/deactivated': 'never-match' } };

/** What a tag's objects take from the revision's own injector webhook configuration (upstream's tagWebhookConfig). */
export interface TagWebhookSource {
  /** The revision as rendered: `""` for the default revision. */
  revision: string;
  /** The injector's Service name (`istiod-canary`; `istiod-remote` for a remote profile), `""` when it calls a URL. */
  service: string;
  /** The injector's URL, `""` when it calls a Service. */
  url: string;
  /** The injector Service's path (`/inject`, or with a cluster and network in it). */
  path: string;
  /** The caBundle as the configuration stores it (base64), `""` when none is written yet. */
  caBundle: string;
  /** `Never` or `IfNeeded`, `""` when unset. */
  reinvocationPolicy: string;
  /** The configuration's labels, `app` left out. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Options of a tag's generation (upstream's GenerateOptions). */
export interface RevisionTagOptions {
  tag: string;
  /** Name of the tag's MutatingWebhookConfiguration instead of `istio-revision-tag-<tag>` (`--webhook-name`). */
  webhookName?: string;
  /** `--auto-inject-namespaces`: the `default` tag also injects namespaces without any injection label. */
  autoInjectNamespaces: boolean;
  /** A tag made by a user (not the installer): labels containing `operator.istio.io` are dropped. */
  userManaged: boolean;
  istioNamespace: string;
  /** The cluster's `istiod-default-validator`, whose failure policies the `default` tag keeps. */
  existingValidator?: K8sObject;
}

/** The objects of one revision tag, in upstream's output order: webhook, validator (`default` only), Service. */
export interface RevisionTagObjects {
  webhook: K8sObject;
  validator?: K8sObject;
  service: K8sObject;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function webhooksOf(obj: K8sObject): JsonObject[] {
  return Array.isArray(obj.webhooks) ? obj.webhooks.filter(isObject) : [];
}

/**
 * Returns what a tag takes from `canonical`, the revision's own injector
 * MutatingWebhookConfiguration: from its first webhook named `*sidecar-injector.istio.io`, the
 * caBundle, URL or Service name and path, and reinvocation policy; its labels without `app`
 * (the tag's webhooks do something else under another name) and its annotations. The revision is
 * its `istio.io/rev` label, `default` read as `""`. Throws Error when it has no such label or no
 * injector webhook (per Istio 1.30.3 tagWebhookConfigFromCanonicalWebhook).
 */
export function tagWebhookSource(canonical: K8sObject): TagWebhookSource {
  const labels = canonical.metadata.labels ?? {};
  const rev = labels['istio.io/rev'];
  if (rev === undefined) throw new Error(`MutatingWebhookConfiguration "${canonical.metadata.name}" has no istio.io/rev label`);
  const injector = webhooksOf(canonical).find((w) => str(w.name).endsWith(INJECTOR_SUFFIX));
  if (!injector) throw new Error(`could not find a sidecar-injector webhook in MutatingWebhookConfiguration "${canonical.metadata.name}"`);
  const clientConfig = isObject(injector.clientConfig) ? injector.clientConfig : {};
  const service = isObject(clientConfig.service) ? clientConfig.service : undefined;
  const { app: _app, ...rest } = labels;
  return {
    revision: rev === DEFAULT_REVISION ? '' : rev,
    service: str(service?.name),
    url: str(clientConfig.url),
    path: str(service?.path),
    caBundle: str(clientConfig.caBundle),
    reinvocationPolicy: str(injector.reinvocationPolicy),
    labels: rest,
    annotations: { ...(canonical.metadata.annotations ?? {}) },
  };
}

/**
 * Returns `base` merged with `overlay` (overlay wins); for a user-made tag, without the labels
 * containing `operator.istio.io`, so the installer neither prunes nor owns the tag (upstream's
 * generateLabels).
 */
function tagLabels(base: Record<string, string> | undefined, overlay: Record<string, string>, userManaged: boolean): Record<string, string> {
  const out = { ...(base ?? {}), ...overlay };
  if (userManaged) for (const k of Object.keys(out)) if (k.includes(OPERATOR_LABEL_PART)) delete out[k];
  return out;
}

function withAnnotations(meta: K8sObject['metadata'], extra: Record<string, string>): K8sObject['metadata'] {
  const annotations = { ...(meta.annotations ?? {}), ...extra };
  const { annotations: _old, ...rest } = meta;
  return Object.keys(annotations).length ? { ...rest, annotations } : rest;
}

/**
 * Returns the `validationURL` of the `default` tag's validator: the injector's URL with its path
 * replaced by `/validate`, as upstream's fixWhConfig does (it takes the endpoint from the injector,
 * not from the revision's own validator); `""` when the injector calls a Service.
 */
function validationUrl(url: string): string {
  if (!url) return '';
  try {
    const u = new URL(url);
    u.pathname = '/validate';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * Returns the tag's objects: the MutatingWebhookConfiguration `istio-revision-tag-<tag>` (with a
 * `-<namespace>` suffix outside istio-system, or `opts.webhookName`) labelled `istio.io/tag=<tag>`
 * and `istio.io/rev=<revision>`, the Service `istiod-revision-tag-<tag>` in the Istio namespace,
 * and for the `default` tag the ValidatingWebhookConfiguration `istiod-default-validator`, each as
 * Istio 1.30.3's generateMutatingWebhook, generateTagService and generateValidatingWebhook make
 * them. Throws what rendering throws (a value the configuration refuses).
 */
export function renderRevisionTag(assets: RenderAssets, source: TagWebhookSource, opts: RevisionTagOptions): RevisionTagObjects {
  const isDefault = opts.tag === DEFAULT_REVISION;
  const values: JsonObject = {
    revisionTags: [opts.tag],
    sidecarInjectorWebhook: {
      enableNamespacesByDefault: opts.autoInjectNamespaces,
      ...(source.reinvocationPolicy ? { reinvocationPolicy: source.reinvocationPolicy } : {}),
    },
    istiodRemote: { injectionURL: source.url },
    global: { istioNamespace: opts.istioNamespace },
  };
  const components: JsonObject = { pilot: { enabled: true } };
  if (isDefault) {
    // The Base component's default-revision validator is the chart's template for the `default` tag's validator.
    components.base = { enabled: true };
    values.defaultRevision = source.revision || DEFAULT_REVISION;
    values.base = { validationURL: validationUrl(source.url) };
  }
  const spec: JsonObject = { profile: 'empty', namespace: opts.istioNamespace, components, values };
  if (source.revision) spec.revision = source.revision;
  const overlay = { apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', spec };
  const config = resolveConfiguration(assets, { files: [{ name: `revision tag "${opts.tag}"`, text: JSON.stringify(overlay) }] });
  const objects = renderManifests(config, assets).objects.map((o) => o.object);

  const renderedWebhook = objects.find((o) => o.kind === 'MutatingWebhookConfiguration' && o.metadata.labels?.['istio.io/tag'] === opts.tag);
  const renderedService = objects.find((o) => o.kind === 'Service' && o.metadata.labels?.['istio.io/tag'] === opts.tag);
  if (!renderedWebhook || !renderedService) throw new Error(`rendering revision tag "${opts.tag}" gave no tag webhook configuration or Service`);

  const webhook = structuredClone(renderedWebhook);
  webhook.webhooks = webhooksOf(webhook).map((w) => {
    const clientConfig = isObject(w.clientConfig) ? { ...w.clientConfig } : {};
    delete clientConfig.caBundle;
    if (source.caBundle) clientConfig.caBundle = source.caBundle;
    if (isObject(clientConfig.service)) clientConfig.service = { ...clientConfig.service, path: source.path, name: source.service };
    return { ...w, clientConfig };
  });
  webhook.metadata = withAnnotations({
    ...webhook.metadata,
    ...(opts.webhookName ? { name: opts.webhookName } : {}),
    labels: tagLabels(webhook.metadata.labels, source.labels, opts.userManaged),
  }, source.annotations);

  const service = structuredClone(renderedService);
  service.metadata = { ...service.metadata, labels: tagLabels(service.metadata.labels, {}, opts.userManaged) };

  const out: RevisionTagObjects = { webhook, service };
  if (isDefault) {
    const renderedValidator = objects.find((o) => o.kind === 'ValidatingWebhookConfiguration' && o.metadata.name === DEFAULT_VALIDATOR);
    if (!renderedValidator) throw new Error(`rendering revision tag "${opts.tag}" gave no ${DEFAULT_VALIDATOR}`);
    out.validator = defaultTagValidator(renderedValidator, source, opts);
  }
  return out;
}

/**
 * Returns the `default` tag's validator from the Base component's default-revision validator,
 * with what Istio 1.30.3's `default` chart (validatingwebhook.yaml) has beside it: the label
 * `istio.io/tag: default` and an objectSelector that leaves objects naming a revision to that
 * revision's own validator. Then the injector's caBundle, the canonical labels and annotations, and
 * the failure policies of the cluster's validator kept: a `Fail` that istiod set stays (written as
 * no policy, which the API server defaults to `Fail`), any other is copied (upstream's fixWhConfig).
 */
function defaultTagValidator(rendered: K8sObject, source: TagWebhookSource, opts: RevisionTagOptions): K8sObject {
  const vwc = structuredClone(rendered);
  const policies = new Map<string, Json | undefined>();
  for (const w of opts.existingValidator ? webhooksOf(opts.existingValidator) : []) {
    policies.set(str(w.name), w.failurePolicy === 'Fail' ? undefined : w.failurePolicy);
  }
  vwc.webhooks = webhooksOf(vwc).map((w) => {
    const clientConfig = isObject(w.clientConfig) ? { ...w.clientConfig } : {};
    delete clientConfig.caBundle;
    if (source.caBundle) clientConfig.caBundle = source.caBundle;
    const out: JsonObject = { ...w, clientConfig, objectSelector: { matchExpressions: [{ key: 'istio.io/rev', operator: 'DoesNotExist' }] } };
    const name = str(w.name);
    if (policies.has(name)) {
      const policy = policies.get(name);
      if (policy === undefined) delete out.failurePolicy;
      else out.failurePolicy = policy;
    }
    return out;
  });
  vwc.metadata = withAnnotations({
    ...vwc.metadata,
    labels: tagLabels({ ...(vwc.metadata.labels ?? {}), 'istio.io/tag': DEFAULT_REVISION }, source.labels, opts.userManaged),
  }, source.annotations);
  return vwc;
}

/**
 * Returns a copy of an injector webhook configuration whose webhooks can never match: each
 * webhook's namespaceSelector and objectSelector replaced by NEVER_MATCH. The configuration stays,
 * so the revision can take its pods back later (per Istio 1.30.3 DeactivateIstioInjectionWebhook).
 */
export function deactivatedWebhook(config: K8sObject): K8sObject {
  const out = structuredClone(config);
  out.webhooks = webhooksOf(out).map((w) => ({ ...w, namespaceSelector: structuredClone(NEVER_MATCH), objectSelector: structuredClone(NEVER_MATCH) }));
  return out;
}
