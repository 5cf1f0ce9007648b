/**
 * Sidecar injection by the webhook stand-in, as istiod of the dialed revision would inject (Istio
 * 1.30.3 pkg/kube/inject/webhook.go `inject`): the kube-apiserver picks the webhook configuration by
 * its namespace and object selectors and dials its Service; the Service (`istiod-<rev>`, or a tag's
 * `istiod-revision-tag-<tag>`) routes to the istiod pods of one revision, which it selects by their
 * `istio.io/rev` label. That revision's istiod reads its injector ConfigMap
 * (`istio-sidecar-injector[-<rev>]`, keys `config` and `values`) and mesh ConfigMap
 * (`istio[-<rev>]`, key `mesh`); here they are read from the API server and meshctl's own engine
 * (src/inject/, what `meshctl kube-inject --from-cluster` runs) injects the Pod. The answer is a
 * JSONPatch from the Pod as it arrived to the injected Pod.
 *
 * What istiod skips is skipped by the engine's own rules (host networking, a system namespace,
 * `sidecar.istio.io/inject: "false"`), and by what only the webhook applies (Istio 1.30.3
 * pkg/kube/inject/inject.go `injectRequired`): the injector config's `neverInjectSelector` and
 * `alwaysInjectSelector`, then its `policy` (`disabled` injects only Pods that ask with "true").
 * A Pod that already carries `sidecar.istio.io/status` is injected again, as istiod does: its
 * templates see the Pod without the earlier injection, so an injection of the same revision changes
 * nothing and another revision's replaces it.
 */
import { parse as parseYaml } from 'yaml';
import { injectionConfigFromObjects, type InjectionConfig } from '../../src/inject/config.js';
import { NATIVE_SIDECARS_ENV, nativeSidecarMode, nativeSidecarsOnNodes, type NodeKubelet } from '../../src/inject/native-sidecars.js';
import { createInjector, injectPod, type Injector } from '../../src/inject/pod.js';
import { podOwner } from '../../src/inject/kinds.js';
import { isObject, type Json, type JsonObject, type K8sObject } from '../../src/manifest/objects.js';
import type { Rest } from './rest.js';

/** One JSONPatch (RFC 6902) operation, as an admission response carries them. */
export interface PatchOperation {
  op: 'add' | 'remove' | 'replace';
  path: string;
  value?: unknown;
}

/** The admission request of a Pod as the stand-in receives it. */
export interface PodAdmission {
  /** Request path without the query (`/inject/cluster/Kubernetes/net/`). */
  path: string;
  /** TLS server name the API server asked for: `<service>.<namespace>.svc`. */
  serverName: string;
  operation: string;
  kind: string;
  /** The request's namespace (the Pod's may be empty). */
  namespace: string;
  /** The Pod; on CREATE it may have only `generateName` and no `name`. */
  object: unknown;
}

/** What the injector decided. */
export type InjectionDecision =
  /** Not an injection request (another path, kind or operation): admit unchanged. */
  | { action: 'ignored' }
  /** The engine skipped the Pod (its reason): admit unchanged. */
  | { action: 'skipped'; revision: string; reason: string }
  /** Injected by `revision` (`default` for the revision installed without `-r`). */
  | { action: 'injected'; revision: string; patch: PatchOperation[] }
  /** Refused, as istiod refuses a Pod it cannot inject (the webhook's failurePolicy is Fail). */
  | { action: 'denied'; revision?: string; message: string };

/** Decides admission requests; the injector of a revision is kept while its ConfigMaps are unchanged. */
export type PodInjection = (request: PodAdmission) => Promise<InjectionDecision>;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const obj = (v: unknown): JsonObject => (isObject(v as Json) ? v as JsonObject : {});

/** Escapes one JSON Pointer segment (RFC 6901). */
function pointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Returns the JSONPatch that turns `before` into `after`: maps are compared key by key, a list or
 * value that differs is replaced whole. Key order does not matter to the API server, so none is
 * kept.
 */
export function jsonPatch(before: Json, after: Json, path = ''): PatchOperation[] {
  if (isObject(before) && isObject(after)) {
    const ops: PatchOperation[] = [];
    for (const key of Object.keys(before)) if (!(key in after)) ops.push({ op: 'remove', path: `${path}/${pointer(key)}` });
    for (const [key, value] of Object.entries(after)) {
      const at = `${path}/${pointer(key)}`;
      if (!(key in before)) ops.push({ op: 'add', path: at, value });
      else ops.push(...jsonPatch(before[key]!, value, at));
    }
    return ops;
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ op: 'replace', path, value: after }];
}

