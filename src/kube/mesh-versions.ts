/**
 * Control-plane and data-plane versions read from the pods of a cluster, and the version skew
 * policy checked against them.
 *
 * istioctl asks each istiod for its version through a port-forward and learns proxy versions from
 * istiod's `debug/syncz` (Istio 1.30 istioctl/pkg/version/version.go). meshctl reads the same facts
 * from the pods themselves: the tag of the istiod `discovery` image and of each `istio-proxy`
 * (proxyv2) image. That needs only `list pods`, works without exec/port-forward permissions and
 * gives the same answer for the images Istio ships.
 */
import type { K8sObject } from '../manifest/objects.js';
import { KubeError } from './errors.js';
import { readRevisionState, REV_LABEL, type RevisionTag } from './revisions.js';
import type { KubeClient } from './types.js';

/** One running, ready istiod pod. */
export interface ControlPlaneVersion {
  /** The pod's `istio` label (`pilot`), as istioctl reports Component. */
  component: string;
  /** The pod's `istio.io/rev` label, `default` when absent. */
  revision: string;
  /** Version from the `discovery` container's image tag (`1.30.3`), or `unknown` (digest-only or untagged image). */
  version: string;
  /** `<pod>.<namespace>`. */
  pod: string;
}

/** One proxy: a pod running an `istio-proxy` container of the proxyv2 image. */
export interface ProxyVersion {
  /** `<pod>.<namespace>`, as istioctl's ProxyInfo.ID. */
  id: string;
  /** Version from the proxyv2 image tag, or `unknown`. */
  version: string;
  /** `gateway` for pods labelled `istio=ingressgateway|egressgateway`, else `sidecar`. */
  type: 'sidecar' | 'gateway';
  /** The revision whose istiod serves it (see `proxyRevision`). */
  revision: string;
}

/** What the cluster runs. */
export interface MeshVersions {
  controlPlane: ControlPlaneVersion[];
  dataPlane: ProxyVersion[];
  /**
   * The revision tags (src/kube/revisions.ts), sorted by tag; with a revision asked for, only those
   * pointing at it. Empty when the cluster has none or they could not be read (`tagsUnknown`).
   */
  tags: RevisionTag[];
  /** The revision asked for, a tag resolved to the revision it points at (`-r prod` → `canary`). */
  revision?: string;
  /** Why the revision tags could not be read (the webhook configurations are forbidden to this user). */
  tagsUnknown?: string;
}

/** Options of `meshVersions`. */
export interface MeshVersionOptions {
  /** Namespace of the istiod pods (`-i`, default `istio-system`). */
  istioNamespace: string;
  /** Only this revision's istiod pods and proxies (`-r`); all when undefined. */
  revision?: string;
  /** Pods per list page. Default: the client's (500). */
  pageSize?: number;
}

/** The label istiod pods carry (`app=istiod`, Istio 1.30.3 istio-discovery chart). */
const ISTIOD_SELECTOR = 'app=istiod';
/** Name of istiod's container in the istio-discovery chart. */
const DISCOVERY_CONTAINER = 'discovery';
/** Name of the proxy container, sidecar and gateway alike. */
const PROXY_CONTAINER = 'istio-proxy';
/** Image name of the proxy, as `docker.io/istio/proxyv2:1.30.3`. */
const PROXY_IMAGE = 'proxyv2';
/** `istio` label values of the gateways the profiles install. */
const GATEWAY_LABELS: ReadonlySet<string> = new Set(['ingressgateway', 'egressgateway']);
/** Image tag suffixes of Istio's image variants; the version is the tag without them. */
const IMAGE_VARIANTS = ['-distroless', '-debug'] as const;

/** Returns a revision label value as istioctl reports it: `default` when unset. */
function revisionOf(labels: Record<string, string> | undefined): string {
  return labels?.[REV_LABEL] || 'default';
}

/** The injection status annotation (Istio 1.30 injection template; JSON whose `revision` names the injecting istiod's revision). */
const SIDECAR_STATUS = 'sidecar.istio.io/status';

