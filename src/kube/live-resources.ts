/**
 * The cluster source of `meshctl analyze`: live objects of the kinds the selected analyzers read,
 * listed page by page and slimmed as they stream in, turned into the analyzer's Resource model
 * (the same shape the file source produces, without a file position). Files given on the command
 * line overlay these: a file object replaces the live object of the same kind, namespace and name,
 * as `kubectl apply` of that file would (istioctl analyze's "files take precedence").
 */
import type { K8sObject } from '../manifest/objects.js';
import { IGNORED_NAMESPACES } from '../inject/kinds.js';
import { kindKey, type KindKey, type Resource } from '../analyze/resource.js';
import { lastOfEach, resourceOf } from '../analyze/sources.js';
import type { KubeClient, ResourceInfo } from './types.js';

/** What to read. */
export interface LiveSourceOptions {
  /** Kind keys to read (`Service`, `Deployment.apps`, `VirtualService.networking.istio.io`). */
  kinds: Iterable<KindKey>;
  /** Read namespaced kinds in this namespace only; every namespace when undefined. */
  namespace?: string;
  /** Objects per list request (`limit`). Default: the client's (500). */
  pageSize?: number;
}

/** What the cluster held. */
export interface LiveSourceResult {
  /** One resource per live object, in kind order (as asked), then the server's list order. */
  resources: Resource[];
  /** The kinds read and the apiVersion each was listed with, in the order asked. */
  served: { key: KindKey; apiVersion: string }[];
  /** Kinds asked for that the server does not serve (their CRDs are not installed). */
  unserved: KindKey[];
}

/** Annotation kubectl writes on client-side apply: a full copy of the object, never read by analysis. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** Non-Istio annotation values longer than this (characters) are dropped from live objects. */
export const MAX_ANNOTATION_CHARS = 4096;
/** ConfigMap data values longer than this (characters) are dropped, except the keys Istio reads. */
export const MAX_CONFIGMAP_VALUE_CHARS = 16 * 1024;
/**
 * ConfigMap keys kept whatever their size: the injector's `values` (read by injection.Analyzer
 * for `enableNamespacesByDefault`) and the mesh config (`mesh`).
 */
const KEPT_CONFIGMAP_KEYS: ReadonlySet<string> = new Set(['values', 'mesh']);

/** Returns true for annotation keys in an Istio domain (`sidecar.istio.io/status`, `istio.io/rev`). */
function isIstioKey(key: string): boolean {
  const slash = key.indexOf('/');
  const domain = slash < 0 ? '' : key.slice(0, slash);
  return domain === 'istio.io' || domain.endsWith('.istio.io');
}

/** Secret keys holding a server certificate (public), kept by slimLiveObject; per Istio 1.30.3's credential reader. */
const PUBLIC_CERTIFICATE_KEYS = new Set(['cert', 'tls.crt']);
/** Longest certificate value kept (base64 characters): a long chain, not a payload hiding as one. */
const MAX_CERTIFICATE_CHARS = 256 * 1024;
/** What a redacted non-empty Secret value becomes: base64 of `redacted`. */
export const REDACTED = 'cmVkYWN0ZWQ=';

/**
 * Slims a live object in place, so that memory grows with what analysis reads rather than with
 * what the server stores, and returns it: drops `metadata.managedFields`, kubectl's
 * last-applied-configuration annotation, non-Istio annotations longer than MAX_ANNOTATION_CHARS,
 * ConfigMap `binaryData` and ConfigMap `data` values longer than MAX_CONFIGMAP_VALUE_CHARS (other
 * than `values` and `mesh`), the OpenAPI schemas of CustomResourceDefinitions, and Secret payloads:
 * a Secret keeps only its server certificates (`cert`, `tls.crt`: public, and read by
 * gateway.SecretAnalyzer for their validity); every other non-empty value (private keys, tokens,
 * kubeconfigs) becomes the base64 of `redacted`, so analyzers that test a key's presence or
 * non-emptiness see the same answer without the secret ever being held in memory.
 */
