/**
 * The controllers and the node agent of the test cluster: what turns an applied Deployment,
 * DaemonSet or StatefulSet into ReplicaSets and Pods, runs those Pods on one simulated node
 * (`test-node`) and writes workload status the way kube-controller-manager and the kubelet of
 * Kubernetes 1.33 do, so that meshctl's readiness waits, version lookups and failure reports
 * meet the shapes they meet on a real cluster.
 *
 * The simulation is level-triggered: every relevant store change schedules one reconcile pass
 * (coalesced with setImmediate) that compares wanted and stored state and writes only the
 * differences. Reacting to its own writes therefore ends after one quiet pass instead of looping.
 * Readiness delays are timers that wake the next pass; `stop()` clears them.
 */
import { createHash } from 'node:crypto';
import { groupOf } from './resources.js';
import { timestamp } from './store.js';
import type { KObject, ObjectStore, StoreRef, WorkloadBehaviour } from './types.js';

/** Name of the one simulated node every Pod runs on. */
export const NODE_NAME = 'test-node';

/** Labels of the simulated node (what DaemonSet node selectors are matched against). */
export const NODE_LABELS: Readonly<Record<string, string>> = {
  'kubernetes.io/arch': 'amd64',
  'kubernetes.io/hostname': NODE_NAME,
  'kubernetes.io/os': 'linux',
  'node-role.kubernetes.io/control-plane': '',
};

/** Address of the simulated node (Pod `hostIP`). */
export const NODE_IP = '172.18.0.2';

/** Options of `startKubelet`. */
export interface KubeletOptions {
  /** Readiness delay of workloads without their own behaviour, ms (0: ready on the next tick). */
  readyDelayMs: number;
  /** Behaviour per workload, keyed `namespace/name` of the Deployment/DaemonSet/StatefulSet (or of a bare Pod). */
  workloads: Record<string, WorkloadBehaviour>;
  /** Receives errors of single reconcile steps (the pass goes on). Default: a process warning. */
  onError?: (err: unknown) => void;
}

/** A running simulation. */
export interface Kubelet {
  /** Sets how a workload (`namespace/name`) behaves from now on; its existing Pods follow on the next pass. */
  setWorkload(key: string, behaviour: WorkloadBehaviour): void;
  /** Unsubscribes from the store and clears every timer; nothing is written afterwards. */
  stop(): void;
}

/**
 * Starts the simulated controllers and kubelet on `store` and returns a handle. Objects already
 * in the store are reconciled on the next tick.
 */
