/** What `meshctl waypoint` does, loaded only when it runs. Messages and tables as istioctl 1.30.3's (istioctl/pkg/waypoint). */
import type { Deps } from '../deps.js';
import { toYaml } from '../manifest/serialize.js';
import type { K8sObject } from '../manifest/objects.js';
import {
  DATAPLANE_MODE_LABEL, USE_WAYPOINT_LABEL, isProgrammed, waypointGateway, waypointListTable, waypointStatusTable, type TrafficType,
} from '../render/waypoint.js';
import type { KubeClient } from '../kube/types.js';
import {
  WaypointTimeoutError, applyWaypoint, deleteWaypoints, enrollNamespace, enrollmentState, gatewayRef, listWaypoints, namespaceLabels,
  requireGatewayApi, waitProgrammed, type DeleteSelection,
} from '../kube/waypoints.js';
import { sleep } from '../kube/sleep.js';
import { connectCluster, type KubeGlobals } from './kube-flags.js';

/** Options of `waypoint generate`. */
export interface WaypointGenerateOptions {
  name: string;
  /** Left out of the object when not given (as upstream's generate without -n). */
  namespace?: string;
  trafficType?: TrafficType;
  revision?: string;
}

/** Writes the waypoint's Gateway as YAML to stdout (keys sorted, as istioctl's marshaller writes them). Reads no cluster. */
export async function runWaypointGenerate(deps: Deps, opts: WaypointGenerateOptions): Promise<void> {
  deps.stdout.write(toYaml(waypointGateway(opts)));
}

/** Options of `waypoint apply`. */
export interface WaypointApplyOptions extends WaypointGenerateOptions {
  enrollNamespace: boolean;
  overwrite: boolean;
  wait: boolean;
  timeoutMs: number;
  /** Interval between reads while waiting, ms; default 1000 (istioctl's ticker). */
  pollMs?: number;
}

/** Connects, checks that the cluster serves Gateways, and returns the client with the namespace to work in (`-n`, else the context's). */
async function connect(deps: Deps, globals: KubeGlobals, namespace: string | undefined): Promise<{ client: KubeClient; namespace: string }> {
  const client = await connectCluster(deps, globals);
  await requireGatewayApi(client);
  return { client, namespace: namespace ?? client.identity.namespace };
}

/**
 * Applies a waypoint as istioctl does: the namespace must exist; with --enroll-namespace, a
 * namespace already using another waypoint is left alone with a warning (nothing applied, exit 0)
 * unless --overwrite, and a namespace not in ambient mode gets a warning. Then the Gateway is
 * applied, with --wait waited for until Programmed, and the namespace labelled
 * istio.io/use-waypoint. Progress lines on stderr. Throws GatewayApiMissingError,
 * NamespaceNotFoundError, WaypointTimeoutError, what the client throws (exit 1).
 */
export async function runWaypointApply(deps: Deps, opts: WaypointApplyOptions, globals: KubeGlobals): Promise<void> {
  const { client, namespace } = await connect(deps, globals, opts.namespace);
  const state = await enrollmentState(client, namespace);
  if (opts.enrollNamespace) {
    if (state.enrolledWaypoint && state.enrolledWaypoint !== opts.name && !opts.overwrite) {
      deps.stderr.write(`⚠️ Warning: namespace (${namespace}) already has an enrolled Waypoint ("${state.enrolledWaypoint}"); nothing was applied. `
        + 'Consider adding the `--overwrite` flag to your apply command.\n');
      return;
    }
    if (!state.ambient) {
      deps.stderr.write('⚠️ Warning: namespace is not enrolled in ambient. Consider running\t'
        + `\`kubectl label namespace ${namespace} ${DATAPLANE_MODE_LABEL}=ambient\`\n`);
    }
  }
  const gw = waypointGateway({ ...opts, namespace });
  await applyWaypoint(client, gw);
  deps.stderr.write(`✅ waypoint ${namespace}/${gw.metadata.name} applied\n`);
  if (opts.wait) {
    await waitProgrammed(client, gatewayRef(namespace, gw.metadata.name), { timeoutMs: opts.timeoutMs, pollMs: opts.pollMs ?? 1000, ...signal(deps) });
    deps.stderr.write(`✅ waypoint ${namespace}/${gw.metadata.name} is ready!\n`);
  }
  if (opts.enrollNamespace) {
    await enrollNamespace(client, namespace, gw.metadata.name);
    deps.stderr.write(`✅ namespace ${namespace} labeled with "${USE_WAYPOINT_LABEL}: ${gw.metadata.name}"\n`);
  }
}

function signal(deps: Deps): { signal?: AbortSignal } {
  return deps.signal ? { signal: deps.signal } : {};
}

/** Options of `waypoint list`. */
export interface WaypointListOptions {
  namespace?: string;
  allNamespaces: boolean;
}

