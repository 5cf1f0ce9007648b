/**
 * Host names as Istio 1.30.3's analyzers compare them: short names qualified with a namespace,
 * wildcard overlap, exportTo scopes, the hosts that Services and ServiceEntries make visible to a
 * namespace, and where a VirtualService names its destinations. Facts from upstream
 * pkg/config/analysis/analyzers/util (hosts.go, service_lookup.go, exportto.go, constants.go),
 * pkg/config/host (name.go, names.go) and analyzers/virtualservice/util.go.
 */
import { asList, asMap, field, stringMap, type JsonMap, type ObjectPath, type Resource } from '../resource.js';

/** The Kubernetes service domain Istio appends to short names (`svc.` + the default cluster domain). */
export const SERVICE_DOMAIN = 'svc.cluster.local';
/** exportTo value meaning every namespace. */
export const EXPORT_TO_ALL = '*';
/** exportTo value meaning the resource's own namespace. */
export const EXPORT_TO_LOCAL = '.';
/** The gateway name that binds a VirtualService to the sidecars of the mesh. */
export const MESH_GATEWAY = 'mesh';
/** Service annotation that limits which namespaces see the Service. */
export const EXPORT_TO_ANNOTATION = 'networking.istio.io/exportTo';

/** Istio's own pattern for a cluster-local FQDN: the name may hold dots, the namespace is the last label before the domain. */
const FQDN_PATTERN = /^(.+)\.(.+)\.svc\.cluster\.local$/;

/** A namespaced name. */
export interface NamespacedName {
  namespace: string;
  name: string;
}

/** Returns true when `host` starts with `*` (Istio's wildcard test looks at the first character only). */
export function isWildcard(host: string): boolean {
  return host.startsWith('*');
}

/**
 * Returns `host` as an FQDN: a short name (no dot, no leading `*`) becomes
 * `<host>.<namespace>.svc.cluster.local`; anything else is returned unchanged.
 */
export function toFqdn(namespace: string, host: string): string {
  return isWildcard(host) || host.includes('.') ? host : `${host}.${namespace}.${SERVICE_DOMAIN}`;
}

/** Returns the scoped key `<scope>/<fqdn>` Istio indexes visible hosts by (`*\/reviews.default.svc.cluster.local`). */
export function scopedFqdn(scope: string, namespace: string, host: string): string {
  return `${scope}/${toFqdn(namespace, host)}`;
}

/**
 * Returns the Service a host names: `<name>.<ns>.svc.cluster.local` parses into its parts, any
 * other host (short, or an external name) is taken as a name in `defaultNamespace`, as upstream
 * GetResourceNameFromHost does. So `reviews.default` is the name `reviews.default`, not `reviews`.
 */
export function resourceNameFromHost(defaultNamespace: string, host: string): NamespacedName {
  const m = FQDN_PATTERN.exec(host);
  return m ? { namespace: m[2]!, name: m[1]! } : { namespace: defaultNamespace, name: host };
}

/**
 * Returns the resource a `ns/name` or short `name` reference names; a short name lives in
 * `namespace` (upstream resource.NewShortOrFullName).
 */
export function shortOrFullName(namespace: string, ref: string): NamespacedName {
  const slash = ref.indexOf('/');
  return slash < 0 ? { namespace, name: ref } : { namespace: ref.slice(0, slash), name: ref.slice(slash + 1) };
}

/**
 * Returns true when two host names overlap (Istio host.Name.Matches): equal names, or a wildcard
 * (`*.foo.com`, `*`) covering the other name, or two wildcards one of which covers the other.
 * Symmetric. `*.foo.com` does not cover `foo.com`.
 */
export function hostsOverlap(a: string, b: string): boolean {
  const aw = isWildcard(a);
  const bw = isWildcard(b);
  if (aw && bw) return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
  if (aw) return b.endsWith(a.slice(1));
  if (bw) return a.endsWith(b.slice(1));
  return a === b;
}

/**
 * Returns the hosts of a Gateway-style list that apply to `namespace` (Istio host.NamesForNamespace):
 * `ns/host` only in `ns`, `*\/host` and bare `host` everywhere; the `ns/` part is stripped.
 */
export function hostsForNamespace(hosts: readonly string[], namespace: string): string[] {
  const out: string[] = [];
  for (const h of hosts) {
    if (!h.includes('/')) {
      out.push(h);
      continue;
    }
    const [ns, name] = h.split('/');
    if (ns === namespace || ns === '*') out.push(name!);
  }
  return out;
}

/** Returns true when an exportTo list exports to every namespace: empty, or holding `*`. */
export function exportsToAll(exportTo: readonly string[]): boolean {
  return exportTo.length === 0 || exportTo.includes(EXPORT_TO_ALL);
}

/**
 * Returns the scopes an exportTo list gives a resource in `namespace`: `['*']` when it exports to
 * all, else its namespaces once each with `.` resolved to `namespace`.
 */