/** Returns the `revision` of a `sidecar.istio.io/status` annotation, undefined when absent, empty or not JSON. */
function statusRevision(annotations: Record<string, string> | undefined): string | undefined {
  const status = annotations?.[SIDECAR_STATUS];
  if (!status) return undefined;
  try {
    const rev = (JSON.parse(status) as { revision?: unknown } | null)?.revision;
    return typeof rev === 'string' && rev ? rev : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Returns the revision whose istiod serves a proxy pod: its `istio.io/rev` label (gateways and
 * workloads carry the revision there), else the `revision` of its `sidecar.istio.io/status`
 * annotation (what the injector wrote), else its `istio.io/rev` annotation, else `default`. A label
 * naming a revision tag (a key of `tagRevisions`) selected the tag's webhook at injection time; the
 * status annotation then says which revision actually injected, and without one the tag's current
 * revision is taken (except for `default`, which is also the default revision's own label value).
 * Per Istio 1.30.3 injection template (`istio.io/rev` annotation, `sidecar.istio.io/status`) and
 * istioctl/pkg/tag (tags select webhooks through `istio.io/rev`).
 */
export function proxyRevision(
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> },
  tagRevisions: ReadonlyMap<string, string> = new Map(),
): string {
  const label = metadata.labels?.[REV_LABEL];
  if (label && !tagRevisions.has(label)) return label;
  const injected = statusRevision(metadata.annotations);
  if (injected) return injected;
  // `default` is also the default revision's own label value (its gateways carry it).
  if (label) return label === 'default' ? label : tagRevisions.get(label) || 'default';
  return metadata.annotations?.[REV_LABEL] || 'default';
}

/**
 * Returns the repository name and tag of a container image reference:
 * `docker.io/istio/pilot:1.30.3` → `{ name: 'pilot', tag: '1.30.3' }`. The tag is undefined for
 * digest-only or untagged references; a registry port (`host:5000/x`) is not taken for a tag.
 */
export function parseImage(image: string): { name: string; tag: string | undefined } {
  const at = image.indexOf('@');
  const ref = at < 0 ? image : image.slice(0, at);
  const slash = ref.lastIndexOf('/');
  const last = ref.slice(slash + 1);
  const colon = last.indexOf(':');
  return colon < 0 ? { name: last, tag: undefined } : { name: last.slice(0, colon), tag: last.slice(colon + 1) || undefined };
}

/**
 * Returns the Istio version an image tag stands for: the tag without a variant suffix
 * (`1.30.3-distroless` → `1.30.3`), or `unknown` when the image has no tag.
 */
export function versionOfImage(image: string): string {
  const { tag } = parseImage(image);
  if (!tag) return 'unknown';
  for (const v of IMAGE_VARIANTS) if (tag.endsWith(v)) return tag.slice(0, -v.length);
  return tag;
}

interface PodLike {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: unknown };
  spec?: { containers?: { name?: string; image?: string }[]; initContainers?: { name?: string; image?: string }[] };
  status?: { phase?: string; conditions?: { type?: string; status?: string }[] };
}

function isReady(pod: PodLike): boolean {
  return pod.status?.phase === 'Running' && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * Returns the control-plane entry of an istiod pod, or undefined when the pod is not Running and
 * Ready (istioctl only asks ready istiods) or has no `discovery` container.
 */
export function controlPlaneOf(pod: PodLike): ControlPlaneVersion | undefined {
  if (!isReady(pod)) return undefined;
  const discovery = (pod.spec?.containers ?? []).find((c) => c.name === DISCOVERY_CONTAINER);
  if (!discovery) return undefined;
  return {
    component: pod.metadata.labels?.istio ?? 'pilot',
    revision: revisionOf(pod.metadata.labels),
    version: versionOfImage(discovery.image ?? ''),
    pod: `${pod.metadata.name}.${pod.metadata.namespace ?? ''}`,
  };
}

/**
 * Returns the proxy of a pod, or undefined when it runs none. A proxy is a container named
 * `istio-proxy`, or a native sidecar (an init container of that name), whose image is proxyv2.
 * Only Running pods count: a proxy that is not running is not connected to the control plane,
 * which is what istioctl's syncz-based list reports. Its revision is `proxyRevision`'s, with
 * `tagRevisions` mapping tag names to the revisions they point at.
 */
export function proxyOf(pod: PodLike, tagRevisions: ReadonlyMap<string, string> = new Map()): ProxyVersion | undefined {
  if (pod.status?.phase !== 'Running' || pod.metadata.deletionTimestamp) return undefined;
  const spec = pod.spec ?? {};
  const proxy = [...(spec.containers ?? []), ...(spec.initContainers ?? [])]
    .find((c) => c.name === PROXY_CONTAINER && parseImage(c.image ?? '').name === PROXY_IMAGE);
  if (!proxy) return undefined;
  const istio = pod.metadata.labels?.istio;
  return {
    id: `${pod.metadata.name}.${pod.metadata.namespace ?? ''}`,
    version: versionOfImage(proxy.image ?? ''),
    type: istio !== undefined && GATEWAY_LABELS.has(istio) ? 'gateway' : 'sidecar',
    revision: proxyRevision(pod.metadata, tagRevisions),
  };
}

/**
 * Returns the control-plane and data-plane versions of the cluster: ready istiod pods
 * (`app=istiod`) in `istioNamespace`, proxies in every namespace, from paginated pod lists (only
 * one page is held at a time; each proxy keeps a few strings), and the revision tags
 * (`readRevisionState`). With `revision`, only that revision's istiods, proxies and tags; a
 * revision that names a tag (and no revision) is resolved to the revision the tag points at. Istiods come default
 * revision first, then by revision and pod name; proxies by ID. A user who may not list webhook
 * configurations gets the versions without tags (`tagsUnknown` says why). Throws what the client
 * throws (KubeError, ClusterUnreachableError).
 */
export async function meshVersions(client: KubeClient, opts: MeshVersionOptions): Promise<MeshVersions> {
  const asked = opts.revision === undefined || opts.revision === '' ? undefined : opts.revision;
  const page = opts.pageSize !== undefined ? { pageSize: opts.pageSize } : {};
  let allTags: RevisionTag[] = [];
  let revisions = new Set<string>();
  let tagsUnknown: string | undefined;
  try {
    const state = await readRevisionState(client, opts.istioNamespace);
    allTags = state.tags;
    revisions = new Set(state.revisions.map((r) => r.revision));
  } catch (e) {
    if (!(e instanceof KubeError) || (e.status !== 403 && e.status !== 401)) throw e;
    tagsUnknown = e.message.split('\n')[0]!;
  }
  const tagRevisions = new Map(allTags.map((t) => [t.tag, t.revision]));
  // `default` names both the default revision and the default tag: the revision, when it exists, wins.
  const wanted = asked === undefined ? undefined : (revisions.has(asked) ? asked : tagRevisions.get(asked) ?? asked);
  const controlPlane: ControlPlaneVersion[] = [];
  // Filtered here rather than by selector: the default revision's istiod may carry
  // istio.io/rev=default or no such label at all.
  for await (const pod of client.list<K8sObject>('v1', 'Pod', { namespace: opts.istioNamespace, labelSelector: ISTIOD_SELECTOR, ...page })) {
    const cp = controlPlaneOf(pod as unknown as PodLike);
    if (cp && (wanted === undefined || cp.revision === wanted)) controlPlane.push(cp);
  }
  const dataPlane: ProxyVersion[] = [];
  for await (const pod of client.list<K8sObject>('v1', 'Pod', page)) {
    const proxy = proxyOf(pod as unknown as PodLike, tagRevisions);
    if (proxy && (wanted === undefined || proxy.revision === wanted)) dataPlane.push(proxy);
  }
  // The default revision first, then the others by name.
  controlPlane.sort((a, b) => Number(a.revision !== 'default') - Number(b.revision !== 'default') || cmp(a.revision, b.revision) || cmp(a.pod, b.pod));
  dataPlane.sort((a, b) => cmp(a.id, b.id));
  return {
    controlPlane,
    dataPlane,
    tags: wanted === undefined ? allTags : allTags.filter((t) => t.revision === wanted),
    ...(wanted !== undefined ? { revision: wanted } : {}),
    ...(tagsUnknown !== undefined ? { tagsUnknown } : {}),
  };
}

/** A revision tag whose revision has no running, ready istiod. */
export interface DanglingTag {
  tag: string;
  revision: string;
}

/**
 * Returns the tags that point at a revision without a running, ready istiod among
 * `versions.controlPlane`, sorted by tag: injection through them has no istiod to answer.
 */
export function danglingTags(versions: MeshVersions): DanglingTag[] {
  const running = new Set(versions.controlPlane.map((c) => c.revision));
  return versions.tags.filter((t) => !running.has(t.revision)).map((t) => ({ tag: t.tag, revision: t.revision }));
}

/** Returns the warning for a dangling tag: what breaks and the two ways out. */
export function danglingTagWarning(t: DanglingTag, istioNamespace: string): string {
  return `revision tag "${t.tag}" points at revision "${t.revision}", which has no running, ready istiod in "${istioNamespace}"; `
    + `pods created in namespaces labelled istio.io/rev=${t.tag}${t.tag === 'default' ? ' or istio-injection=enabled' : ''} get no working sidecar. `
    + `Point it at a running revision (meshctl tag set ${t.tag} -r <revision> --overwrite) or remove it (meshctl tag remove ${t.tag}).`;
}

/** Proxies of one version served by one revision. */
export interface RevisionVersionCount {
  version: string;
  revision: string;
  count: number;
}

/**
 * Returns the proxy counts per version and revision: most proxies first, then the newer version
 * first, then by revision name, as in `1.30.3 (8 proxies, revision canary)`.
 */
export function countVersionsByRevision(proxies: readonly { version: string; revision: string }[]): RevisionVersionCount[] {
  const counts = new Map<string, RevisionVersionCount>();
  for (const p of proxies) {
    const key = `${p.version}\u0000${p.revision}`;
    const c = counts.get(key);
    if (c) c.count++;
    else counts.set(key, { version: p.version, revision: p.revision, count: 1 });
  }
  return [...counts.values()].sort((a, b) => b.count - a.count || compareVersions(b.version, a.version) || cmp(a.revision, b.revision));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** How many proxies run one version. */
export interface VersionCount {
  version: string;
  count: number;
}

/**
 * Returns the proxy versions with their counts: most proxies first, then the newer version first,
 * as in `1.30.3 (10 proxies), 1.29.1 (2 proxies)`.
 */
export function countVersions(proxies: readonly { version: string }[]): VersionCount[] {
  const counts = new Map<string, number>();
  for (const p of proxies) counts.set(p.version, (counts.get(p.version) ?? 0) + 1);
  return [...counts].map(([version, count]) => ({ version, count }))
    .sort((a, b) => b.count - a.count || compareVersions(b.version, a.version));
}

/** Returns `major.minor` of a version as numbers, or undefined when it is not `X.Y[.Z…]`. */
export function minorOf(version: string): { major: number; minor: number } | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.|$|-)/.exec(version);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/**
 * Returns how many minor versions `to` is ahead of `from` (negative: behind; a major version
 * counts as 100 minors), or undefined when either does not parse. Istio's upgrade policy is
 * stated in these steps: one forward at a time, none backward.
 */
export function minorGap(from: string, to: string): number | undefined {
  const a = minorOf(from);
  const b = minorOf(to);
  return a && b ? (b.major - a.major) * 100 + (b.minor - a.minor) : undefined;
}

/** Orders versions numerically (`1.9.0` < `1.30.3`); versions that do not parse sort first, by text. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string): number[] | undefined => {
    const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(v);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
  };
  const pa = parts(a);
  const pb = parts(b);
  if (!pa || !pb) return pa ? 1 : pb ? -1 : cmp(a, b);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return cmp(a, b);
}

/**
 * How many minor versions the control plane may be ahead of its proxies. Istio's skew policy
 * (istio.io "Supported releases", Control Plane/Data Plane Skew; peers.md 3.5 #51): the control
 * plane can be one minor version ahead of the data plane, and the data plane can never be ahead
 * of the control plane.
 */
export const MAX_CONTROL_PLANE_LEAD = 1;

/** A group of proxies outside the skew policy. */
export interface SkewProblem {
  /** `newer`: proxies ahead of their control plane; `older`: more than MAX_CONTROL_PLANE_LEAD minors behind. */
  kind: 'newer' | 'older';
  proxyVersion: string;
  controlPlaneVersion: string;
  revision: string;
  /** Proxy IDs (`pod.namespace`), sorted. */
  proxies: string[];
}

/**
 * Returns the proxies whose version is outside the skew policy against the control plane of
 * their revision (or, when their revision has no ready istiod, against every control plane
 * version, using the newest). Versions that do not parse (`unknown`) are not judged.
 */
export function skewProblems(versions: MeshVersions): SkewProblem[] {
  if (versions.controlPlane.length === 0) return [];
  const newestOf = (list: readonly ControlPlaneVersion[]): string =>
    list.map((c) => c.version).filter((v) => minorOf(v)).sort(compareVersions).at(-1) ?? 'unknown';
  const overall = newestOf(versions.controlPlane);
  const groups = new Map<string, SkewProblem>();
  for (const p of versions.dataPlane) {
    const own = versions.controlPlane.filter((c) => c.revision === p.revision);
    const cpVersion = own.length > 0 ? newestOf(own) : overall;
    const cp = minorOf(cpVersion);
    const dp = minorOf(p.version);
    if (!cp || !dp) continue;
    const lead = (cp.major - dp.major) * 1000 + (cp.minor - dp.minor);
    const kind = lead < 0 ? 'newer' : lead > MAX_CONTROL_PLANE_LEAD ? 'older' : undefined;
    if (!kind) continue;
    const key = `${kind}\u0000${p.version}\u0000${cpVersion}\u0000${p.revision}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { kind, proxyVersion: p.version, controlPlaneVersion: cpVersion, revision: p.revision, proxies: [] }));
    g.proxies.push(p.id);
  }
  return [...groups.values()].map((g) => ({ ...g, proxies: [...g.proxies].sort() }));
}

/**
 * Returns the warning about a control plane this client is not meant to manage: its minor
 * version differs from the client's Istio version by more than one, or undefined when every
 * istiod is within reach.
 */
export function clientSkewWarning(clientIstioVersion: string, controlPlane: readonly ControlPlaneVersion[]): string | undefined {
  const client = minorOf(clientIstioVersion);
  if (!client) return undefined;
  const far = [...new Set(controlPlane.map((c) => c.version))].filter((v) => {
    const m = minorOf(v);
    return m !== undefined && Math.abs((m.major - client.major) * 1000 + (m.minor - client.minor)) > 1;
  }).sort(compareVersions);
  if (far.length === 0) return undefined;
  return `control plane ${far.join(', ')} is more than one minor version away from Istio ${clientIstioVersion}, which this meshctl installs; `
    + `upgrade (or downgrade) one minor version at a time with the matching client, or use a meshctl built for ${far.join(', ')} to manage it.`;
}

/** Returns the human warning for a skew problem: what is wrong and what to do. */
export function skewWarning(p: SkewProblem): string {
  const n = p.proxies.length;
  const some = p.proxies.slice(0, 3).join(', ') + (n > 3 ? `, and ${n - 3} more` : '');
  const who = `${n} ${n === 1 ? 'proxy runs' : 'proxies run'} ${p.proxyVersion} (${some})`;
  const rev = p.revision === 'default' ? '' : ` of revision ${p.revision}`;
  if (p.kind === 'newer') {
    return `${who}, newer than the control plane${rev} (${p.controlPlaneVersion}); Istio does not support proxies ahead of istiod. `
      + `Upgrade the control plane first, or restart these workloads after pointing them at a ${p.proxyVersion.replace(/^(\d+\.\d+).*$/, '$1')} revision.`;
  }
  return `${who}, more than ${MAX_CONTROL_PLANE_LEAD} minor version behind the control plane${rev} (${p.controlPlaneVersion}); `
    + 'Istio supports the control plane at most one minor version ahead of its proxies. '
    + 'Restart these workloads (kubectl rollout restart deployment -n <namespace> <name>) so they get the current sidecar.';
}
