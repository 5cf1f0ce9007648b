/**
 * Waypoints in a cluster, as Istio 1.30.3's `istioctl waypoint` handles them
 * (istioctl/pkg/waypoint/waypoint.go): the Gateway API check, listing, applying, waiting for
 * `Programmed`, namespace enrollment and deletion that never touches a Gateway of another class
 * (istio/istio#54056). The objects themselves come from src/render/waypoint.ts.
 */
import type { K8sObject } from '../manifest/objects.js';
import {
  DATAPLANE_MODE_LABEL, GATEWAY_API_VERSION, GATEWAY_CRD, REV_LABEL, USE_WAYPOINT_LABEL, WAYPOINT_CLASS,
  gatewayCondition, isProgrammed, isWaypoint, sortedWaypoints,
} from '../render/waypoint.js';
import { FIELD_MANAGER } from './owner.js';
import { sleep } from './sleep.js';
import type { KubeClient, ObjectRef } from './types.js';

/** The Gateway API release Istio 1.30.3 is built and tested against (its go.mod pins sigs.k8s.io/gateway-api v1.5.1). */
export const GATEWAY_API_RELEASE = 'v1.5.1';
/** How istio.io tells users to install the Gateway API CRDs (the standard channel of the release above). */
export const GATEWAY_API_INSTALL = `kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/${GATEWAY_API_RELEASE}/standard-install.yaml`;

/** The cluster does not serve Gateways: the Gateway API CRDs are not installed. Exit 1. */
export class GatewayApiMissingError extends Error {
  override name = 'GatewayApiMissingError';
}

/** A namespace the waypoint commands need does not exist. Exit 1. */
export class NamespaceNotFoundError extends Error {
  override name = 'NamespaceNotFoundError';
}

/**
 * Resolves when the cluster serves Gateways of gateway.networking.k8s.io/v1. Throws
 * GatewayApiMissingError naming the missing CRD and the command that installs the standard channel
 * of Gateway API v1.5.1 (what istio.io's ambient setup runs); what the client throws.
 */
export async function requireGatewayApi(client: KubeClient): Promise<void> {
  if (await client.resourceFor(GATEWAY_API_VERSION, 'Gateway')) return;
  throw new GatewayApiMissingError(`the Gateway API CRDs are not installed: the cluster does not serve ${GATEWAY_CRD} (${GATEWAY_API_VERSION}), `
    + `which waypoints are made of; install them with: ${GATEWAY_API_INSTALL}`);
}

/**
 * Returns every Gateway in `namespace` (all namespaces when undefined), whatever its class,
 * optionally filtered by a label selector. Throws what the client throws.
 */
export async function listGateways(client: KubeClient, namespace?: string, labelSelector?: string): Promise<K8sObject[]> {
  const out: K8sObject[] = [];
  for await (const gw of client.list(GATEWAY_API_VERSION, 'Gateway', {
    ...(namespace !== undefined ? { namespace } : {}),
    ...(labelSelector ? { labelSelector } : {}),
  })) out.push({ ...gw, apiVersion: GATEWAY_API_VERSION, kind: 'Gateway' });
  return out;
}

/** Returns the waypoints (Gateways of class `istio-waypoint`) in `namespace`, or in all namespaces, sorted by namespace and name. */
export async function listWaypoints(client: KubeClient, namespace?: string): Promise<K8sObject[]> {
  return sortedWaypoints(await listGateways(client, namespace));
}

/** Returns the namespace's labels. Throws NamespaceNotFoundError (upstream: `namespace: X not found`); what the client throws. */
export async function namespaceLabels(client: KubeClient, namespace: string): Promise<Record<string, string>> {
  const ns = await client.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
  if (!ns) throw new NamespaceNotFoundError(`namespace "${namespace}" not found`);
  return ns.metadata.labels ?? {};
}

/** What `waypoint apply` found about the namespace before applying (upstream checks the same labels). */
export interface EnrollmentState {
  /** The namespace's `istio.io/use-waypoint` label, `''` when absent. */
  enrolledWaypoint: string;
  /** The namespace is labelled `istio.io/dataplane-mode=ambient`. */
  ambient: boolean;
}

/** Returns the enrollment labels of the namespace. Throws NamespaceNotFoundError; what the client throws. */
export async function enrollmentState(client: KubeClient, namespace: string): Promise<EnrollmentState> {
  const labels = await namespaceLabels(client, namespace);
  return { enrolledWaypoint: labels[USE_WAYPOINT_LABEL] ?? '', ambient: labels[DATAPLANE_MODE_LABEL] === 'ambient' };
}

/**
 * Applies the waypoint Gateway by server-side apply (field manager `meshctl`, not forced, as
 * istioctl applies with its own manager) and returns what the server stored. A Gateway of the same
 * name and another class is refused, not turned into a waypoint. Throws Error for that; what the
 * client throws (a KubeError 409 when another manager owns a field with another value).
 */
export async function applyWaypoint(client: KubeClient, gateway: K8sObject): Promise<K8sObject> {
  const ref = gatewayRef(gateway.metadata.namespace!, gateway.metadata.name);
  const live = await client.get(ref);
  if (live && !isWaypoint(live)) {
    const cls = (live.spec as { gatewayClassName?: unknown } | undefined)?.gatewayClassName;
    throw new Error(`Gateway ${ref.namespace}/${ref.name} already exists and is not a waypoint (gatewayClassName "${String(cls ?? '')}", not "${WAYPOINT_CLASS}"); `
      + 'choose another --name');
  }
  return client.apply(gateway);
}

/** Returns the ref of a Gateway. */
export function gatewayRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: GATEWAY_API_VERSION, kind: 'Gateway', namespace, name };
}