export function exportScopes(exportTo: readonly string[], namespace: string): string[] {
  if (exportsToAll(exportTo)) return [EXPORT_TO_ALL];
  return [...new Set(exportTo.map((e) => (e === EXPORT_TO_LOCAL ? namespace : e)))];
}

/**
 * Returns the scopes a Service's `networking.istio.io/exportTo` annotation gives it: `['*']` when
 * absent or empty, else the comma-separated namespaces, trimmed, with `.` resolved to the
 * Service's namespace (upstream getVisibleNamespacesFromExportToAnno).
 */
export function annotationScopes(annotation: string | undefined, namespace: string): string[] {
  if (!annotation) return [EXPORT_TO_ALL];
  return annotation.split(',').map((s) => s.trim()).map((s) => (s === EXPORT_TO_LOCAL ? namespace : s));
}

/** Returns a resource's `spec.exportTo` as strings. */
export function exportToOf(r: Resource): string[] {
  return asList(field(r.object.spec, 'exportTo')).map(String);
}

/** A Service or ServiceEntry as host lookups see it. */
export interface ServiceHost {
  resource: Resource;
  /** Port numbers in declaration order (Service `port`, ServiceEntry `number`). */
  ports: number[];
  /**
   * A ServiceEntry's `workloadSelector.labels`. Always empty for a Service: upstream turns
   * Services into ServiceEntries without their pod selector.
   */
  workloadSelector: Record<string, string>;
}

/**
 * Every host that Services and ServiceEntries make visible, keyed by scope (upstream
 * InitServiceEntryHostMap and GetDestinationHost). Built once per run; lookups are Map hits plus
 * one hit per suffix of the host for wildcard ServiceEntry hosts, so a run stays linear.
 */
export class ServiceHostIndex {
  /** `scope/fqdn` → host; a later entry replaces an earlier one, and Services come after ServiceEntries. */
  private readonly byScopedFqdn = new Map<string, ServiceHost>();
  /** Wildcard hosts by the text after their `*`, with the scope they are visible in. */
  private readonly wildcards = new Map<string, { scope: string; host: ServiceHost }[]>();

  /** Indexes `serviceEntries` then `services` (the order upstream applies, so a Service wins a tie). */
  constructor(serviceEntries: readonly Resource[], services: readonly Resource[]) {
    for (const se of serviceEntries) {
      const spec = asMap(se.object.spec);
      const host: ServiceHost = {
        resource: se,
        ports: asList(spec.ports).map((p) => portNumber(field(p, 'number'))),
        workloadSelector: stringMap(field(spec.workloadSelector, 'labels')),
      };
      const scopes = exportScopes(asList(spec.exportTo).map(String), se.namespace);
      for (const h of asList(spec.hosts).map(String)) {
        for (const scope of scopes) this.byScopedFqdn.set(scopedFqdn(scope, se.namespace, h), host);
      }
    }
    for (const svc of services) {
      const host: ServiceHost = {
        resource: svc,
        ports: asList(field(svc.object.spec, 'ports')).map((p) => portNumber(field(p, 'port'))),
        workloadSelector: {},
      };
      const annotation = stringMap(field(svc.object.metadata, 'annotations'))[EXPORT_TO_ANNOTATION];
      for (const scope of annotationScopes(annotation, svc.namespace)) {
        this.byScopedFqdn.set(scopedFqdn(scope, svc.namespace, svc.name), host);
      }
    }
    for (const [key, host] of this.byScopedFqdn) {
      const slash = key.indexOf('/');
      const fqdn = key.slice(slash + 1);
      if (!isWildcard(fqdn)) continue;
      const suffix = fqdn.slice(1);
      let list = this.wildcards.get(suffix);
      if (!list) this.wildcards.set(suffix, (list = []));
      list.push({ scope: key.slice(0, slash), host });
    }
  }

  /**
   * Returns the Service or ServiceEntry `host` resolves to for a resource in `namespace` with
   * `exportTo`, or undefined. Order as upstream: a host exported to all namespaces; then the
   * resource's own namespace (no exportTo) or each of its exportTo namespaces; then wildcard
   * ServiceEntry hosts visible to `namespace` whose text after `*` ends the host (a `*` on the
   * host itself is dropped first), the longest such suffix first.
   */
  lookup(namespace: string, exportTo: readonly string[], host: string): ServiceHost | undefined {
    const direct = this.byScopedFqdn.get(scopedFqdn(EXPORT_TO_ALL, namespace, host));
    if (direct) return direct;
    const scopes = exportTo.length === 0 ? [namespace] : exportTo.map((e) => (e === EXPORT_TO_LOCAL ? namespace : e));
    for (const scope of scopes) {
      const found = this.byScopedFqdn.get(scopedFqdn(scope, namespace, host));
      if (found) return found;
    }
    if (this.wildcards.size === 0) return undefined;
    const bare = isWildcard(host) ? host.slice(1) : host;
    for (let i = 0; i <= bare.length; i++) {
      for (const w of this.wildcards.get(bare.slice(i)) ?? []) {
        if (w.scope === EXPORT_TO_ALL || w.scope === namespace) return w.host;
      }
    }
    return undefined;
  }
}