/** A Kubernetes label selector as the injector config writes it. */
interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Whether `selector` selects `labels` (metav1.LabelSelectorAsSelector semantics); an empty one selects nothing here, as istiod skips it. */
function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  const exprs = selector.matchExpressions ?? [];
  const matchLabels = Object.entries(selector.matchLabels ?? {});
  if (exprs.length === 0 && matchLabels.length === 0) return false;
  return matchLabels.every(([k, v]) => labels[k] === String(v)) && exprs.every((e) => {
    const has = Object.hasOwn(labels, e.key);
    switch (e.operator) {
      case 'In': return has && (e.values ?? []).includes(labels[e.key]!);
      case 'NotIn': return !has || !(e.values ?? []).includes(labels[e.key]!);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      default: return false;
    }
  });
}

/**
 * Returns why istiod's webhook would not inject a Pod the engine would, or undefined: after the
 * Pod's own `sidecar.istio.io/inject` ("true" or "false"; the label wins over the annotation; any
 * other value is ignored), `neverInjectSelector`, then `alwaysInjectSelector`, then `policy`, all
 * from the injector ConfigMap's `config` text (Istio 1.30.3 `injectRequired`).
 */
export function webhookSkipReason(configText: string, meta: JsonObject): string | undefined {
  let config: { policy?: unknown; neverInjectSelector?: unknown; alwaysInjectSelector?: unknown };
  try {
    config = obj(parseYaml(configText)) as typeof config;
  } catch {
    return undefined;
  }
  const labels = obj(meta.labels) as Record<string, string>;
  const annotations = obj(meta.annotations) as Record<string, string>;
  const choice = Object.hasOwn(labels, 'sidecar.istio.io/inject') ? labels['sidecar.istio.io/inject'] : annotations['sidecar.istio.io/inject'];
  if (choice === 'true' || choice === 'false') return undefined;
  const list = (v: unknown): LabelSelector[] => (Array.isArray(v) ? v.filter((x) => isObject(x as Json)) as LabelSelector[] : []);
  if (list(config.neverInjectSelector).some((sel) => selects(sel, labels))) return 'the Pod\'s labels match the injector\'s neverInjectSelector';
  if (list(config.alwaysInjectSelector).some((sel) => selects(sel, labels))) return undefined;
  if (config.policy !== 'enabled') return `the injector's policy is ${JSON.stringify(config.policy ?? '')} and the Pod does not ask for injection (sidecar.istio.io/inject: "true")`;
  return undefined;
}

/**
 * Returns the revision behind an istiod Service: its selector's `istio.io/rev` (the istiod pods it
 * routes to), else its own label; `''` for the default revision.
 */
function serviceRevision(service: JsonObject, name: string): string {
  const rev = str(obj(obj(service.spec).selector)['istio.io/rev']) || str(obj(obj(service.metadata).labels)['istio.io/rev'])
    || (name.startsWith('istiod-') ? name.slice('istiod-'.length) : '');
  return rev === 'default' ? '' : rev;
}

async function get(rest: Rest, path: string): Promise<JsonObject | undefined> {
  const r = await rest.request(path);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as JsonObject;
}

/**
 * Returns the injection decision-maker for one control plane: it reads Services, ConfigMaps and
 * Nodes with `rest` (admin, straight to the API server) while answering a webhook call.
 */
