/**
 * Readiness of installed objects, as istioctl's installer defines it (operator/pkg/install/wait.go,
 * Istio 1.30.3; reference section 2.4 step 9), and the explanation of why something is not ready
 * (pod waiting reasons and recent Warning events) for timeout messages. Shared by install,
 * verify-install and uninstall.
 */
import { isObject, type Json, type JsonObject, type K8sObject } from '../manifest/objects.js';
import { refOf } from './refs.js';
import { terminationReason } from './terminating.js';
import type { KubeClient, ObjectRef } from './types.js';

/** An object that is not ready, with why (e.g. `container failed to start: ImagePullBackOff: Back-off pulling image "..."` and recent Warning events). */
export interface Unready {
  ref: ObjectRef;
  reason: string;
}

/** Kinds whose readiness is checked; every other kind is ready once it exists. */
const WAITED_KINDS = new Set(['CustomResourceDefinition', 'Namespace', 'Deployment', 'DaemonSet', 'StatefulSet']);

/** Returns true when `checkReady` does more than an existence check for this kind. */
export function isWaitedKind(kind: string): boolean {
  return WAITED_KINDS.has(kind);
}

function obj(v: Json | undefined): JsonObject {
  return isObject(v) ? v : {};
}

function num(v: Json | undefined, dflt = 0): number {
  return typeof v === 'number' ? v : dflt;
}

function conditions(status: JsonObject): JsonObject[] {
  return Array.isArray(status.conditions) ? status.conditions.filter(isObject) : [];
}

/**
 * Returns undefined when the live object (as read from the server) is ready, else a short reason.
 * Rules (per Istio 1.30.3 wait.go, using status fields instead of a ReplicaSet lookup):
 * CRD `Established=True`; Namespace phase `Active`; Deployment `observedGeneration >= generation`
 * and updated and ready replicas >= spec.replicas (default 1); DaemonSet `observedGeneration ==
 * generation`, then with the RollingUpdate strategy (the default) `desiredNumberScheduled > 0`,
 * `numberReady >= desiredNumberScheduled` and `updatedNumberScheduled == desiredNumberScheduled`,
 * with OnDelete only the updated count; StatefulSet updated and ready replicas >= replicas -
 * partition. Other kinds: ready.
 */