/** Options of waitProgrammed. */
export interface WaitOptions {
  timeoutMs: number;
  /** Interval between reads, ms (istioctl polls every second). */
  pollMs?: number;
  signal?: AbortSignal;
  /** Clock, ms; default Date.now. */
  now?: () => number;
}

/** The waypoint did not become Programmed in time. Exit 1. */
export class WaypointTimeoutError extends Error {
  override name = 'WaypointTimeoutError';
}

/**
 * Returns the Gateway once its `Programmed` condition is `True`, reading it every `pollMs` until
 * `timeoutMs` has passed. Throws WaypointTimeoutError naming the waypoint, the wait and the
 * Programmed condition it last had (or that it is gone); InterruptedError on Ctrl-C; what the client throws.
 */
export async function waitProgrammed(client: KubeClient, ref: ObjectRef, opts: WaitOptions): Promise<K8sObject> {
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.timeoutMs;
  for (;;) {
    const live = await client.get(ref);
    if (live && isProgrammed(live)) return live;
    const left = deadline - now();
    if (left <= 0) {
      const c = live && gatewayCondition(live, 'Programmed');
      const why = !live ? 'the Gateway does not exist'
        : c ? `Programmed is ${c.status || 'empty'}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message.replace(/\s*\n\s*/g, ' ')}` : ''})` : ''}`
          : 'it has no Programmed condition';
      throw new WaypointTimeoutError(`timed out after ${formatMs(opts.timeoutMs)} waiting for waypoint ${ref.namespace}/${ref.name} to be programmed: ${why}; `
        + 'istiod programs waypoints only with ambient mode enabled (PILOT_ENABLE_AMBIENT=true, as the ambient profile sets)');
    }
    await sleep(Math.min(opts.pollMs ?? 1000, left), opts.signal);
  }
}

function formatMs(ms: number): string {
  return `${ms / 1000}s`;
}

/**
 * Labels the namespace `istio.io/use-waypoint=<waypoint>` (a merge patch of that one label, as
 * `kubectl label --overwrite` writes it). Throws what the client throws.
 */
export async function enrollNamespace(client: KubeClient, namespace: string, waypoint: string): Promise<void> {
  await client.mergePatch({ apiVersion: 'v1', kind: 'Namespace', name: namespace }, { metadata: { labels: { [USE_WAYPOINT_LABEL]: waypoint } } });
}

/** What `waypoint delete` selects: names, or every waypoint (`--all`), optionally only of one revision (`-r`). */
export type DeleteSelection = { names: readonly string[] } | { all: true; revision?: string };

/** The outcome of a deletion, per Gateway. */
export interface WaypointDeletion {
  /** Deleted. */
  deleted: string[];
  /** Named but no Gateway of that name exists (or it was gone by the time of the delete). */
  notFound: string[];
  /** Named, but a Gateway of another class: left alone. */
  notWaypoints: { name: string; gatewayClassName: string }[];
  /** Namespace's `istio.io/use-waypoint` label when it names a deleted waypoint: the namespace is still enrolled with it. */
  stillEnrolled?: string;
}

/**
 * Deletes waypoints of `namespace`: the named ones, or all of them (with a revision: those labelled
 * `istio.io/rev=<revision>`). Only Gateways of class `istio-waypoint` are deleted; a named Gateway
 * of another class is reported and kept (istio/istio#54056). Namespaces are not un-enrolled (as
 * istioctl); the result says when the namespace still names a deleted waypoint. Throws what the
 * client throws.
 */
export async function deleteWaypoints(client: KubeClient, namespace: string, sel: DeleteSelection): Promise<WaypointDeletion> {
  const out: WaypointDeletion = { deleted: [], notFound: [], notWaypoints: [] };
  let targets: string[];
  if ('names' in sel) {
    const byName = new Map((await listGateways(client, namespace)).map((g) => [g.metadata.name, g]));
    targets = [];
    for (const name of new Set(sel.names)) {
      const gw = byName.get(name);
      if (!gw) out.notFound.push(name);
      else if (!isWaypoint(gw)) out.notWaypoints.push({ name, gatewayClassName: String((gw.spec as { gatewayClassName?: unknown } | undefined)?.gatewayClassName ?? '') });
      else targets.push(name);
    }
  } else {
    const selector = sel.revision ? `${REV_LABEL}=${sel.revision}` : undefined;
    targets = sortedWaypoints(await listGateways(client, namespace, selector)).map((g) => g.metadata.name);
  }
  for (const name of targets) {
    if (await client.delete(gatewayRef(namespace, name))) out.deleted.push(name);
    else out.notFound.push(name);
  }
  if (out.deleted.length) {
    const ns = await client.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    const enrolled = ns?.metadata.labels?.[USE_WAYPOINT_LABEL];
    if (enrolled && out.deleted.includes(enrolled)) out.stillEnrolled = enrolled;
  }
  return out;
}

/**
 * Returns the waypoints of every namespace that meshctl applied (a managedFields entry of manager
 * `meshctl`, operation Apply), sorted; [] when the cluster does not serve Gateways. For
 * `uninstall --purge`, which removes the waypoints meshctl created (istioctl leaves them:
 * istio/istio#54777). Throws what the client throws.
 */
export async function waypointsAppliedByMeshctl(client: KubeClient): Promise<K8sObject[]> {
  if (!await client.resourceFor(GATEWAY_API_VERSION, 'Gateway')) return [];
  const applied = (gw: K8sObject) => Array.isArray(gw.metadata.managedFields)
    && gw.metadata.managedFields.some((m) => typeof m === 'object' && m !== null && !Array.isArray(m) && m.manager === FIELD_MANAGER && m.operation === 'Apply');
  return (await listWaypoints(client)).filter(applied);
}
