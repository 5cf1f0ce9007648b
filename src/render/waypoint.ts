/**
 * Waypoints as Istio 1.30.3's `istioctl waypoint` makes and reads them
 * (istioctl/pkg/waypoint/waypoint.go): the Gateway object a waypoint is, and the rows of
 * `waypoint list` and `waypoint status` from Gateways as the cluster holds them. Pure: the cluster
 * side is src/kube/waypoints.ts.
 */
import { isObject, type Json, type JsonObject, type K8sObject } from '../manifest/objects.js';

/** apiVersion of the Gateways istioctl writes (gateway.networking.k8s.io/v1, upstream's gvk.KubernetesGateway). */
export const GATEWAY_API_VERSION = 'gateway.networking.k8s.io/v1';
/** The CRD a waypoint needs; named in the error when the Gateway API is not installed. */
export const GATEWAY_CRD = 'gateways.gateway.networking.k8s.io';
/** The Gateway class that makes a Gateway a waypoint (upstream's constants.WaypointGatewayClassName). */
export const WAYPOINT_CLASS = 'istio-waypoint';
/** Name of a waypoint when `--name` is not given or empty (upstream's constants.DefaultNamespaceWaypoint). */
export const DEFAULT_WAYPOINT_NAME = 'waypoint';
/** Label saying which traffic a waypoint takes (upstream's label.IoIstioWaypointFor). */
export const WAYPOINT_FOR_LABEL = 'istio.io/waypoint-for';
/** Namespace (or workload) label naming the waypoint its traffic goes through (label.IoIstioUseWaypoint). */
export const USE_WAYPOINT_LABEL = 'istio.io/use-waypoint';
/** Namespace label enrolling it in ambient mode, with value `ambient` (label.IoIstioDataplaneMode). */
export const DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode';
/** The control plane revision label (label.IoIstioRev). */
export const REV_LABEL = 'istio.io/rev';
/** `--for` values, in the order istioctl lists them (service, workload, all, none; printed sorted). */
export const TRAFFIC_TYPES = ['all', 'none', 'service', 'workload'] as const;
export type TrafficType = (typeof TRAFFIC_TYPES)[number];
/** The name `none` means "no waypoint" in istio.io/use-waypoint, so no waypoint may have it. */
export const RESERVED_WAYPOINT_NAME = 'none';

/** What a waypoint is made of (the flags of `waypoint generate|apply`). */
export interface WaypointSpec {
  /** Empty means DEFAULT_WAYPOINT_NAME, as upstream. */
  name: string;
  /** Omitted from the object when undefined (`generate` without `-n`). */
  namespace?: string;
  /** `--for`: labelled only when given, so that istiod's default (service) applies otherwise. */
  trafficType?: TrafficType;
  /** `-r`: the `istio.io/rev` label. */
  revision?: string;
}

/**
 * Returns the Gateway of a waypoint as istioctl generates it: class `istio-waypoint`, one listener
 * `mesh` on port 15008 with protocol HBONE, labels `istio.io/waypoint-for` and `istio.io/rev` only
 * when `--for` and `-r` give them. Throws Error for the reserved name `none` (upstream's message).
 */
export function waypointGateway(spec: WaypointSpec): K8sObject {
  const name = spec.name || DEFAULT_WAYPOINT_NAME;
  if (name === RESERVED_WAYPOINT_NAME) throw new Error('invalid name provided for waypoint, \'none\' is a reserved value');
  const labels: Record<string, string> = {};
  if (spec.trafficType) labels[WAYPOINT_FOR_LABEL] = spec.trafficType;
  if (spec.revision) labels[REV_LABEL] = spec.revision;
  return {
    apiVersion: GATEWAY_API_VERSION,
    kind: 'Gateway',
    metadata: {
      ...(Object.keys(labels).length ? { labels } : {}),
      name,
      ...(spec.namespace ? { namespace: spec.namespace } : {}),
    },
    spec: {
      gatewayClassName: WAYPOINT_CLASS,
      listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }],
    },
  };
}

/** Returns true for a Gateway of class `istio-waypoint`: the only Gateways the waypoint commands list or delete. */
export function isWaypoint(gw: K8sObject): boolean {
  return isObject(gw.spec as Json | undefined) && (gw.spec as JsonObject).gatewayClassName === WAYPOINT_CLASS;
}

/** One condition of a Gateway's status, as the table shows it. */
export interface GatewayCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

/** Returns the Gateway's status conditions (strings only; anything malformed is left out). */
export function gatewayConditions(gw: K8sObject): GatewayCondition[] {
  const status = isObject(gw.status as Json | undefined) ? gw.status as JsonObject : {};
  const list = Array.isArray(status.conditions) ? status.conditions.filter(isObject) : [];
  const str = (v: Json | undefined) => (typeof v === 'string' ? v : '');
  return list.filter((c) => typeof c.type === 'string')
    .map((c) => ({ type: str(c.type), status: str(c.status), reason: str(c.reason), message: str(c.message) }));
}