export function readinessOf(live: K8sObject): string | undefined {
  const status = obj(live.status as Json | undefined);
  const spec = obj(live.spec as Json | undefined);
  const generation = num(live.metadata.generation as Json | undefined);
  const observed = num(status.observedGeneration);
  switch (live.kind) {
    case 'CustomResourceDefinition': {
      const est = conditions(status).find((c) => c.type === 'Established');
      return est?.status === 'True' ? undefined : 'not established';
    }
    case 'Namespace':
      return status.phase === 'Active' || status.phase === undefined && !live.metadata.deletionTimestamp
        ? undefined
        : `namespace is ${typeof status.phase === 'string' ? status.phase : 'terminating'}`;
    case 'Deployment': {
      const want = num(spec.replicas, 1);
      if (observed < generation) return 'waiting for the controller to observe the new generation';
      const updated = num(status.updatedReplicas);
      const ready = num(status.readyReplicas);
      if (updated < want) return `${updated}/${want} replicas updated`;
      if (ready < want) return `${ready}/${want} replicas ready`;
      return undefined;
    }
    case 'DaemonSet': {
      if (observed !== generation) return 'waiting for the controller to observe the new generation';
      const desired = num(status.desiredNumberScheduled);
      const ready = num(status.numberReady);
      const updated = num(status.updatedNumberScheduled);
      // istioctl holds an OnDelete DaemonSet only to its updated count: its pods change when someone deletes them.
      if (obj(spec.updateStrategy).type === 'OnDelete') return updated === desired ? undefined : `${updated}/${desired} pods updated`;
      if (desired <= 0) return 'no pods scheduled';
      if (ready < desired) return `${ready}/${desired} pods ready`;
      if (updated !== desired) return `${updated}/${desired} pods updated`;
      return undefined;
    }
    case 'StatefulSet': {
      const replicas = num(spec.replicas, 1);
      const partition = num(obj(obj(spec.updateStrategy).rollingUpdate).partition);
      const want = Math.max(0, replicas - partition);
      if (observed < generation) return 'waiting for the controller to observe the new generation';
      const updated = num(status.updatedReplicas);
      const ready = num(status.readyReplicas);
      if (updated < want) return `${updated}/${want} replicas updated`;
      if (ready < replicas) return `${ready}/${replicas} replicas ready`;
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Reads `obj` from the cluster and returns undefined when it is ready, else a short reason such as
 * `0/1 replicas ready` or `not found`. See `readinessOf` for the rules. Throws KubeError /
 * ClusterUnreachableError from the client.
 */
export async function checkReady(client: KubeClient, obj: K8sObject): Promise<string | undefined> {
  const live = await client.get(refOf(obj));
  if (!live) return 'not found';
  return readinessOf(live);
}

/** Pods of a workload: by its selector's matchLabels, in its namespace. */
async function podsOf(client: KubeClient, live: K8sObject): Promise<K8sObject[]> {
  const ns = live.metadata.namespace;
  const match = obj(obj(obj(live.spec as Json | undefined).selector).matchLabels);
  const selector = Object.entries(match).filter(([, v]) => typeof v === 'string').map(([k, v]) => `${k}=${v as string}`).join(',');
  if (!ns || !selector) return [];
  const pods: K8sObject[] = [];
  for await (const pod of client.list('v1', 'Pod', { namespace: ns, labelSelector: selector })) pods.push(pod);
  return pods;
}

/** Returns the waiting/terminated reasons of a pod's containers, like istioctl's `container failed to start: <Reason>: <Message>`. */
function podProblems(pod: K8sObject): string[] {
  const status = obj(pod.status as Json | undefined);
  const out: string[] = [];
  const all = [
    ...(Array.isArray(status.initContainerStatuses) ? status.initContainerStatuses : []),
    ...(Array.isArray(status.containerStatuses) ? status.containerStatuses : []),
  ].filter(isObject);
  for (const cs of all) {
    const state = obj(cs.state);
    const waiting = obj(state.waiting);
    const terminated = obj(state.terminated);
    if (typeof waiting.reason === 'string' && waiting.reason !== 'ContainerCreating' && waiting.reason !== 'PodInitializing') {
      out.push(`container failed to start: ${waiting.reason}${typeof waiting.message === 'string' && waiting.message ? `: ${waiting.message}` : ''}`);
    } else if (typeof terminated.reason === 'string' && terminated.reason !== 'Completed') {
      out.push(`container terminated: ${terminated.reason}${typeof terminated.message === 'string' && terminated.message ? `: ${terminated.message}` : ''}`);
    }
  }
  if (out.length === 0) {
    const cond = conditions(status).find((c) => c.type === 'PodScheduled' && c.status === 'False');
    if (cond) out.push(`pod not scheduled: ${typeof cond.message === 'string' ? cond.message : String(cond.reason ?? '')}`);
  }
  return out;
}

/** How many unready pods of a DaemonSet explainUnready names. */
const MAX_DAEMON_PODS = 5;

/** True when the pod's Ready condition is True. */
function podReady(pod: K8sObject): boolean {
  return conditions(obj(pod.status as Json | undefined)).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * Returns one entry per unready pod of a DaemonSet, sorted by node then name: `pod ztunnel-x on
 * node-2: container failed to start: CrashLoopBackOff: ...` (or `not ready` without a container
 * reason). A DaemonSet runs one pod per node, so which node's pod fails is the useful part. At
 * most MAX_DAEMON_PODS are named, then how many more.
 */
function unreadyDaemonPods(pods: readonly K8sObject[]): string[] {
  const node = (p: K8sObject) => String(obj(p.spec as Json | undefined).nodeName ?? '');
  const unready = pods.filter((p) => !podReady(p) && !p.metadata.deletionTimestamp)
    .sort((a, b) => node(a).localeCompare(node(b)) || a.metadata.name.localeCompare(b.metadata.name));
  const out = unready.slice(0, MAX_DAEMON_PODS).map((p) => {
    const where = node(p) ? ` on ${node(p)}` : ' (not scheduled)';
    const problems = podProblems(p);
    return `pod ${p.metadata.name}${where}: ${problems.length ? problems.join(', ') : 'not ready'}`;
  });
  if (unready.length > MAX_DAEMON_PODS) out.push(`${unready.length - MAX_DAEMON_PODS} more pods not ready`);
  return out;
}

/** Time of an event for ordering (newest last): lastTimestamp, eventTime, else creation time. */
function eventTime(ev: K8sObject): string {
  const t = ev.lastTimestamp ?? ev.eventTime ?? ev.metadata.creationTimestamp;
  return typeof t === 'string' ? t : '';
}

/** How many Warning events explainUnready shows (the most recent ones). */
const MAX_EVENTS = 3;

/**
 * Returns why `obj` is not ready, for timeout messages: its readiness reason, the waiting reason of
 * each distinct failing container among its pods (`container failed to start: ImagePullBackOff:
 * Back-off pulling image "..."`; for a DaemonSet each unready pod by name and node instead, see
 * `unreadyDaemonPods`), and the last 3 Warning events of the object and its pods
 * (`event: <reason>: <message>`), joined with `; `. An object being deleted also gets what keeps
 * it (`terminationReason`: for a Namespace, its controller's conditions such as `Some content in
 * the namespace has finalizers remaining: example.com/hold in 1 resource instances`). Events are
 * listed in the object's namespace and filtered here, since field selectors differ between
 * servers. Never throws for a missing object (says `not found`); throws KubeError /
 * ClusterUnreachableError from the client.
 */
export async function explainUnready(client: KubeClient, obj0: K8sObject): Promise<string> {
  const live = await client.get(refOf(obj0));
  if (!live) return 'not found';
  const parts: string[] = [];
  const why = readinessOf(live);
  if (why) parts.push(why);
  // An object being deleted says what holds it: a Namespace stuck on a finalizer nobody removes never becomes Active again.
  const held = terminationReason(live);
  if (held) parts.push(held);
  if (!['Deployment', 'DaemonSet', 'StatefulSet'].includes(live.kind)) return parts.join('; ') || 'ready';
  const pods = await podsOf(client, live);
  if (live.kind === 'DaemonSet') parts.push(...unreadyDaemonPods(pods));
  else {
    const problems = new Set<string>();
    for (const pod of pods) for (const p of podProblems(pod)) problems.add(p);
    parts.push(...problems);
  }
  const names = new Set([live.metadata.name, ...pods.map((p) => p.metadata.name)]);
  const events: K8sObject[] = [];
  for await (const ev of client.list('v1', 'Event', { namespace: live.metadata.namespace })) {
    const involved = obj(ev.involvedObject as Json | undefined);
    if (ev.type === 'Warning' && typeof involved.name === 'string' && names.has(involved.name)) events.push(ev);
  }
  events.sort((a, b) => (eventTime(a) < eventTime(b) ? -1 : eventTime(a) > eventTime(b) ? 1 : 0));
  const seen = new Set<string>();
  const recent: string[] = [];
  for (const ev of events.reverse()) {
    const line = `event: ${String(ev.reason ?? '')}: ${String(ev.message ?? '')}`;
    if (seen.has(line)) continue;
    seen.add(line);
    recent.push(line);
    if (recent.length === MAX_EVENTS) break;
  }
  parts.push(...recent.reverse());
  return parts.join('; ') || 'ready';
}
