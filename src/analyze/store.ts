/**
 * An indexed, read-only set of resources: by kind, by kind and namespace, by kind, namespace and
 * name. Indexes are built on first use so a run pays only for the lookups its analyzers make.
 */
import type { WorkloadInstance } from './analyzer.js';
import { POD_TEMPLATE_PATHS, K } from './kinds.js';
import { annotationsOf, asMap, getAt, labelsOf, stringMap, type KindKey, type Resource } from './resource.js';

const EMPTY: readonly never[] = [];

/** Resources of one analysis run. */
export class ResourceStore {
  private readonly byKind = new Map<KindKey, Resource[]>();
  private byNamespace?: Map<string, Resource[]>;
  private byName?: Map<string, Resource>;
  private workloadCache?: { all: WorkloadInstance[]; byNs: Map<string, WorkloadInstance[]> };

  /**
   * @param resources every resource, in input order; later duplicates (same kind, namespace and
   *   name) replace earlier ones in `get`, as a later `kubectl apply` would.
   * @param templatesStandInForPods true in file mode: workload pod templates count as pods.
   */
  constructor(readonly resources: readonly Resource[], readonly templatesStandInForPods: boolean) {
    for (const r of resources) {
      let list = this.byKind.get(r.key);
      if (!list) this.byKind.set(r.key, (list = []));
      list.push(r);
    }
  }

  /** Returns every resource of `kind`. */
  list(kind: KindKey): readonly Resource[] {
    return this.byKind.get(kind) ?? EMPTY;
  }

  /** Returns the resources of `kind` in `namespace`. */
  inNamespace(kind: KindKey, namespace: string): readonly Resource[] {
    if (!this.byNamespace) {
      this.byNamespace = new Map();
      for (const r of this.resources) {
        const k = `${r.key}\u0000${r.namespace}`;
        let list = this.byNamespace.get(k);
        if (!list) this.byNamespace.set(k, (list = []));
        list.push(r);
      }
    }
    return this.byNamespace.get(`${kind}\u0000${namespace}`) ?? EMPTY;
  }

  /** Returns the resource of `kind` named `name` in `namespace`, or undefined. */
  get(kind: KindKey, namespace: string, name: string): Resource | undefined {
    if (!this.byName) {
      this.byName = new Map();
      for (const r of this.resources) this.byName.set(`${r.key}\u0000${r.namespace}\u0000${r.name}`, r);
    }
    return this.byName.get(`${kind}\u0000${namespace}\u0000${name}`);
  }

  /** Returns pods (and, in file mode, pod templates), all or those of one namespace. */
  workloads(namespace?: string): readonly WorkloadInstance[] {
    if (!this.workloadCache) {
      const all: WorkloadInstance[] = [];
      for (const [kind, path] of POD_TEMPLATE_PATHS) {
        if (kind !== K.Pod && !this.templatesStandInForPods) continue;
        for (const r of this.list(kind)) all.push(instanceOf(r, path, kind !== K.Pod));
      }
      const byNs = new Map<string, WorkloadInstance[]>();
      for (const w of all) {
        let list = byNs.get(w.namespace);
        if (!list) byNs.set(w.namespace, (list = []));
        list.push(w);
      }
      this.workloadCache = { all, byNs };
    }
    return namespace === undefined ? this.workloadCache.all : this.workloadCache.byNs.get(namespace) ?? EMPTY;
  }
}

function instanceOf(r: Resource, path: readonly (string | number)[], fromTemplate: boolean): WorkloadInstance {
  const template = fromTemplate ? asMap(getAt(r.object, path)) : r.object;
  const meta = asMap(template.metadata);
  return {
    resource: r,
    namespace: r.namespace,
    templatePath: path,
    labels: fromTemplate ? stringMap(meta.labels) : labelsOf(r),
    annotations: fromTemplate ? stringMap(meta.annotations) : annotationsOf(r),
    podSpec: asMap(template.spec),
    fromTemplate,
  };
}
