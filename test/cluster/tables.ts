/**
 * Server-side printing: the `meta.k8s.io/v1` Table kubectl asks for (`Accept: ...;as=Table;...`)
 * when it prints `kubectl get` output. Columns follow the real server's printers
 * (k8s.io/kubernetes pkg/printers/internalversion) for the common kinds, the
 * `additionalPrinterColumns` of a CRD for custom resources, and Name/Created At otherwise, so
 * that a person running kubectl against the standalone test cluster sees familiar tables.
 */
import type { ResourceType } from './resources.js';
import type { KObject } from './types.js';

/** One column of a Table. */
interface Column {
  name: string;
  type: 'string' | 'integer' | 'date' | 'number' | 'boolean';
  format?: string;
  description: string;
  priority: number;
  cell: (obj: Obj, now: Date) => unknown;
}

type Obj = Record<string, any>;

/** Returns true when an Accept header asks for a Table (kubectl's human-readable `get`). */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && accept.split(',').some((part) => /;\s*as=Table/.test(part) && /;\s*g=meta\.k8s\.io/.test(part));
}

/** Human-readable age as `kubectl get` prints it (apimachinery's duration.HumanDuration). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

function age(obj: Obj, now: Date): string {
  const created = Date.parse(obj.metadata?.creationTimestamp ?? '');
  return Number.isNaN(created) ? '<unknown>' : humanDuration(now.getTime() - created);
}

const NAME: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0, cell: (o) => o.metadata.name };
const AGE: Column = { name: 'Age', type: 'string', description: 'CreationTimestamp is the time the object was created.', priority: 0, cell: age };

function col(name: string, cell: Column['cell'], type: Column['type'] = 'string', priority = 0): Column {
  return { name, type, description: name, priority, cell };
}

const n = (v: unknown): number => (typeof v === 'number' ? v : 0);

function podStatus(pod: Obj): string {
  if (pod.metadata?.deletionTimestamp) return 'Terminating';
  for (const c of pod.status?.containerStatuses ?? []) {
    const reason = c.state?.waiting?.reason ?? c.state?.terminated?.reason;
    if (reason) return reason;
  }
  return pod.status?.phase ?? 'Pending';
}

function servicePorts(svc: Obj): string {
  const ports = (svc.spec?.ports ?? []) as Obj[];
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

const BUILTIN_COLUMNS: Record<string, Column[]> = {
  '/Namespace': [NAME, col('Status', (o) => o.status?.phase ?? ''), AGE],
  '/Node': [NAME,
    col('Status', (o) => ((o.status?.conditions ?? []) as Obj[]).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Ready' : 'NotReady'),
    col('Roles', (o) => Object.keys(o.metadata?.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice(24)).join(',') || '<none>'),
    AGE, col('Version', (o) => o.status?.nodeInfo?.kubeletVersion ?? '')],
  '/Pod': [NAME,
    col('Ready', (o) => `${((o.status?.containerStatuses ?? []) as Obj[]).filter((c) => c.ready).length}/${(o.spec?.containers ?? []).length}`),
    col('Status', podStatus),
    col('Restarts', (o) => ((o.status?.containerStatuses ?? []) as Obj[]).reduce((s, c) => s + n(c.restartCount), 0), 'string'),
    AGE,
    col('IP', (o) => o.status?.podIP ?? '<none>', 'string', 1),
    col('Node', (o) => o.spec?.nodeName ?? '<none>', 'string', 1)],
  '/Service': [NAME, col('Type', (o) => o.spec?.type ?? 'ClusterIP'), col('Cluster-IP', (o) => o.spec?.clusterIP ?? '<none>'),
    col('External-IP', (o) => ((o.status?.loadBalancer?.ingress ?? []) as Obj[]).map((i) => i.ip ?? i.hostname).join(',') || (o.spec?.type === 'LoadBalancer' ? '<pending>' : '<none>')),
    col('Port(s)', servicePorts), AGE],
  '/ConfigMap': [NAME, col('Data', (o) => Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length, 'integer'), AGE],
  '/Secret': [NAME, col('Type', (o) => o.type ?? 'Opaque'), col('Data', (o) => Object.keys(o.data ?? {}).length, 'integer'), AGE],
  '/ServiceAccount': [NAME, col('Secrets', (o) => (o.secrets ?? []).length, 'integer'), AGE],
  '/Event': [col('Last Seen', (o, now) => (o.lastTimestamp ? humanDuration(now.getTime() - Date.parse(o.lastTimestamp)) : '<unknown>')),
    col('Type', (o) => o.type ?? ''), col('Reason', (o) => o.reason ?? ''),
    col('Object', (o) => `${String(o.involvedObject?.kind ?? '').toLowerCase()}/${o.involvedObject?.name ?? ''}`), col('Message', (o) => o.message ?? '')],
  'apps/Deployment': [NAME, col('Ready', (o) => `${n(o.status?.readyReplicas)}/${o.spec?.replicas ?? 1}`),
    col('Up-to-date', (o) => n(o.status?.updatedReplicas), 'integer'), col('Available', (o) => n(o.status?.availableReplicas), 'integer'), AGE],
  'apps/ReplicaSet': [NAME, col('Desired', (o) => o.spec?.replicas ?? 1, 'integer'), col('Current', (o) => n(o.status?.replicas), 'integer'),
    col('Ready', (o) => n(o.status?.readyReplicas), 'integer'), AGE],
  'apps/DaemonSet': [NAME, col('Desired', (o) => n(o.status?.desiredNumberScheduled), 'integer'), col('Current', (o) => n(o.status?.currentNumberScheduled), 'integer'),
    col('Ready', (o) => n(o.status?.numberReady), 'integer'), col('Up-to-date', (o) => n(o.status?.updatedNumberScheduled), 'integer'),
    col('Available', (o) => n(o.status?.numberAvailable), 'integer'),
    col('Node Selector', (o) => Object.entries(o.spec?.template?.spec?.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>'), AGE],
  'apps/StatefulSet': [NAME, col('Ready', (o) => `${n(o.status?.readyReplicas)}/${o.spec?.replicas ?? 1}`), AGE],
  'apiextensions.k8s.io/CustomResourceDefinition': [NAME,
    { name: 'Created At', type: 'date', description: 'CreationTimestamp is the time the object was created.', priority: 0, cell: (o) => o.metadata.creationTimestamp }],
};

/** Reads a simple JSONPath (`.spec.hosts`, `.status.conditions[0].type`) as CRD printer columns use them. */
function jsonPathValue(obj: Obj, path: string): unknown {
  let current: unknown = obj;
  for (const part of path.replace(/^\{?\.?/, '').replace(/\}$/, '').split('.').filter((p) => p !== '')) {
    const m = /^([^[]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) return undefined;
    current = (current as Obj | undefined)?.[m[1]!];
    for (const idx of m[2]!.match(/\d+/g) ?? []) current = (current as unknown[] | undefined)?.[Number(idx)];
  }
  return current;
}

interface PrinterColumn { name: string; type: string; jsonPath: string; description?: string; priority?: number; format?: string }

function customColumns(crd: KObject | undefined, version: string): Column[] {
  const versions = ((crd?.spec as Obj | undefined)?.versions ?? []) as Obj[];
  const printer = (versions.find((v) => v.name === version)?.additionalPrinterColumns ?? []) as PrinterColumn[];
  if (printer.length === 0) return [NAME, AGE];
  return [NAME, ...printer.map((p): Column => ({
    name: p.name, type: (p.type === 'date' ? 'string' : p.type) as Column['type'], description: p.description ?? p.name, priority: p.priority ?? 0,
    cell: (o, now) => {
      const v = jsonPathValue(o, p.jsonPath);
      if (v === undefined || v === null) return null;
      // As the apiextensions server does: dates become ages, lists print as JSON.
      if (p.type === 'date' && typeof v === 'string') return humanDuration(now.getTime() - Date.parse(v));
      return typeof v === 'object' ? JSON.stringify(v) : v;
    },
  }))];
}

/**
 * Returns the Table of `items` of type `t`. `crd` is the defining CRD for custom resources (its
 * printer columns are used). Rows carry the objects' metadata as PartialObjectMetadata, which
 * kubectl needs for `--show-labels` and namespaces.
 */
export function toTable(t: ResourceType, items: KObject[], now: Date, crd: KObject | undefined, listMeta: Record<string, unknown> = {}): object {
  const columns = t.custom ? customColumns(crd, t.version) : BUILTIN_COLUMNS[`${t.group}/${t.kind}`] ?? [NAME, AGE];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: columns.map(({ name, type, format, description, priority }) => ({ name, type, format: format ?? '', description, priority })),
    rows: items.map((item) => ({
      cells: columns.map((c) => c.cell(item as Obj, now) ?? null),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: item.metadata },
    })),
  };
}