/**
 * Prints the waypoints (Gateways of class istio-waypoint only) of the namespace, or of all with -A,
 * as istioctl's table on stdout; `No waypoints found.` on stderr when there are none. Throws
 * GatewayApiMissingError, what the client throws.
 */
export async function runWaypointList(deps: Deps, opts: WaypointListOptions, globals: KubeGlobals): Promise<void> {
  const { client, namespace } = await connect(deps, globals, opts.namespace);
  const waypoints = await listWaypoints(client, opts.allNamespaces ? undefined : namespace);
  if (!waypoints.length) deps.stderr.write('No waypoints found.\n');
  else deps.stdout.write(waypointListTable(waypoints, opts.allNamespaces));
}

/** Options of `waypoint status`. */
export interface WaypointStatusOptions {
  namespace?: string;
  /** Only this waypoint (`--name` given). */
  name?: string;
  allNamespaces: boolean;
  wait: boolean;
  timeoutMs: number;
  pollMs?: number;
  /** Clock, ms; default Date.now. */
  now?: () => number;
}

/**
 * Prints the status table of the waypoints (see waypointStatusTable) on stdout. With --wait (the
 * default, as istioctl) the table waits until every waypoint shown is programmed or the timeout
 * passes; on timeout it is printed as it stands and the run fails naming the waypoints not
 * programmed. No waypoint: `No waypoints found.` on stderr (with --name: an error). Throws
 * GatewayApiMissingError, WaypointTimeoutError, Error, what the client throws.
 */
export async function runWaypointStatus(deps: Deps, opts: WaypointStatusOptions, globals: KubeGlobals): Promise<void> {
  const { client, namespace } = await connect(deps, globals, opts.namespace);
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.timeoutMs;
  const read = async () => (await listWaypoints(client, opts.allNamespaces ? undefined : namespace))
    .filter((w) => opts.name === undefined || w.metadata.name === opts.name);
  let waypoints = await read();
  if (!waypoints.length) {
    if (opts.name !== undefined) throw new Error(`waypoint ${opts.allNamespaces ? '' : `${namespace}/`}${opts.name} not found`);
    deps.stderr.write('No waypoints found.\n');
    return;
  }
  let pending: K8sObject[] = [];
  for (;;) {
    pending = opts.wait ? waypoints.filter((w) => !isProgrammed(w)) : [];
    const left = deadline - now();
    if (!pending.length || left <= 0) break;
    await sleep(Math.min(opts.pollMs ?? 1000, left), deps.signal);
    waypoints = await read();
  }
  deps.stdout.write(waypointStatusTable(waypoints, opts.allNamespaces));
  if (pending.length) {
    const names = pending.map((w) => `${w.metadata.namespace}/${w.metadata.name}`).join(', ');
    throw new WaypointTimeoutError(`timed out after ${opts.timeoutMs / 1000}s waiting for waypoint${pending.length > 1 ? 's' : ''} ${names} to be programmed `
      + '(see the table; --wait=false shows the status without waiting)');
  }
}

/** Options of `waypoint delete`. */
export interface WaypointDeleteOptions {
  namespace?: string;
  selection: DeleteSelection;
}

/**
 * Deletes waypoints (never a Gateway of another class) and says per name what happened, on stderr:
 * `waypoint ns/name deleted`, `... not found` (exit 0, as istioctl), a named Gateway that is not a
 * waypoint is left alone; a warning when the namespace is still enrolled with a deleted waypoint.
 * Throws GatewayApiMissingError, NamespaceNotFoundError, what the client throws.
 */
export async function runWaypointDelete(deps: Deps, opts: WaypointDeleteOptions, globals: KubeGlobals): Promise<void> {
  const { client, namespace } = await connect(deps, globals, opts.namespace);
  await namespaceLabels(client, namespace);
  const result = await deleteWaypoints(client, namespace, opts.selection);
  for (const name of result.deleted) deps.stderr.write(`waypoint ${namespace}/${name} deleted\n`);
  for (const name of result.notFound) deps.stderr.write(`waypoint ${namespace}/${name} not found\n`);
  for (const g of result.notWaypoints) {
    deps.stderr.write(`Gateway ${namespace}/${g.name} is not a waypoint (gatewayClassName "${g.gatewayClassName}"): not deleted\n`);
  }
  if ('all' in opts.selection && !result.deleted.length && !result.notFound.length) {
    deps.stderr.write(`No waypoints${opts.selection.revision ? ` of revision "${opts.selection.revision}"` : ''} found in namespace ${namespace}.\n`);
  }
  if (result.stillEnrolled) {
    deps.stderr.write(`⚠️ Warning: namespace ${namespace} is still labeled ${USE_WAYPOINT_LABEL}=${result.stillEnrolled}, a waypoint that no longer exists; `
      + `to stop using it: kubectl label namespace ${namespace} ${USE_WAYPOINT_LABEL}-\n`);
  }
}
