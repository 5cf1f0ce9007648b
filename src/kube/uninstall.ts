/**
 * Uninstall: finds the objects of an installation (a revision's control plane, or with `purge`
 * everything meshctl or istioctl installed), orders them for deletion and deletes them.
 *
 * Objects are found two ways so that neither a lost installed-state record nor an object whose
 * labels were edited is left behind: the installed state's inventory (src/kube/owner.ts), and
 * owner-label selector lists over the kinds istioctl prunes (operator/pkg/uninstall/prune.go,
 * Istio 1.30.3; reference section 2.5).
 */
import type { K8sObject } from '../manifest/objects.js';
import { sortForInstall } from '../render/render.js';
import { KubeError } from './errors.js';
import { LABEL, readInstalledState, stateConfigMapName, type InstalledState } from './owner.js';
import { mapLimit } from './map-limit.js';
import { formatRef, refKey, refOf } from './refs.js';
import { sleep } from './sleep.js';
import { proxyRevision } from './mesh-versions.js';
import { namespaceSelection } from '../analyze/util/revisions.js';
import { readRevisionState } from './revisions.js';
import { waypointsAppliedByMeshctl } from './waypoints.js';
import { isTerminating, terminationReason } from './terminating.js';
import type { KubeClient, ObjectRef } from './types.js';

/** A kind uninstall lists, with whether it is namespaced. */
export interface PrunableKind {
  apiVersion: string;
  kind: string;
  namespaced: boolean;
}

/**
 * The kinds istioctl's uninstall lists (prune.go, Istio 1.30.3): namespaced kinds, then the
 * cluster-scoped ones. CRDs and NetworkAttachmentDefinitions only with `--purge`.
 */
export const PRUNABLE_KINDS: readonly PrunableKind[] = [
  { apiVersion: 'apps/v1', kind: 'Deployment', namespaced: true },
  { apiVersion: 'apps/v1', kind: 'DaemonSet', namespaced: true },
  { apiVersion: 'v1', kind: 'Service', namespaced: true },
  { apiVersion: 'v1', kind: 'ConfigMap', namespaced: true },
  { apiVersion: 'v1', kind: 'Pod', namespaced: true },
  { apiVersion: 'v1', kind: 'Secret', namespaced: true },
  { apiVersion: 'v1', kind: 'ServiceAccount', namespaced: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', namespaced: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', namespaced: true },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', namespaced: true },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespaced: true },
  { apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', namespaced: true },
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', namespaced: false },
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', namespaced: false },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', namespaced: false },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', namespaced: false },
];

/**
 * Kinds the istio-cni chart renders that istioctl's uninstall does not list (its ResourceQuota on
 * GKE, its NetworkPolicy when enabled; Istio 1.30.3): meshctl lists them too, so that an
 * installation whose installed-state record is lost still leaves nothing behind.
 */
export const CNI_EXTRA_KINDS: readonly PrunableKind[] = [
  { apiVersion: 'v1', kind: 'ResourceQuota', namespaced: true },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespaced: true },
];