function portNumber(v: unknown): number {
  return typeof v === 'number' ? v : Number(v ?? 0) || 0;
}

/**
 * A set of host names, each with items, answering "which names overlap this host"
 * ({@link hostsOverlap}) without comparing against every name: exact names by Map, wildcard names
 * by the text after `*` (looked up per suffix of the query), and, for wildcard queries, names by
 * each of their dot-started suffixes. Only a wildcard query whose text after `*` does not start
 * with a dot (`*foo.com`, which validation rejects) falls back to a scan.
 */
export class HostOverlapIndex<T> {
  private readonly exact = new Map<string, T[]>();
  /** Wildcard names by the text after `*`. */
  private readonly wildcard = new Map<string, T[]>();
  /** Every name (exact and wildcard text after `*`) by each suffix that starts at a dot. */
  private readonly byDotSuffix = new Map<string, T[]>();
  private readonly all: { host: string; item: T }[] = [];
  /** Position of each item's first addition, for a stable answer order. */
  private readonly order = new Map<T, number>();

  /** Adds `item` under `host`. */
  add(host: string, item: T): void {
    this.all.push({ host, item });
    if (!this.order.has(item)) this.order.set(item, this.order.size);
    const text = isWildcard(host) ? host.slice(1) : host;
    push(isWildcard(host) ? this.wildcard : this.exact, text, item);
    for (let i = text.indexOf('.'); i >= 0; i = text.indexOf('.', i + 1)) push(this.byDotSuffix, text.slice(i), item);
  }

  /** Returns the items of every name that overlaps `host`, each once, in the order added. */
  overlapping(host: string): T[] {
    const found = new Set<T>();
    const add = (items: readonly T[] | undefined): void => { for (const it of items ?? []) found.add(it); };
    if (!isWildcard(host)) {
      add(this.exact.get(host));
      for (let i = 0; i <= host.length; i++) add(this.wildcard.get(host.slice(i)));
    } else {
      const text = host.slice(1);
      if (text === '') {
        for (const e of this.all) found.add(e.item);
      } else if (text.startsWith('.')) {
        // Names (exact, or a wildcard's text) ending with the query text, and wildcards whose text
        // the query text ends with.
        add(this.byDotSuffix.get(text));
        for (let i = 0; i <= text.length; i++) add(this.wildcard.get(text.slice(i)));
      } else {
        for (const e of this.all) if (hostsOverlap(host, e.host)) found.add(e.item);
      }
    }
    return [...found].sort((a, b) => this.order.get(a)! - this.order.get(b)!);
  }
}

function push<T>(map: Map<string, T[]>, key: string, item: T): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}

/** One destination of a VirtualService route or mirror, and where it sits. */
export interface VirtualServiceDestination {
  /** The Destination object (`host`, `subset`, `port`); empty when the route names none. */
  destination: JsonMap;
  /** Path of the Destination object inside the VirtualService. */
  path: ObjectPath;
}

/**
 * Returns the route destinations of a VirtualService: `tcp`, then `tls`, then `http` rules, each
 * `route[].destination` (upstream getRouteDestinations).
 */
export function routeDestinations(vs: Resource): VirtualServiceDestination[] {
  const spec = asMap(vs.object.spec);
  const out: VirtualServiceDestination[] = [];
  for (const proto of ['tcp', 'tls', 'http'] as const) {
    asList(spec[proto]).forEach((rule, i) => {
      asList(field(rule, 'route')).forEach((route, j) => {
        out.push({ destination: asMap(field(route, 'destination')), path: ['spec', proto, i, 'route', j, 'destination'] });
      });
    });
  }
  return out;
}

/**
 * Returns the mirror destinations of a VirtualService's `http` rules: `mirror` and each
 * `mirrors[].destination` (upstream getHTTPMirrorDestinations).
 */
export function mirrorDestinations(vs: Resource): VirtualServiceDestination[] {
  const out: VirtualServiceDestination[] = [];
  asList(field(vs.object.spec, 'http')).forEach((rule, i) => {
    const mirror = field(rule, 'mirror');
    if (mirror !== undefined && mirror !== null) out.push({ destination: asMap(mirror), path: ['spec', 'http', i, 'mirror'] });
    asList(field(rule, 'mirrors')).forEach((m, j) => {
      out.push({ destination: asMap(field(m, 'destination')), path: ['spec', 'http', i, 'mirrors', j, 'destination'] });
    });
  });
  return out;
}

/** Returns a destination's `host` as a string (`''` when absent). */
export function destinationHost(d: JsonMap): string {
  return typeof d.host === 'string' ? d.host : '';
}

/** Returns a destination's `subset` as a string (`''` when absent). */
export function destinationSubset(d: JsonMap): string {
  return typeof d.subset === 'string' ? d.subset : '';
}