export function podInjection(rest: Rest): PodInjection {
  const cache = new Map<string, { version: string; config: InjectionConfig; configText: string }>();
  // Parsing the templates is the costly part; an injector is kept per configuration and layout.
  const injectors = new WeakMap<InjectionConfig, Map<string, Injector>>();
  const injector = (config: InjectionConfig, nativeSidecars: boolean, nativeSidecarsOnNode?: ReadonlyMap<string, boolean>): Injector => {
    let byLayout = injectors.get(config);
    if (!byLayout) injectors.set(config, (byLayout = new Map()));
    const key = JSON.stringify([nativeSidecars, [...(nativeSidecarsOnNode ?? [])]]);
    let found = byLayout.get(key);
    if (!found) {
      found = createInjector(config, { nativeSidecars, ...(nativeSidecarsOnNode ? { nativeSidecarsOnNode } : {}) });
      byLayout.set(key, found);
    }
    return found;
  };

  /** The configuration of `revision` in `namespace` (and the injector's `config` text), or undefined when its ConfigMaps are gone. */
  const configOf = async (namespace: string, revision: string): Promise<{ config: InjectionConfig; configText: string } | undefined> => {
    const suffix = revision ? `-${revision}` : '';
    const [injector, mesh] = await Promise.all([`istio-sidecar-injector${suffix}`, `istio${suffix}`]
      .map((name) => get(rest, `/api/v1/namespaces/${namespace}/configmaps/${name}`)));
    if (!injector || !mesh) return undefined;
    const version = `${str(obj(injector.metadata).resourceVersion)}/${str(obj(mesh.metadata).resourceVersion)}`;
    const key = `${namespace}/${revision}`;
    const cached = cache.get(key);
    if (cached?.version === version) return cached;
    const entry = {
      version,
      config: injectionConfigFromObjects([injector, mesh] as unknown as K8sObject[], revision),
      configText: str(obj(injector.data).config),
    };
    cache.set(key, entry);
    return entry;
  };

  /** The sidecar layout as istiod decides it: its ENABLE_NATIVE_SIDECARS setting, in `auto` the Nodes. */
  const injectorFor = async (config: InjectionConfig): Promise<Injector> => {
    const env = obj(obj(config.values.pilot).env)[NATIVE_SIDECARS_ENV];
    const { mode } = nativeSidecarMode(typeof env === 'string' || typeof env === 'boolean' ? String(env) : undefined);
    if (mode !== 'auto') return injector(config, mode === 'enabled');
    const nodes = obj(await get(rest, '/api/v1/nodes'));
    const kubelets: NodeKubelet[] = (Array.isArray(nodes.items) ? nodes.items : []).map((n) => ({
      name: str(obj(obj(n).metadata).name),
      kubeletVersion: str(obj(obj(obj(n).status).nodeInfo).kubeletVersion),
    }));
    const layout = nativeSidecarsOnNodes(kubelets);
    return injector(config, layout.all, layout.byNode);
  };

  return async (request) => {
    if (!request.path.startsWith('/inject') || request.kind !== 'Pod' || request.operation !== 'CREATE') return { action: 'ignored' };
    const m = /^([^.]+)\.([^.]+)\.svc$/.exec(request.serverName);
    if (!m) return { action: 'denied', message: `no istiod answers for server name "${request.serverName}"` };
    const [, serviceName, istioNamespace] = m as unknown as [string, string, string];
    const service = await get(rest, `/api/v1/namespaces/${istioNamespace}/services/${serviceName}`);
    if (!service) return { action: 'denied', message: `service "${istioNamespace}/${serviceName}" not found` };
    const revision = serviceRevision(service, serviceName);
    const shown = revision || 'default';
    const found = await configOf(istioNamespace, revision);
    if (!found) {
      // istiod of that revision is gone: the API server finds nothing to talk to and, with
      // failurePolicy Fail, refuses the Pod.
      return { action: 'denied', revision: shown, message: `no istiod of revision "${shown}" in namespace "${istioNamespace}" (its ConfigMaps are missing)` };
    }
    const pod = structuredClone(obj(request.object));
    const meta = obj(pod.metadata);
    // istiod drops managedFields, and fills in the namespace of a Pod created without one.
    delete meta.managedFields;
    if (!str(meta.namespace)) meta.namespace = request.namespace;
    const spec = obj(pod.spec);
    const owner = podOwner(meta);
    // istiod decides this before injecting, so an invalid annotation on a Pod it skips is no error.
    const webhookSkip = webhookSkipReason(found.configText, meta);
    if (webhookSkip) return { action: 'skipped', revision: shown, reason: webhookSkip };
    try {
      const outcome = injectPod(await injectorFor(found.config), {
        typeMeta: { apiVersion: owner.apiVersion, kind: owner.kind },
        workload: { name: owner.name, namespace: owner.namespace },
        meta,
        spec,
      });
      if (outcome.action === 'skipped') return { action: 'skipped', revision: shown, reason: outcome.detail ? `${outcome.reason} (${outcome.detail})` : outcome.reason };
      return {
        action: 'injected',
        revision: shown,
        patch: [...jsonPatch(meta, outcome.meta, '/metadata'), ...jsonPatch(spec, outcome.spec, '/spec')],
      };
    } catch (e) {
      return { action: 'denied', revision: shown, message: `sidecar injection by revision "${shown}": ${(e as Error).message}` };
    }
  };
}