/** Kinds only `--purge` lists. */
export const PURGE_ONLY_KINDS: readonly PrunableKind[] = [
  { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', namespaced: false },
  { apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', namespaced: true },
];

/**
 * The pseudo-component of the waypoints `uninstall --purge` removes: Gateways of class
 * istio-waypoint that meshctl's `waypoint apply` created (they carry no owner labels).
 */
export const WAYPOINTS_COMPONENT = 'Waypoints';

/**
 * Deletion order of components: the reverse of install order (Base -> {Pilot, Cni}, Pilot ->
 * gateways, Cni -> Ztunnel): waypoints first (istiod's gateway controller made their
 * Deployments, which go with them), then the gateways, Ztunnel, CNI, the control plane, and Base
 * with its CRDs last.
 */
const COMPONENT_DELETE_ORDER: readonly string[] = [WAYPOINTS_COMPONENT, 'EgressGateways', 'IngressGateways', 'Ztunnel', 'Cni', 'Pilot', 'Base'];

/** How a component is named in listings. */
const COMPONENT_TITLES: Record<string, string> = {
  EgressGateways: 'Egress gateways',
  IngressGateways: 'Ingress gateways',
  [WAYPOINTS_COMPONENT]: 'Waypoints',
  Ztunnel: 'Ztunnel',
  Cni: 'CNI',
  Pilot: 'Istiod',
  Base: 'Istio core',
};

/** Returns the heading of a component in listings (`Istiod` for Pilot), or the label value itself. */
export function componentTitle(component: string): string {
  return COMPONENT_TITLES[component] ?? component;
}

/** What to uninstall. */
export interface UninstallTarget {
  /** Revision, `''` for the default revision. Ignored with `purge`. */
  revision: string;
  /** Namespace that holds the revision's installed state (`-i`, or the IstioOperator file's namespace). */
  namespace: string;
  /** Everything with an owner label in every namespace, CRDs and installed-state records included. */
  purge: boolean;
}

/** One object to delete. */
export interface UninstallItem {
  ref: ObjectRef;
  /** Value of its `operator.istio.io/component` label (or its inventory entry); `''` when unknown. */
  component: string;
  /** True for an installed-state ConfigMap: always deleted last, so an interrupted run can be repeated. */
  state?: boolean;
}

/** Proxies, namespaces and revision tags that still use a revision. */
export interface ProxyUsage {
  /** `namespace/name` of every pod whose sidecar belongs to the revision, sorted. */
  pods: string[];
  /**
   * Namespaces whose injection labels select the revision itself (`istio.io/rev=<rev>`; for the
   * default revision without a `default` tag also `istio-injection=enabled`), sorted.
   */
  namespaces: string[];
  /** The revision tags pointing at the revision (all tags with purge), each with the namespaces that select it, by tag. */
  tags: TagUsage[];
}

/** A revision tag pointing at the revision being removed, and the namespaces using it. */
export interface TagUsage {
  tag: string;
  /** The revision it points at. */
  revision: string;
  /** Its MutatingWebhookConfigurations, sorted. */
  webhooks: string[];
  /** Namespaces selecting the revision through this tag (`istio.io/rev=<tag>`; for `default` also `istio-injection=enabled`), sorted. */
  namespaces: string[];
}

/** What uninstall will do. */
export interface UninstallPlan {
  target: UninstallTarget;
  /** Objects in deletion order. */
  items: UninstallItem[];
  /** The revision's installed state, when one was found (not with purge). */
  state?: InstalledState;
  /**
   * Namespaces the installation occupies, sorted: the target namespace, the namespaces of the
   * objects to delete, and those named by their `install.operator.istio.io/owning-resource-namespace`
   * labels (so a namespace whose content is already gone is still known by its cluster-scoped objects).
   */
  namespaces: string[];
}

/** The label value istioctl and meshctl put in `istio.io/rev` for a revision (`default` for ''). */
export function revisionLabel(revision: string): string {
  return revision || 'default';
}

/** True when the pod is run by a controller; it goes away with its owner, so uninstall does not delete it by itself. */
function ownedByController(obj: K8sObject): boolean {
  const owners = obj.metadata.ownerReferences;
  return Array.isArray(owners) && owners.length > 0;
}

/** True for the ConfigMaps that hold installed states (any revision). */
function isStateConfigMap(ref: ObjectRef): boolean {
  return ref.kind === 'ConfigMap' && (ref.name === stateConfigMapName('') || ref.name.startsWith(`${stateConfigMapName('')}-`));
}

/**
 * Returns the objects to uninstall, in deletion order (see `orderForDeletion`).
 *
 * Without purge: objects labelled `istio.io/rev=<revision>` with an `operator.istio.io/component`
 * other than Base, plus the non-Base entries of the revision's installed-state inventory, plus the
 * installed-state ConfigMap itself (it describes a control plane that will be gone). Base, and with
 * it the CRDs, stays, as istioctl's uninstall keeps it. Throws KubeError 404 `could not find target
 * revision "<rev>"` when neither an installed state nor any labelled object of the revision exists.
 *
 * Kinds: PRUNABLE_KINDS and CNI_EXTRA_KINDS, with purge also PURGE_ONLY_KINDS.
 *
 * With purge: every object of those kinds (CRDs included) that has an
 * `operator.istio.io/component` label, in all namespaces, plus the inventories of every installed
 * state found, plus the waypoints meshctl applied (`waypointsAppliedByMeshctl`, component
 * WAYPOINTS_COMPONENT; istioctl leaves them, istio/istio#54777). Namespaces are never deleted.
 *
 * Pods run by a controller are left to their controller's deletion. Kinds the server does not
 * serve are skipped. Throws KubeError / ClusterUnreachableError from the client.
 */
export async function planUninstall(client: KubeClient, target: UninstallTarget): Promise<UninstallPlan> {
  const found = new Map<string, UninstallItem>();
  const add = (item: UninstallItem) => {
    const key = refKey(item.ref);
    if (!found.has(key)) found.set(key, item);
  };
  const kinds = [...PRUNABLE_KINDS, ...CNI_EXTRA_KINDS, ...(target.purge ? PURGE_ONLY_KINDS : [])];
  const labelSelector = target.purge ? LABEL.component : `${LABEL.revision}=${revisionLabel(target.revision)},${LABEL.component}`;
  let revisionSeen = false;
  const states: ObjectRef[] = [];
  const namespaces = new Set<string>([target.namespace]);
  for (const k of kinds) {
    if (!(await client.resourceFor(k.apiVersion, k.kind))) continue;
    for await (const obj of client.list(k.apiVersion, k.kind, { labelSelector })) {
      if (k.kind === 'Pod' && ownedByController(obj)) continue;
      revisionSeen = true;
      const ref = refOf({ ...obj, apiVersion: k.apiVersion });
      if (ref.namespace) namespaces.add(ref.namespace);
      const owningNamespace = obj.metadata.labels?.[LABEL.owningResourceNamespace];
      if (owningNamespace) namespaces.add(owningNamespace);
      if (isStateConfigMap(ref)) {
        states.push(ref);
        continue;
      }
      const component = obj.metadata.labels?.[LABEL.component] ?? '';
      if (!target.purge && component === 'Base') continue;
      add({ ref, component });
    }
  }

  let state: InstalledState | undefined;
  // Installed-state records to delete last: with purge every one found; otherwise only the
  // target's own (a record of the same revision in another namespace belongs to another install).
  let stateRefs: ObjectRef[] = [];
  if (target.purge) {
    for (const gw of await waypointsAppliedByMeshctl(client)) add({ ref: refOf(gw), component: WAYPOINTS_COMPONENT });
    stateRefs = states;
    for (const ref of states) {
      const s = await readInstalledState(client, ref.namespace ?? '', revisionFromStateName(ref.name));
      if (s) await addInventory(client, s, true, found, add);
    }
  } else {
    state = await readInstalledState(client, target.namespace, target.revision);
    if (state) {
      await addInventory(client, state, false, found, add);
      stateRefs = [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: target.namespace, name: stateConfigMapName(target.revision) }];
    } else if (!revisionSeen) {
      throw await revisionNotFound(client, target);
    }
  }
  const items = orderForDeletion([...found.values()]);
  for (const ref of stateRefs.sort((a, b) => refKey(a).localeCompare(refKey(b)))) items.push({ ref, component: 'Base', state: true });
  for (const item of items) if (item.ref.namespace) namespaces.add(item.ref.namespace);
  return { target, items, ...(state ? { state } : {}), namespaces: [...namespaces].sort() };
}

/**
 * Returns the error for a revision uninstall cannot find (istioctl: `could not find target
 * revision`): a name that is a revision tag says which revision the tag points at and how to
 * remove either; otherwise the revisions the cluster has are named.
 */
async function revisionNotFound(client: KubeClient, target: UninstallTarget): Promise<KubeError> {
  const rev = revisionLabel(target.revision);
  const base = `could not find target revision "${rev}"`;
  const state = await readRevisionState(client, target.namespace);
  const tag = state.tags.find((t) => t.tag === rev);
  if (tag) {
    return new KubeError(404, 'NotFound', `${base}: "${rev}" is a revision tag pointing at revision "${tag.revision}"; `
      + `to remove the tag: meshctl tag remove ${rev}; to uninstall the revision: meshctl uninstall -r ${tag.revision}`);
  }
  const known = state.revisions.map((r) => r.revision);
  return new KubeError(404, 'NotFound', `${base}: no installed state in namespace ${target.namespace} and no object labelled ${LABEL.revision}=${rev}`
    + (known.length ? `; revisions in the cluster: ${known.join(', ')}` : ''));
}

/** Returns the revision encoded in an installed-state ConfigMap name ('' for the default revision). */
function revisionFromStateName(name: string): string {
  const base = stateConfigMapName('');
  return name === base ? '' : name.slice(base.length + 1);
}

/**
 * Adds the inventory entries of `state` that the label lists did not find and that still exist
 * (one GET each; normally none, since applied objects carry the labels). Base entries only with purge.
 */
async function addInventory(client: KubeClient, state: InstalledState, purge: boolean, found: Map<string, UninstallItem>, add: (i: UninstallItem) => void): Promise<void> {
  for (const entry of state.inventory) {
    if (!purge && entry.component === 'Base') continue;
    const ref: ObjectRef = { apiVersion: entry.apiVersion, kind: entry.kind, name: entry.name, ...(entry.namespace ? { namespace: entry.namespace } : {}) };
    if (found.has(refKey(ref)) || ref.kind === 'Namespace' || isStateConfigMap(ref)) continue;
    if (!(await client.resourceFor(ref.apiVersion, ref.kind))) continue;
    const live = await client.get(ref);
    if (live && !live.metadata.deletionTimestamp) add({ ref, component: entry.component });
  }
}

/**
 * Returns the items in deletion order: components in reverse install order (gateways, Istiod,
 * then Base); within a component, webhook configurations first, so that a webhook whose service
 * is already gone never blocks the deletion of the rest (linkerd's uninstall lesson, peers 3.3
 * item 41), then the reverse of the install order (Services before workloads before roles,
 * CRDs last). Unknown components go just before Pilot.
 */
export function orderForDeletion(items: readonly UninstallItem[]): UninstallItem[] {
  const rank = (c: string) => {
    const i = COMPONENT_DELETE_ORDER.indexOf(c);
    return i >= 0 ? i : COMPONENT_DELETE_ORDER.indexOf('Pilot') - 0.5;
  };
  const isWebhook = (i: UninstallItem) => i.ref.kind === 'MutatingWebhookConfiguration' || i.ref.kind === 'ValidatingWebhookConfiguration';
  // sortForInstall gives the install order; reversing it gives the deletion order within a component.
  const installOrder = sortForInstall(items.map((item) => ({ item, object: { apiVersion: item.ref.apiVersion, kind: item.ref.kind, metadata: { name: item.ref.name, ...(item.ref.namespace ? { namespace: item.ref.namespace } : {}) } } })));
  const reverse = installOrder.reverse().map((x) => x.item);
  const position = new Map(reverse.map((item, i) => [item, i]));
  return [...items].sort((a, b) =>
    rank(a.component) - rank(b.component)
    || Number(isWebhook(b)) - Number(isWebhook(a))
    || position.get(a)! - position.get(b)!);
}

/** The injection opt-out, as label or annotation, and the annotation the injector writes (Istio 1.30.3). */
const INJECT_KEY = 'sidecar.istio.io/inject';
const SIDECAR_STATUS = 'sidecar.istio.io/status';

/**
 * Returns the revision a pod's sidecar belongs to (`proxyRevision`: its `istio.io/rev` label, else
 * its injection status, a tag label resolved through `tagRevisions`), or undefined when the pod
 * runs no sidecar proxy (no `istio-proxy` container, or one the injector did not add: a pod that
 * opts out of injection and has no injection status, as ztunnel's pods).
 */
export function sidecarRevision(pod: K8sObject, tagRevisions: ReadonlyMap<string, string> = new Map()): string | undefined {
  const spec = (pod.spec ?? {}) as { containers?: { name?: string }[]; initContainers?: { name?: string }[] };
  const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  if (!containers.some((c) => c.name === 'istio-proxy')) return undefined;
  // ztunnel's own container is also named istio-proxy; its pods opt out of injection and carry no injection status.
  const optedOut = pod.metadata.annotations?.[INJECT_KEY] === 'false' || pod.metadata.labels?.[INJECT_KEY] === 'false';
  if (optedOut && pod.metadata.annotations?.[SIDECAR_STATUS] === undefined) return undefined;
  return proxyRevision(pod.metadata, tagRevisions);
}

/**
 * Returns what still uses `revision` ('' = default; undefined = any revision, for purge): the pods
 * whose sidecar proxy belongs to it, the namespaces whose injection labels select it directly, and
 * the revision tags pointing at it with the namespaces that select it through them (namespace
 * selection per `namespaceSelection`: `istio-injection=enabled` goes to the `default` tag's
 * revision when that tag exists). Tags and revisions are read with `readRevisionState` in
 * `istioNamespace`. Pods of an installation itself (gateways: they carry an
 * `operator.istio.io/component` label) are not counted. Reads every pod and namespace (paginated).
 * Throws KubeError / ClusterUnreachableError from the client.
 */
export async function findProxies(client: KubeClient, revision: string | undefined, istioNamespace: string): Promise<ProxyUsage> {
  const rev = revision === undefined ? undefined : revisionLabel(revision);
  const state = await readRevisionState(client, istioNamespace);
  const tagRevisions = new Map(state.tags.map((t) => [t.tag, t.revision]));
  const pods: string[] = [];
  for await (const pod of client.list('v1', 'Pod')) {
    if (pod.metadata.labels?.[LABEL.component]) continue;
    if (pod.metadata.deletionTimestamp) continue;
    const own = sidecarRevision(pod, tagRevisions);
    if (own !== undefined && (rev === undefined || own === rev)) pods.push(`${pod.metadata.namespace ?? ''}/${pod.metadata.name}`);
  }
  const tags = state.tags.filter((t) => rev === undefined || t.revision === rev)
    .map((t): TagUsage => ({ tag: t.tag, revision: t.revision, webhooks: t.webhooks, namespaces: [] }));
  const namespaces: string[] = [];
  for await (const ns of client.list('v1', 'Namespace')) {
    const selection = namespaceSelection(state, ns.metadata.labels ?? {});
    if (!selection) continue;
    const tag = selection.tag === undefined ? undefined : tags.find((t) => t.tag === selection.tag);
    if (tag) tag.namespaces.push(ns.metadata.name);
    // A revision the cluster no longer lists (its webhook already removed) is still matched by name.
    else if (selection.tag === undefined && (rev === undefined || (selection.revision ?? selection.name) === rev)) namespaces.push(ns.metadata.name);
  }
  for (const t of tags) t.namespaces.sort();
  return { pods: pods.sort(), namespaces: namespaces.sort(), tags };
}

/** Outcome of deleting one object. */
export interface DeletionResult {
  item: UninstallItem;
  /** `deleted`: the server accepted the delete; `gone`: it was already gone; `failed`: see error. */
  outcome: 'deleted' | 'gone' | 'failed';
  error?: Error;
}

/** Options of `executeUninstall`. */
export interface ExecuteOptions {
  /** Send `dryRun=All` deletes: the server checks them and stores nothing. */
  serverDryRun?: boolean;
  /** Stops between deletes when aborted. */
  signal?: AbortSignal;
  /** Called after each object, in order. */
  onResult?: (result: DeletionResult) => void;
}

/**
 * Deletes the plan's objects in order with foreground propagation (dependents, such as a
 * Deployment's pods, go before their owner) and returns one result per object attempted. A
 * failed delete (403, a webhook error ...) is recorded and the rest still run, so one stuck
 * object never leaves the others behind. Stops early, returning what was done, when `signal` is
 * aborted. Throws ClusterUnreachableError when the cluster stops answering.
 */
export async function executeUninstall(client: KubeClient, plan: UninstallPlan, opts: ExecuteOptions = {}): Promise<DeletionResult[]> {
  const results: DeletionResult[] = [];
  for (const item of plan.items) {
    if (opts.signal?.aborted) break;
    let result: DeletionResult;
    try {
      const existed = await client.delete(item.ref, { propagationPolicy: 'Foreground', ...(opts.serverDryRun ? { dryRun: true } : {}) });
      result = { item, outcome: existed ? 'deleted' : 'gone' };
    } catch (err) {
      if (!(err instanceof KubeError)) throw err;
      result = { item, outcome: 'failed', error: err };
    }
    results.push(result);
    opts.onResult?.(result);
  }
  return results;
}

/** Returns `Kind/namespace/name` of an item (`Kind/name` when cluster-scoped). */
export function itemName(item: UninstallItem): string {
  return formatRef(item.ref);
}

/** A deleted object still in the cluster when the wait ended, with why. */
export interface LingeringObject {
  item: UninstallItem;
  /** What keeps it, from `terminationReason` (finalizers, dependents, custom resources). */
  reason: string;
}

/** Options of `waitForDeletion`. */
export interface DeletionWaitOptions {
  /** Longest wait, ms. */
  timeoutMs: number;
  /** Longest interval between checks, ms; the first checks come sooner, as most deletes finish within a second. */
  pollIntervalMs: number;
  /** Ctrl-C: the wait stops with InterruptedError. */
  signal?: AbortSignal;
  /** Called with the objects still there after the first check, when there are any. */
  onWaiting?: (pending: readonly UninstallItem[]) => void;
  /** Clock, ms since the epoch (injected for tests). Default Date.now. */
  now?: () => number;
}

/** First interval between deletion checks, ms; doubled up to the poll interval. */
const FIRST_DELETION_CHECK_MS = 50;

/** Reads at once while waiting for deletions: enough to check a whole installation in one round trip time. */
const DELETION_CHECK_CONCURRENCY = 8;

/**
 * Waits until the deleted objects are gone from the cluster and returns [] then, or at the
 * deadline the objects still there with why. A delete on a real API server finishes later than
 * its answer: a Deployment deleted with foreground propagation stays until the garbage collector
 * has deleted its ReplicaSets and their Pods, a CRD until its custom resources are deleted, any
 * object while a controller's finalizer remains. An object found without a deletionTimestamp was
 * created anew after the delete (by someone else) and is not waited for. Throws InterruptedError
 * when `signal` is aborted, KubeError / ClusterUnreachableError from the client.
 */
export async function waitForDeletion(client: KubeClient, items: readonly UninstallItem[], opts: DeletionWaitOptions): Promise<LingeringObject[]> {
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.timeoutMs;
  let pending: readonly UninstallItem[] = items;
  let delay = FIRST_DELETION_CHECK_MS;
  for (let first = true; ; first = false) {
    const live = await getAll(client, pending.map((item) => item.ref));
    const left = pending.flatMap((item, i) => {
      const l = live[i];
      return l && isTerminating(l) ? [{ item, live: l }] : [];
    });
    if (left.length === 0) return [];
    pending = left.map((l) => l.item);
    if (first) opts.onWaiting?.(pending);
    const remaining = deadline - now();
    if (remaining <= 0) return left.map((l) => ({ item: l.item, reason: terminationReason(l.live) ?? 'its deletion is in progress' }));
    await sleep(Math.min(delay, remaining), opts.signal);
    delay = Math.min(delay * 2, opts.pollIntervalMs);
  }
}

/** Reads the objects, at most DELETION_CHECK_CONCURRENCY at a time; undefined for one that is gone. */
function getAll(client: KubeClient, refs: readonly ObjectRef[]): Promise<(K8sObject | undefined)[]> {
  return mapLimit(refs, DELETION_CHECK_CONCURRENCY, undefined, (ref) => client.get(ref));
}

/** A namespace of the installation that is being deleted, with what keeps it. */
export interface TerminatingNamespace {
  name: string;
  /** When its deletion began (RFC 3339). */
  since: string;
  /** The namespace controller's account of what holds it (`terminationReason`). */
  reason: string;
}

/**
 * Returns the namespaces among `names` that are Terminating, with what keeps each one. A
 * namespace held by a finalizer nobody removes stays Terminating for good, and nothing can be
 * installed into it meanwhile. Throws KubeError / ClusterUnreachableError from the client.
 */
export async function findTerminatingNamespaces(client: KubeClient, names: readonly string[]): Promise<TerminatingNamespace[]> {
  const live = await getAll(client, names.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', name })));
  return live.flatMap((ns) => (ns && isTerminating(ns)
    ? [{ name: ns.metadata.name, since: String(ns.metadata.deletionTimestamp), reason: terminationReason(ns) ?? '' }]
    : []));
}