/** Returns the condition of `type`, or undefined when the Gateway has none. */
export function gatewayCondition(gw: K8sObject, type: string): GatewayCondition | undefined {
  return gatewayConditions(gw).find((c) => c.type === type);
}

/** Returns true when the Gateway's `Programmed` condition is `True` (what `--wait` waits for). */
export function isProgrammed(gw: K8sObject): boolean {
  return gatewayCondition(gw, 'Programmed')?.status === 'True';
}

/** A row of `waypoint list` (upstream's columns). */
export interface WaypointListRow {
  namespace: string;
  name: string;
  /** The `istio.io/rev` label, `default` without one. */
  revision: string;
  /** The `istio.io/waypoint-for` label, `none` without one (as istioctl prints it, though istiod then uses service). */
  trafficType: string;
  /** The Programmed condition's status, `False` without one. */
  programmed: string;
}

/** Returns the list row of a waypoint, with istioctl's defaults for missing labels and conditions. */
export function waypointListRow(gw: K8sObject): WaypointListRow {
  const labels = gw.metadata.labels ?? {};
  return {
    namespace: gw.metadata.namespace ?? '',
    name: gw.metadata.name,
    revision: labels[REV_LABEL] || 'default',
    trafficType: labels[WAYPOINT_FOR_LABEL] || 'none',
    programmed: gatewayCondition(gw, 'Programmed')?.status || 'False',
  };
}

/** Returns the waypoints among `gateways`, sorted by namespace, then name (as istioctl lists them). */
export function sortedWaypoints(gateways: readonly K8sObject[]): K8sObject[] {
  const key = (g: K8sObject) => [g.metadata.namespace ?? '', g.metadata.name] as const;
  return gateways.filter(isWaypoint).sort((a, b) => {
    const [an, aa] = key(a);
    const [bn, bb] = key(b);
    return an < bn ? -1 : an > bn ? 1 : aa < bb ? -1 : aa > bb ? 1 : 0;
  });
}

/**
 * Returns the `waypoint list` table as istioctl prints it (`NAME REVISION TRAFFIC TYPE PROGRAMMED`,
 * with NAMESPACE first for `-A`), laid out as its tabwriter does (padding 5).
 */
export function waypointListTable(waypoints: readonly K8sObject[], allNamespaces: boolean): string {
  const head = ['NAME', 'REVISION', 'TRAFFIC TYPE', 'PROGRAMMED'];
  const rows = waypoints.map(waypointListRow).map((r) => [r.name, r.revision, r.trafficType, r.programmed]);
  const ns = waypoints.map((w) => w.metadata.namespace ?? '');
  return tabwrite(allNamespaces
    ? [['NAMESPACE', ...head], ...rows.map((r, i) => [ns[i]!, ...r])]
    : [head, ...rows]);
}

/**
 * Returns the conditions `waypoint status` shows for a waypoint: its `Programmed` condition (as
 * istioctl shows; `Unknown` with empty reason when the Gateway has none yet), preceded by its
 * `Accepted` condition when that is `False`, since it then says why the waypoint cannot be
 * programmed (while both are `Unknown`, as the CRD's default status has them, they say the same).
 */
export function statusConditions(gw: K8sObject): GatewayCondition[] {
  const accepted = gatewayCondition(gw, 'Accepted');
  const programmed = gatewayCondition(gw, 'Programmed') ?? { type: 'Programmed', status: 'Unknown', reason: '', message: '' };
  return [...(accepted?.status === 'False' ? [accepted] : []), programmed];
}

/**
 * Returns the `waypoint status` table as istioctl prints it (`NAME STATUS TYPE REASON MESSAGE`,
 * NAMESPACE first for `-A`), one row per condition of statusConditions().
 */
export function waypointStatusTable(waypoints: readonly K8sObject[], allNamespaces: boolean): string {
  const rows: string[][] = [];
  for (const gw of waypoints) {
    for (const c of statusConditions(gw)) {
      const row = [gw.metadata.name, c.status, c.type, c.reason, oneLine(c.message)];
      rows.push(allNamespaces ? [gw.metadata.namespace ?? '', ...row] : row);
    }
  }
  const head = ['NAME', 'STATUS', 'TYPE', 'REASON', 'MESSAGE'];
  return tabwrite([allNamespaces ? ['NAMESPACE', ...head] : head, ...rows]);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/**
 * Returns rows laid out as Go's text/tabwriter does with istioctl's settings (minwidth 0, padding
 * `padding`, pad character space): every cell but a row's last is padded to its column's widest
 * cell plus the padding; the last cell is written as is.
 */
export function tabwrite(rows: readonly (readonly string[])[], padding = 5): string {
  const widths: number[] = [];
  for (const r of rows) r.slice(0, -1).forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, c.length); });
  return rows.map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]! + padding) : c)).join('') + '\n').join('');
}