export function startKubelet(store: ObjectStore, opts: KubeletOptions): Kubelet {
  const sim = new Simulation(store, opts);
  return { setWorkload: (key, b) => sim.setWorkload(key, b), stop: () => sim.stop() };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/** Loose JSON object; Kubernetes objects are read and built field by field. */
type Obj = Record<string, any>;

/** What a Pod is doing in this pass: containers being created, all running, or the workload's failure. */
type Mode = 'creating' | 'running' | 'fail';

/** What the kubelet remembers about a Pod it runs (by uid). */
interface PodState {
  /** When the kubelet first saw the Pod, ms since the epoch. */
  seenAt: number;
  /** Start of the current readiness delay, ms since the epoch (reset when a behaviour changes). */
  startedAt: number;
  /** Mode of the last pass. */
  mode?: Mode;
  /** Pod IP, kept for the Pod's life. */
  ip: string;
}

/** The alphabet Kubernetes uses for generated name suffixes and template hashes (no vowels, no 0/1/3). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Returns JSON with object keys sorted, so equal values give equal text; undefined fields are dropped. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Obj)[k]]))
      : v) ?? 'null';
}

/** Returns the 32-bit FNV-1a hash of a string (the hash family the real controllers use for templates). */
function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Returns the template hash as Kubernetes renders it (`rand.SafeEncodeString` of the decimal
 * FNV hash), e.g. `7c9d8b6f4d`; used for `pod-template-hash` and `controller-revision-hash`.
 */
function templateHash(template: unknown): string {
  return [...String(fnv32a(stableJson(template ?? {})))].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

/** Returns 5 name-suffix characters derived from `seed` (random-looking, but the same for the same seed). */
function nameSuffix(seed: string): string {
  let h = fnv32a(seed);
  let out = '';
  for (let i = 0; i < 5; i++) {
    out += SAFE_ALPHABET[h % SAFE_ALPHABET.length];
    h = Math.floor(h / SAFE_ALPHABET.length);
  }
  return out;
}

/** Returns the hex SHA-256 of `text` (container IDs and image digests). */
function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Returns an epoch-ms time as a Kubernetes timestamp (RFC 3339, seconds). */
function iso(ms: number): string {
  return timestamp(new Date(ms));
}

/**
 * Returns an image reference as containerd reports it in `containerStatuses[].image`: registry
 * and `library/` filled in, `:latest` when there is neither tag nor digest.
 */
export function normalizeImage(image: string): string {
  if (!image) return image;
  const slash = image.indexOf('/');
  const first = slash < 0 ? '' : image.slice(0, slash);
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let ref = hasRegistry ? image : `docker.io/${slash < 0 ? `library/${image}` : image}`;
  const lastSegment = ref.slice(ref.lastIndexOf('/') + 1);
  if (!lastSegment.includes(':') && !lastSegment.includes('@')) ref += ':latest';
  return ref;
}

/** Returns `repo@sha256:<digest>` for a normalized image (a stable stand-in for the pulled digest). */
function imageId(normalized: string): string {
  const repo = normalized.replace(/[:@][^/]*$/, '');
  return `${repo}@sha256:${sha256(normalized)}`;
}

function refOf(obj: KObject): StoreRef {
  return { group: groupOf(obj.apiVersion), kind: obj.kind, namespace: obj.metadata.namespace || undefined, name: obj.metadata.name };
}

function nsOf(obj: KObject): string {
  return obj.metadata.namespace || 'default';
}

function uidOf(obj: KObject): string {
  return String(obj.metadata.uid ?? '');
}

function generationOf(obj: KObject): number {
  return typeof obj.metadata.generation === 'number' ? obj.metadata.generation : 1;
}

/** Returns the owner reference marked `controller: true`, if any. */
function controllerOf(obj: KObject): Obj | undefined {
  const refs = obj.metadata.ownerReferences as Obj[] | undefined;
  return Array.isArray(refs) ? refs.find((r) => r?.controller === true) : undefined;
}

/** Returns a non-negative integer field, or `fallback` when absent or malformed. */
function count(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : fallback;
}

/** Returns `n` when positive, else undefined: the `omitempty` counters of workload status. */
function nz(n: number): number | undefined {
  return n > 0 ? n : undefined;
}

function isPodReady(pod: KObject): boolean {
  const conditions = (pod.status as Obj | undefined)?.conditions as Obj[] | undefined;
  return Array.isArray(conditions) && conditions.some((c) => c?.type === 'Ready' && c.status === 'True');
}

function isDeleting(obj: KObject): boolean {
  return obj.metadata.deletionTimestamp !== undefined;
}

/** Resolves an int-or-percent (`1`, `'25%'`) against `total`, rounding as the deployment controller does. */
function intOrPercent(value: unknown, total: number, roundUp: boolean, fallback: string): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return Math.max(0, Math.floor(v));
  const m = /^(\d+)%$/.exec(String(v));
  if (!m) return Number.parseInt(String(v), 10) || 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** Returns the Deployment's effective maxUnavailable (0 for Recreate), per the deployment controller. */
function maxUnavailable(deploy: Obj): number {
  const replicas = count(deploy.spec?.replicas, 1);
  const strategy = deploy.spec?.strategy ?? {};
  if ((strategy.type ?? 'RollingUpdate') !== 'RollingUpdate' || replicas === 0) return 0;
  const surge = intOrPercent(strategy.rollingUpdate?.maxSurge, replicas, true, '25%');
  let unavailable = intOrPercent(strategy.rollingUpdate?.maxUnavailable, replicas, false, '25%');
  // Both zero would deadlock a rollout; the controller then allows one unavailable Pod.
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return Math.min(unavailable, replicas);
}

/**
 * Returns a condition with its transition time kept from `previous` when the status did not
 * change (and, for conditions with `lastUpdateTime`, that kept too when nothing changed), so a
 * pass that changes nothing writes nothing.
 */
function condition(previous: Obj[] | undefined, now: number, fields: Obj, withUpdateTime = false, withProbeTime = false): Obj {
  const old = previous?.find((c) => c?.type === fields.type);
  const sameStatus = old?.status === fields.status;
  const same = sameStatus && old?.reason === fields.reason && old?.message === fields.message;
  const out: Obj = { type: fields.type, status: fields.status };
  if (withProbeTime) out.lastProbeTime = null;
  if (withUpdateTime) out.lastUpdateTime = same && old?.lastUpdateTime ? old.lastUpdateTime : iso(now);
  out.lastTransitionTime = sameStatus && old?.lastTransitionTime ? old.lastTransitionTime : iso(now);
  if (fields.reason !== undefined) out.reason = fields.reason;
  if (fields.message !== undefined) out.message = fields.message;
  return out;
}

/** Returns the QoS class the kubelet derives from container requests and limits. */
function qosClass(spec: Obj): string {
  const containers: Obj[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const requests: Obj = c.resources?.requests ?? {};
    const limits: Obj = c.resources?.limits ?? {};
    if (Object.keys(requests).length > 0 || Object.keys(limits).length > 0) any = true;
    for (const r of ['cpu', 'memory']) {
      if (limits[r] === undefined || (requests[r] !== undefined && String(requests[r]) !== String(limits[r]))) guaranteed = false;
    }
  }
  return guaranteed ? 'Guaranteed' : any ? 'Burstable' : 'BestEffort';
}

// ---------------------------------------------------------------------------------------------
// The simulation

const WATCHED = new Set(['/Pod', 'apps/Deployment', 'apps/ReplicaSet', 'apps/DaemonSet', 'apps/StatefulSet']);

class Simulation {
  private readonly behaviours: Map<string, WorkloadBehaviour>;
  private readonly readyDelayMs: number;
  private readonly onError: (err: unknown) => void;
  /** Pods the kubelet runs, by uid. */
  private readonly pods = new Map<string, PodState>();
  /** Events already written, by Pod uid: `reason\nmessage`. */
  private readonly events = new Map<string, Set<string>>();
  /** Next name ordinal per owner uid (ReplicaSet/DaemonSet Pods). */
  private readonly ordinals = new Map<string, number>();
  /** What this simulation last wrote per status, to leave alone a store that normalizes it differently. */
  private readonly written = new Map<string, { json: string; resourceVersion: unknown }>();
  private nextIp = 0;
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;
  private stopped = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly store: ObjectStore, opts: KubeletOptions) {
    this.behaviours = new Map(Object.entries(opts.workloads ?? {}));
    this.readyDelayMs = Math.max(0, opts.readyDelayMs ?? 0);
    this.onError = opts.onError ?? ((err) => process.emitWarning(`test cluster kubelet: ${err instanceof Error ? err.message : String(err)}`));
    this.unsubscribe = store.subscribe((event) => {
      if (WATCHED.has(`${groupOf(event.object.apiVersion)}/${event.object.kind}`)) this.schedule();
    });
    this.schedule();
  }

  setWorkload(key: string, behaviour: WorkloadBehaviour): void {
    if (this.stopped) return;
    this.behaviours.set(key, behaviour);
    const now = Date.now();
    for (const pod of this.store.list('', 'Pod')) {
      const state = this.pods.get(uidOf(pod));
      // A running Pod stays running when only its readiness delay changes; anything else
      // (healing a failure, a new delay while starting) starts the delay again from now.
      if (state && this.workloadKey(pod) === key && !(state.mode === 'running' && behaviour.kind === 'ready')) state.startedAt = now;
    }
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    if (this.immediate) clearImmediate(this.immediate);
    if (this.timer) clearTimeout(this.timer);
    this.immediate = undefined;
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.stopped || this.immediate) return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.pass();
    });
  }

  /** Arms the wake-up timer for the earliest pending readiness (ms since the epoch). */
  private arm(at: number): void {
    if (this.stopped) return;
    if (at === Infinity) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.wakeAt = Infinity;
      return;
    }
    if (this.timer && this.wakeAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.wakeAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wakeAt = Infinity;
      this.schedule();
    }, Math.max(0, at - Date.now()));
    this.timer.unref();
  }

  /** One reconcile pass: controllers, then the kubelet, then the status writers. */
  private pass(): void {
    if (this.stopped) return;
    const now = Date.now();
    let wake = Infinity;
    this.each('apps', 'Deployment', (d) => this.syncDeployment(d));
    this.each('apps', 'ReplicaSet', (rs) => this.syncReplicaSet(rs));
    this.each('apps', 'DaemonSet', (ds) => this.syncDaemonSet(ds));
    this.each('apps', 'StatefulSet', (sts) => this.syncStatefulSet(sts));

    const live = new Set<string>();
    this.each('', 'Pod', (pod) => {
      live.add(uidOf(pod));
      wake = Math.min(wake, this.runPod(pod, now));
    });
    for (const uid of [...this.pods.keys()]) if (!live.has(uid)) this.pods.delete(uid);
    for (const uid of [...this.events.keys()]) if (!live.has(uid)) this.events.delete(uid);

    const owners = new Set<string>();
    this.each('apps', 'ReplicaSet', (rs) => { owners.add(uidOf(rs)); this.replicaSetStatus(rs); });
    this.each('apps', 'Deployment', (d) => { wake = Math.min(wake, this.deploymentStatus(d, now)); });
    this.each('apps', 'DaemonSet', (ds) => { owners.add(uidOf(ds)); this.daemonSetStatus(ds); });
    this.each('apps', 'StatefulSet', (sts) => this.statefulSetStatus(sts));
    for (const uid of [...this.ordinals.keys()]) if (!owners.has(uid)) this.ordinals.delete(uid);
    this.arm(wake);
  }

  private each(group: string, kind: string, fn: (obj: KObject) => void): void {
    for (const obj of this.store.list(group, kind)) {
      if (this.stopped) return;
      try {
        fn(obj);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  // --- behaviours ----------------------------------------------------------------------------

  /** Returns `namespace/name` of the workload that runs a Pod (its Deployment via the ReplicaSet). */
  private workloadKey(pod: KObject): string {
    const ns = nsOf(pod);
    const owner = controllerOf(pod);
    if (!owner) return `${ns}/${pod.metadata.name}`;
    if (owner.kind === 'ReplicaSet') {
      const rs = this.store.get({ group: 'apps', kind: 'ReplicaSet', namespace: ns, name: String(owner.name) });
      const deploy = rs && controllerOf(rs);
      if (deploy?.kind === 'Deployment') return `${ns}/${deploy.name}`;
    }
    return `${ns}/${owner.name}`;
  }

  private behaviour(key: string): WorkloadBehaviour {
    return this.behaviours.get(key) ?? { kind: 'ready' };
  }

  // --- writes --------------------------------------------------------------------------------

  /** Writes `status` unless the stored one already equals it (or equals what this simulation last wrote). */
  private writeStatus(obj: KObject, status: Obj): void {
    const json = stableJson(status);
    if (stableJson(obj.status ?? null) === json) return;
    const ref = refOf(obj);
    const key = `${ref.group}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
    const last = this.written.get(key);
    if (last && last.json === json && last.resourceVersion === obj.metadata.resourceVersion) return;
    // Field order as built (the order the real types serialize in); undefined counters dropped.
    const stored = this.store.putStatus(ref, JSON.parse(JSON.stringify(status)));
    if (stored) this.written.set(key, { json, resourceVersion: stored.metadata.resourceVersion });
  }

  /** Replaces `obj` with `edit(copy)` when that changes anything. */
  private update(obj: KObject, edit: (copy: Obj) => void): void {
    const copy = structuredClone(obj) as Obj;
    edit(copy);
    if (stableJson(copy) !== stableJson(obj)) this.store.put(copy as KObject);
  }

  /** Returns the live Pods whose controller is `owner`. */
  private podsOf(owner: KObject): KObject[] {
    const uid = uidOf(owner);
    return this.store.list('', 'Pod', nsOf(owner)).filter((p) => !isDeleting(p) && controllerOf(p)?.uid === uid);
  }

  /** Returns whether the controller named in `obj`'s owner references still exists (same uid). */
  private ownerAlive(obj: KObject): boolean {
    const owner = controllerOf(obj);
    if (!owner || !['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet'].includes(String(owner.kind))) return true;
    const found = this.store.get({ group: 'apps', kind: String(owner.kind), namespace: nsOf(obj), name: String(owner.name) });
    return found !== undefined && uidOf(found) === owner.uid;
  }

  /** Returns a Pod name `<base>-<5 chars>` not yet taken, the same sequence for the same owner name. */
  private podName(owner: KObject): string {
    const uid = uidOf(owner);
    for (;;) {
      const n = this.ordinals.get(uid) ?? 0;
      this.ordinals.set(uid, n + 1);
      const name = `${owner.metadata.name}-${nameSuffix(`${owner.metadata.name}/${n}`)}`;
      if (!this.store.get({ group: '', kind: 'Pod', namespace: nsOf(owner), name })) return name;
    }
  }

  /** Creates a Pod from `template`, controlled by `owner`, scheduled on the simulated node. */
  private createPod(owner: KObject, name: string, template: Obj, labels: Record<string, string>, extraSpec: Obj = {}): KObject {
    const tmeta: Obj = template.metadata ?? {};
    const tspec: Obj = template.spec ?? {};
    const metadata: Obj = {
      name,
      namespace: nsOf(owner),
      labels: { ...(tmeta.labels ?? {}), ...labels },
      ownerReferences: [{
        apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: uidOf(owner),
        controller: true, blockOwnerDeletion: true,
      }],
    };
    if (tmeta.annotations) metadata.annotations = { ...tmeta.annotations };
    const spec: Obj = {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: tspec.serviceAccountName ?? tspec.serviceAccount ?? 'default',
      schedulerName: 'default-scheduler',
      ...structuredClone(tspec),
      ...extraSpec,
      nodeName: NODE_NAME,
    };
    const pod: Obj = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata,
      spec,
      status: {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: iso(Date.now()) }],
        qosClass: qosClass(spec),
      },
    };
    return this.store.put(pod as KObject);
  }

  // --- controllers ---------------------------------------------------------------------------

  /**
   * Deployment controller: one ReplicaSet per Pod template (`<name>-<template hash>`). A rolling
   * update keeps the old ReplicaSets' Pods until the new one is fully ready, then scales them to 0;
   * Recreate scales the old ones to 0 first.
   */
  private syncDeployment(deploy: KObject): void {
    const d = deploy as Obj;
    const spec: Obj = d.spec ?? {};
    if (spec.paused === true) return;
    const ns = nsOf(deploy);
    const uid = uidOf(deploy);
    const replicas = count(spec.replicas, 1);
    const template: Obj = spec.template ?? {};
    const hash = templateHash(template);
    const rsName = `${deploy.metadata.name}-${hash}`;
    const owned = this.store.list('apps', 'ReplicaSet', ns).filter((rs) => controllerOf(rs)?.uid === uid);
    const current = owned.find((rs) => rs.metadata.name === rsName);
    const old = owned.filter((rs) => rs.metadata.name !== rsName);
    const revisionOf = (rs: KObject): number => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0) || 0;
    const maxOldRevision = Math.max(0, ...old.map(revisionOf));
    const recreate = spec.strategy?.type === 'Recreate';

    if (recreate) {
      for (const rs of old) this.scaleReplicaSet(rs, 0);
      // Recreate starts the new Pods only once the old ones are gone.
      if (!current && old.some((rs) => this.podsOf(rs).length > 0)) return;
    }
    if (!current) {
      const hashLabel = { 'pod-template-hash': hash };
      const tmeta: Obj = template.metadata ?? {};
      const selector: Obj = structuredClone(spec.selector ?? {});
      selector.matchLabels = { ...(selector.matchLabels ?? {}), ...hashLabel };
      this.store.put({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: rsName,
          namespace: ns,
          labels: { ...(tmeta.labels ?? {}), ...hashLabel },
          annotations: {
            'deployment.kubernetes.io/desired-replicas': String(replicas),
            'deployment.kubernetes.io/revision': String(maxOldRevision + 1),
          },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: deploy.metadata.name, uid, controller: true, blockOwnerDeletion: true }],
        },
        spec: {
          replicas,
          ...(spec.minReadySeconds ? { minReadySeconds: spec.minReadySeconds } : {}),
          selector,
          template: { ...structuredClone(template), metadata: { ...structuredClone(tmeta), labels: { ...(tmeta.labels ?? {}), ...hashLabel } } },
        },
      });
    } else {
      this.update(current, (rs) => {
        rs.spec.replicas = replicas;
        rs.metadata.annotations = { ...(rs.metadata.annotations ?? {}), 'deployment.kubernetes.io/desired-replicas': String(replicas) };
        // Rolling back to an older template makes its ReplicaSet the newest revision again.
        if (revisionOf(current) <= maxOldRevision) rs.metadata.annotations['deployment.kubernetes.io/revision'] = String(maxOldRevision + 1);
      });
    }
    if (!recreate && current) {
      const ready = this.podsOf(current).filter(isPodReady).length;
      if (ready >= replicas) for (const rs of old) this.scaleReplicaSet(rs, 0);
    }
  }

  private scaleReplicaSet(rs: KObject, replicas: number): void {
    this.update(rs, (copy) => {
      copy.spec = { ...(copy.spec ?? {}), replicas };
    });
  }

  /** ReplicaSet controller: creates or deletes Pods until `spec.replicas` live Pods exist. */
  private syncReplicaSet(rs: KObject): void {
    if (!this.ownerAlive(rs)) return;
    const spec: Obj = (rs as Obj).spec ?? {};
    const want = count(spec.replicas, 1);
    const pods = this.podsOf(rs);
    const hash = rs.metadata.labels?.['pod-template-hash'];
    for (let i = pods.length; i < want; i++) {
      this.createPod(rs, this.podName(rs), spec.template ?? {}, hash ? { 'pod-template-hash': hash } : {});
    }
    if (pods.length > want) {
      // The controller deletes unready Pods first, then the newest.
      const victims = [...pods].sort((a, b) =>
        Number(isPodReady(a)) - Number(isPodReady(b))
        || String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? ''))
        || b.metadata.name.localeCompare(a.metadata.name));
      for (const pod of victims.slice(0, pods.length - want)) this.store.remove(refOf(pod));
    }
  }

  /** Returns 1 when the DaemonSet's node selector matches the simulated node, else 0. */
  private desiredDaemonPods(ds: Obj): number {
    const selector: Obj = ds.spec?.template?.spec?.nodeSelector ?? {};
    return Object.entries(selector).every(([k, v]) => NODE_LABELS[k] === v) ? 1 : 0;
  }

  /** DaemonSet controller: one Pod on the one node; a new template replaces it (unless OnDelete). */
  private syncDaemonSet(ds: KObject): void {
    const d = ds as Obj;
    const template: Obj = d.spec?.template ?? {};
    const hash = templateHash(template);
    const want = this.desiredDaemonPods(d);
    const pods = this.podsOf(ds);
    const onDelete = d.spec?.updateStrategy?.type === 'OnDelete';
    const outdated = pods.filter((p) => p.metadata.labels?.['controller-revision-hash'] !== hash);
    let kept = pods;
    if (!onDelete || want === 0) {
      // RollingUpdate with maxUnavailable 1 on one node: delete the old Pod, then create the new one.
      for (const pod of want === 0 ? pods : outdated) this.store.remove(refOf(pod));
      kept = want === 0 ? [] : pods.filter((p) => !outdated.includes(p));
    }
    for (const pod of kept.slice(want)) this.store.remove(refOf(pod));
    if (kept.length < want) {
      this.createPod(ds, this.podName(ds), template, {
        'controller-revision-hash': hash,
        'pod-template-generation': String(generationOf(ds)),
      });
    }
  }

  /**
   * StatefulSet controller: Pods `<name>-0..n-1`. With the default OrderedReady policy Pod i+1 is
   * created only once Pods 0..i are ready; Parallel creates them all. Outdated Pods at or above
   * the partition are replaced (recreated under the same name) unless the strategy is OnDelete.
   */
  private syncStatefulSet(sts: KObject): void {
    const s = sts as Obj;
    const spec: Obj = s.spec ?? {};
    const name = sts.metadata.name;
    const replicas = count(spec.replicas, 1);
    const revision = `${name}-${templateHash(spec.template ?? {})}`;
    const parallel = spec.podManagementPolicy === 'Parallel';
    const onDelete = spec.updateStrategy?.type === 'OnDelete';
    const partition = count(spec.updateStrategy?.rollingUpdate?.partition, 0);
    const byOrdinal = new Map<number, KObject>();
    for (const pod of this.podsOf(sts)) {
      const suffix = pod.metadata.name.startsWith(`${name}-`) ? pod.metadata.name.slice(name.length + 1) : '';
      const ordinal = /^(0|[1-9]\d*)$/.test(suffix) ? Number(suffix) : -1;
      if (ordinal < 0 || ordinal >= replicas) this.store.remove(refOf(pod));
      else byOrdinal.set(ordinal, pod);
    }
    for (let i = 0; i < replicas; i++) {
      let pod = byOrdinal.get(i);
      if (pod && !onDelete && i >= partition && pod.metadata.labels?.['controller-revision-hash'] !== revision) {
        this.store.remove(refOf(pod));
        pod = undefined;
      }
      if (!pod) {
        const podName = `${name}-${i}`;
        const extraSpec: Obj = { hostname: podName };
        if (spec.serviceName) extraSpec.subdomain = spec.serviceName;
        this.createPod(sts, podName, spec.template ?? {}, {
          'controller-revision-hash': revision,
          'statefulset.kubernetes.io/pod-name': podName,
          'apps.kubernetes.io/pod-index': String(i),
        }, extraSpec);
        if (!parallel) return;
      } else if (!parallel && !isPodReady(pod)) {
        return;
      }
    }
  }

  // --- kubelet -------------------------------------------------------------------------------

  /** Runs one Pod: writes its status and events. Returns when it wants the next pass (ms since the epoch). */
  private runPod(pod: KObject, now: number): number {
    const uid = uidOf(pod);
    let state = this.pods.get(uid);
    const fresh = state === undefined;
    if (!state) {
      const n = this.nextIp++;
      state = { seenAt: now, startedAt: now, ip: `10.244.${Math.floor(n / 250)}.${(n % 250) + 2}` };
      this.pods.set(uid, state);
    }
    if (isDeleting(pod)) return Infinity;
    const p = pod as Obj;
    if (!p.spec?.nodeName) {
      // The scheduler's binding: a bare Pod lands on the only node.
      this.update(pod, (copy) => {
        copy.spec = { ...(copy.spec ?? {}), nodeName: NODE_NAME };
      });
      return Infinity;
    }
    if (p.spec.nodeName !== NODE_NAME) return Infinity;
    const behaviour = this.behaviour(this.workloadKey(pod));
    const delay = behaviour.kind === 'ready' ? Math.max(0, behaviour.delayMs ?? this.readyDelayMs) : 0;
    // A Pod is first seen starting even with no delay, so "ready" always arrives on a later tick;
    // once running it keeps running until its workload is told to fail.
    const mode: Mode = behaviour.kind === 'fail' ? 'fail'
      : state.mode === 'running' || (!fresh && now >= state.startedAt + delay) ? 'running' : 'creating';
    state.mode = mode;
    this.writeStatus(pod, podStatus(p, state, mode, behaviour, now));
    this.podEvents(p, mode, behaviour);
    return mode === 'creating' ? Math.max(state.startedAt + delay, now) : Infinity;
  }

  /** Writes the scheduler's and kubelet's events for a Pod in `mode`, each once. */
  private podEvents(pod: Obj, mode: Mode, behaviour: WorkloadBehaviour): void {
    const ns = nsOf(pod as KObject);
    const name = String(pod.metadata.name);
    this.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${NODE_NAME}`, 'default-scheduler');
    if (mode === 'creating') return;
    const containers: Obj[] = pod.spec?.containers ?? [];
    containers.forEach((c, i) => {
      const field = `spec.containers{${c.name}}`;
      const image = String(c.image ?? '');
      const failing = mode === 'fail' && behaviour.kind === 'fail' && i === 0;
      if (failing && behaviour.reason !== 'CrashLoopBackOff') {
        this.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`, 'kubelet', field);
        this.event(pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${pullError(image)}`, 'kubelet', field);
        this.event(pod, 'Warning', 'Failed', 'Error: ErrImagePull', 'kubelet', field);
        if (behaviour.reason === 'ImagePullBackOff') {
          this.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`, 'kubelet', field);
          this.event(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff', 'kubelet', field);
        }
        return;
      }
      this.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, 'kubelet', field);
      this.event(pod, 'Normal', 'Started', `Started container ${c.name}`, 'kubelet', field);
      if (failing) {
        this.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${name}_${ns}(${pod.metadata.uid})`, 'kubelet', field);
      }
    });
  }

  /** Writes one v1 Event about a Pod unless it was written before. */
  private event(pod: Obj, type: 'Normal' | 'Warning', reason: string, message: string, component: string, fieldPath?: string): void {
    const uid = String(pod.metadata.uid);
    const seen = this.events.get(uid) ?? new Set<string>();
    this.events.set(uid, seen);
    const key = `${reason}\n${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    const ns = nsOf(pod as KObject);
    const time = iso(Date.now());
    const involvedObject: Obj = { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, namespace: ns, uid };
    if (fieldPath) involvedObject.fieldPath = fieldPath;
    const kubelet = component === 'kubelet';
    this.store.put({
      apiVersion: 'v1',
      kind: 'Event',
      // Real names end in a hex timestamp; a hash of the content keeps them unique and repeatable.
      metadata: { name: `${pod.metadata.name}.${fnv32a(`${uid}\n${key}`).toString(16).padStart(8, '0')}${fnv32a(`${key}\n${uid}`).toString(16).padStart(8, '0')}`, namespace: ns },
      involvedObject,
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: time,
      lastTimestamp: time,
      source: kubelet ? { component, host: NODE_NAME } : { component },
      reportingComponent: component,
      reportingInstance: kubelet ? NODE_NAME : '',
    });
  }

  // --- status writers ------------------------------------------------------------------------

  private replicaSetStatus(rs: KObject): void {
    const pods = this.podsOf(rs);
    const ready = pods.filter(isPodReady).length;
    this.writeStatus(rs, {
      replicas: pods.length,
      fullyLabeledReplicas: nz(pods.length),
      readyReplicas: nz(ready),
      availableReplicas: nz(ready),
      observedGeneration: generationOf(rs),
    });
  }

  /**
   * Deployment status as the deployment controller computes it from its ReplicaSets, including
   * the Available and Progressing conditions; a rollout stuck longer than
   * `spec.progressDeadlineSeconds` (default 600) gets Progressing=False/ProgressDeadlineExceeded.
   * Returns when the deadline passes (ms since the epoch) or Infinity.
   */
  private deploymentStatus(deploy: KObject, now: number): number {
    const d = deploy as Obj;
    const spec: Obj = d.spec ?? {};
    const desired = count(spec.replicas, 1);
    const uid = uidOf(deploy);
    const rsName = `${deploy.metadata.name}-${templateHash(spec.template ?? {})}`;
    let replicas = 0;
    let updated = 0;
    let ready = 0;
    let specTotal = 0;
    let current: KObject | undefined;
    for (const rs of this.store.list('apps', 'ReplicaSet', nsOf(deploy))) {
      if (controllerOf(rs)?.uid !== uid) continue;
      const pods = this.podsOf(rs);
      replicas += pods.length;
      ready += pods.filter(isPodReady).length;
      specTotal += count((rs as Obj).spec?.replicas, 1);
      if (rs.metadata.name === rsName) {
        current = rs;
        updated = pods.length;
      }
    }
    const available = ready;
    const previous: Obj[] | undefined = d.status?.conditions;
    const availableOk = available >= desired - maxUnavailable(d);
    const complete = current !== undefined && updated === desired && replicas === desired && available === desired;
    const deadlineMs = count(spec.progressDeadlineSeconds, 600) * 1000;
    const progressMessage = `ReplicaSet "${rsName}" is progressing.`;
    const timedOutMessage = `ReplicaSet "${rsName}" has timed out progressing.`;
    const oldProgressing = previous?.find((c) => c?.type === 'Progressing');
    // The rollout of this ReplicaSet has been progressing since the condition first said so.
    const since = oldProgressing?.message === progressMessage && oldProgressing.lastUpdateTime ? Date.parse(oldProgressing.lastUpdateTime) : now;
    const stalled = !complete && (oldProgressing?.message === timedOutMessage || now - since >= deadlineMs);
    const progressing = complete
      ? { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` }
      : stalled
        ? { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: timedOutMessage }
        : { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: progressMessage };
    const conditions = [
      condition(previous, now, availableOk
        ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
        : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' }, true),
      condition(previous, now, progressing, true),
    ];
    this.writeStatus(deploy, {
      observedGeneration: generationOf(deploy),
      replicas: nz(replicas),
      updatedReplicas: nz(updated),
      readyReplicas: nz(ready),
      availableReplicas: nz(available),
      unavailableReplicas: nz(specTotal - available),
      conditions,
    });
    return complete || stalled ? Infinity : since + deadlineMs;
  }

  private daemonSetStatus(ds: KObject): void {
    const d = ds as Obj;
    const desired = this.desiredDaemonPods(d);
    const hash = templateHash(d.spec?.template ?? {});
    const pods = this.podsOf(ds);
    const ready = pods.filter(isPodReady).length;
    const updated = pods.filter((p) => p.metadata.labels?.['controller-revision-hash'] === hash).length;
    this.writeStatus(ds, {
      currentNumberScheduled: pods.length,
      numberMisscheduled: 0,
      desiredNumberScheduled: desired,
      numberReady: ready,
      observedGeneration: generationOf(ds),
      updatedNumberScheduled: nz(updated),
      numberAvailable: nz(ready),
      numberUnavailable: nz(desired - ready),
    });
  }

  private statefulSetStatus(sts: KObject): void {
    const s = sts as Obj;
    const spec: Obj = s.spec ?? {};
    const revision = `${sts.metadata.name}-${templateHash(spec.template ?? {})}`;
    const pods = this.podsOf(sts);
    const ready = pods.filter(isPodReady).length;
    const updated = pods.filter((p) => p.metadata.labels?.['controller-revision-hash'] === revision).length;
    const replicas = count(spec.replicas, 1);
    // The controller moves currentRevision forward once every replica is updated and ready.
    const done = updated === replicas && ready === replicas && pods.length === replicas;
    const currentRevision: string = done ? revision : (s.status?.currentRevision ?? revision);
    const current = pods.filter((p) => p.metadata.labels?.['controller-revision-hash'] === currentRevision).length;
    this.writeStatus(sts, {
      observedGeneration: generationOf(sts),
      replicas: pods.length,
      readyReplicas: nz(ready),
      currentReplicas: nz(current),
      updatedReplicas: nz(updated),
      availableReplicas: ready,
      currentRevision,
      updateRevision: revision,
      collisionCount: 0,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Pod status

/** containerd's answer to a pull of a missing image, as the kubelet quotes it. */
function pullError(image: string): string {
  const ref = normalizeImage(image);
  return `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`;
}

/** Returns the waiting message of a failing container (the behaviour's own message wins). */
function failureMessage(behaviour: Extract<WorkloadBehaviour, { kind: 'fail' }>, pod: Obj, container: Obj): string {
  if (behaviour.message) return behaviour.message;
  const image = String(container.image ?? '');
  switch (behaviour.reason) {
    case 'ImagePullBackOff':
      return `Back-off pulling image "${image}"`;
    case 'ErrImagePull':
      return pullError(image);
    case 'CrashLoopBackOff':
      return `back-off 10s restarting failed container=${container.name} pod=${pod.metadata.name}_${nsOf(pod as KObject)}(${pod.metadata.uid})`;
  }
}

/**
 * Returns the Pod status the kubelet reports in `mode`: Pending with ContainerCreating while
 * starting; Running and Ready once started; for a failing workload the first container waits
 * with the behaviour's reason (ImagePullBackOff/ErrImagePull: phase Pending; CrashLoopBackOff:
 * phase Running, restartCount >= 1, last state terminated with exit code 1) while the others run.
 * Times already reported are kept, so an unchanged Pod yields an equal status.
 */
function podStatus(pod: Obj, state: PodState, mode: Mode, behaviour: WorkloadBehaviour, now: number): Obj {
  const prev: Obj = pod.status ?? {};
  const spec: Obj = pod.spec ?? {};
  const containers: Obj[] = spec.containers ?? [];
  const inits: Obj[] = spec.initContainers ?? [];
  const uid = String(pod.metadata.uid);
  const fail = mode === 'fail' && behaviour.kind === 'fail' ? behaviour : undefined;
  const failingName = fail ? containers[0]?.name : undefined;
  const prevStatuses: Obj[] = [...(prev.initContainerStatuses ?? []), ...(prev.containerStatuses ?? [])];
  const previousOf = (name: string): Obj | undefined => prevStatuses.find((c) => c?.name === name);
  const startedAt = (name: string): string => previousOf(name)?.state?.running?.startedAt ?? iso(now);
  const containerId = (name: string, restarts: number): string => `containerd://${sha256(`${uid}/${name}/${restarts}`)}`;

  const running = (c: Obj, restartCount: number, lastState: Obj): Obj => {
    const image = normalizeImage(String(c.image ?? ''));
    return {
      name: c.name, image, imageID: imageId(image), containerID: containerId(c.name, restartCount),
      ready: true, started: true, restartCount, state: { running: { startedAt: startedAt(c.name) } }, lastState,
    };
  };

  const containerStatuses = containers.map((c) => {
    const p = previousOf(c.name);
    const image = normalizeImage(String(c.image ?? ''));
    const restartCount: number = p?.restartCount ?? 0;
    const lastState: Obj = p?.lastState ?? {};
    if (mode === 'creating') {
      return { name: c.name, image, imageID: '', ready: false, started: false, restartCount, state: { waiting: { reason: 'ContainerCreating' } }, lastState };
    }
    if (fail && c.name === failingName) {
      const waiting = { reason: fail.reason, message: failureMessage(fail, pod, c) };
      if (fail.reason !== 'CrashLoopBackOff') {
        return { name: c.name, image, imageID: '', ready: false, started: false, restartCount, state: { waiting }, lastState };
      }
      const restarts = Math.max(1, restartCount);
      const crashedAt = iso(state.seenAt);
      const terminated = p?.lastState?.terminated ?? {
        containerID: containerId(c.name, restarts - 1), exitCode: 1, reason: 'Error', startedAt: crashedAt, finishedAt: crashedAt,
      };
      return {
        name: c.name, image, imageID: imageId(image), containerID: terminated.containerID,
        ready: false, started: false, restartCount: restarts, state: { waiting }, lastState: { terminated },
      };
    }
    return running(c, restartCount, lastState);
  });

  const initContainerStatuses = inits.map((c) => {
    const image = normalizeImage(String(c.image ?? ''));
    if (mode === 'creating') {
      return { name: c.name, image, imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } }, lastState: {} };
    }
    // Native sidecars (restartPolicy Always) keep running; ordinary init containers have completed.
    if (c.restartPolicy === 'Always') return running(c, previousOf(c.name)?.restartCount ?? 0, previousOf(c.name)?.lastState ?? {});
    const at = iso(state.seenAt);
    return {
      name: c.name, image, imageID: imageId(image), containerID: containerId(c.name, 0),
      ready: true, started: false, restartCount: 0,
      state: { terminated: { containerID: containerId(c.name, 0), exitCode: 0, reason: 'Completed', startedAt: at, finishedAt: at } },
      lastState: {},
    };
  });

  const unready = [...initContainerStatuses.filter((c) => c.state.running && !c.ready), ...containerStatuses.filter((c) => !c.ready)].map((c) => c.name);
  const uninitialized = mode === 'creating' ? inits.filter((c) => c.restartPolicy !== 'Always').map((c) => c.name) : [];
  const notReady = { reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` };
  const conditions = [
    condition(prev.conditions, now, { type: 'PodReadyToStartContainers', status: mode === 'creating' ? 'False' : 'True' }, false, true),
    condition(prev.conditions, now, uninitialized.length > 0
      ? { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: [${uninitialized.join(' ')}]` }
      : { type: 'Initialized', status: 'True' }, false, true),
    condition(prev.conditions, now, unready.length > 0 ? { type: 'Ready', status: 'False', ...notReady } : { type: 'Ready', status: 'True' }, false, true),
    condition(prev.conditions, now, unready.length > 0 ? { type: 'ContainersReady', status: 'False', ...notReady } : { type: 'ContainersReady', status: 'True' }, false, true),
    condition(prev.conditions, now, { type: 'PodScheduled', status: 'True' }, false, true),
  ];
  const phase = mode === 'creating' || (fail && fail.reason !== 'CrashLoopBackOff') ? 'Pending' : 'Running';
  const status: Obj = {
    phase,
    conditions,
    hostIP: NODE_IP,
    hostIPs: [{ ip: NODE_IP }],
  };
  if (mode !== 'creating') {
    status.podIP = state.ip;
    status.podIPs = [{ ip: state.ip }];
  }
  status.startTime = prev.startTime ?? iso(state.seenAt);
  if (inits.length > 0) status.initContainerStatuses = initContainerStatuses;
  status.containerStatuses = containerStatuses;
  status.qosClass = prev.qosClass ?? qosClass(spec);
  return status;
}