export function slimLiveObject<T extends K8sObject>(obj: T): T {
  const meta = obj.metadata as Record<string, unknown>;
  delete meta.managedFields;
  const annotations = obj.metadata.annotations;
  if (annotations) {
    for (const [k, v] of Object.entries(annotations)) {
      if (k === LAST_APPLIED || (!isIstioKey(k) && typeof v === 'string' && v.length > MAX_ANNOTATION_CHARS)) delete annotations[k];
    }
  }
  const o = obj as Record<string, unknown>;
  if (obj.kind === 'ConfigMap' && !obj.apiVersion.includes('/')) {
    delete o.binaryData;
    const data = o.data as Record<string, unknown> | undefined;
    if (data && typeof data === 'object') {
      for (const [k, v] of Object.entries(data)) {
        if (!KEPT_CONFIGMAP_KEYS.has(k) && typeof v === 'string' && v.length > MAX_CONFIGMAP_VALUE_CHARS) delete data[k];
      }
    }
  }
  if (obj.kind === 'CustomResourceDefinition' && obj.apiVersion.startsWith('apiextensions.k8s.io/')) {
    // Analyzers read a CRD's name and annotations (the Gateway API bundle version), never its
    // OpenAPI schemas, which are most of its size.
    const versions = (o.spec as Record<string, unknown> | undefined)?.versions;
    if (Array.isArray(versions)) for (const v of versions) if (v && typeof v === 'object') delete (v as Record<string, unknown>).schema;
  }
  if (obj.kind === 'Secret' && !obj.apiVersion.includes('/')) {
    for (const field of ['data', 'stringData'] as const) {
      const data = o[field] as Record<string, unknown> | undefined;
      if (!data || typeof data !== 'object') continue;
      for (const [k, v] of Object.entries(data)) {
        if (field === 'data' && PUBLIC_CERTIFICATE_KEYS.has(k) && typeof v === 'string' && v.length <= MAX_CERTIFICATE_CHARS) continue;
        data[k] = typeof v === 'string' && v.length > 0 ? REDACTED : '';
      }
    }
  }
  return obj;
}

/**
 * Returns the rank of an API version for choosing among the versions a group serves: GA before
 * beta before alpha, higher numbers first (Kubernetes' version priority), so `v1` beats `v1beta1`
 * beats `v1alpha3`. Lower is preferred.
 */
export function versionRank(version: string): number {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(version);
  if (!m) return 1_000_000;
  const major = Number(m[1]);
  const stage = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
  const minor = m[3] === undefined ? 0 : Number(m[3]);
  return stage * 100_000 + (1000 - major) * 100 + (99 - Math.min(minor, 99));
}

/**
 * Returns, for each wanted kind key, the served resource to list it with (the preferred version
 * when a group serves several), and the wanted keys the server does not serve.
 */
export function chooseResources(served: readonly ResourceInfo[], wanted: Iterable<KindKey>): { chosen: Map<KindKey, ResourceInfo>; unserved: KindKey[] } {
  const best = new Map<KindKey, ResourceInfo>();
  const rank = (r: ResourceInfo): number => versionRank(r.apiVersion.slice(r.apiVersion.indexOf('/') + 1));
  for (const r of served) {
    if (!r.verbs.includes('list')) continue;
    const key = kindKey(r.apiVersion, r.kind);
    const current = best.get(key);
    if (!current || rank(r) < rank(current)) best.set(key, r);
  }
  const chosen = new Map<KindKey, ResourceInfo>();
  const unserved: KindKey[] = [];
  for (const key of wanted) {
    if (chosen.has(key) || unserved.includes(key)) continue;
    const r = best.get(key);
    if (r) chosen.set(key, r);
    else unserved.push(key);
  }
  return { chosen, unserved };
}

/**
 * Returns the live resources of the wanted kinds. One discovery pass finds what the server
 * serves; each served kind is then listed page by page (`client.list`), each object slimmed
 * (slimLiveObject) and converted before the next page is fetched. Objects in kube-system,
 * kube-public, kube-node-lease and local-path-storage are dropped, as istioctl drops them.
 * Throws what the client throws (KubeError, ClusterUnreachableError).
 */
export async function liveResources(client: KubeClient, opts: LiveSourceOptions): Promise<LiveSourceResult> {
  const { chosen, unserved } = chooseResources(await client.listableResources(), opts.kinds);
  const out: LiveSourceResult = { resources: [], served: [], unserved };
  for (const [key, info] of chosen) {
    out.served.push({ key, apiVersion: info.apiVersion });
    const listOpts = {
      ...(info.namespaced && opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
      ...(opts.pageSize !== undefined ? { pageSize: opts.pageSize } : {}),
    };
    for await (const obj of client.list<K8sObject>(info.apiVersion, info.kind, listOpts)) {
      const name = obj.metadata?.name;
      if (typeof name !== 'string' || name === '') continue;
      const namespace = info.namespaced ? obj.metadata.namespace ?? '' : '';
      if (IGNORED_NAMESPACES.includes(namespace) || (key === 'Namespace' && IGNORED_NAMESPACES.includes(name))) continue;
      slimLiveObject(obj);
      out.resources.push(resourceOf(obj as unknown as Record<string, unknown>, info.apiVersion, info.kind, name, namespace));
    }
  }
  return out;
}

/**
 * Returns the live resources with `files` laid over them: a file resource replaces the live one
 * of the same kind, namespace and name; the others are added.
 */
export function overlayFiles(live: readonly Resource[], files: readonly Resource[]): Resource[] {
  return lastOfEach([...live, ...files]);
}
