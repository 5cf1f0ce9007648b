/**
 * Selector lookups shared by the Gateway and Sidecar analyzers: which workloads a label selector
 * picks, built as an index once per run so that a selector costs the size of its rarest label's
 * bucket instead of a scan of every pod. Matching follows Kubernetes' `labels.SelectorFromSet`,
 * which Istio 1.30.3's analyzers use: every key must be present with the same value, and an empty
 * selector matches every workload.
 */
import type { WorkloadInstance } from '../analyzer.js';
import type { ObjectPath } from '../resource.js';
import { matchesLabels } from '../util/labels.js';

const EMPTY: readonly never[] = [];

function pairKey(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Workloads indexed by label pair, across the cluster and per namespace. */
export class WorkloadSelectorIndex {
  private byPair?: Map<string, WorkloadInstance[]>;
  private byNamespacePair?: Map<string, WorkloadInstance[]>;
  private byNamespace?: Map<string, WorkloadInstance[]>;

  /** @param workloads pods (and, in file mode, pod templates), as `ctx.workloads()` returns them. */
  constructor(private readonly workloads: readonly WorkloadInstance[]) {}

  /**
   * Returns the workloads `selector` matches, in input order: in `namespace` when given, else in
   * every namespace. An empty selector returns every workload in scope.
   */
  select(selector: Readonly<Record<string, string>>, namespace?: string): readonly WorkloadInstance[] {
    const keys = Object.keys(selector);
    if (keys.length === 0) return namespace === undefined ? this.workloads : this.namespaceIndex().get(namespace) ?? EMPTY;
    const index = namespace === undefined ? this.pairIndex() : this.namespacePairIndex();
    const prefix = namespace === undefined ? '' : `${namespace}\u0000`;
    // The smallest bucket bounds the work; every match is in each bucket.
    let smallest: readonly WorkloadInstance[] | undefined;
    for (const k of keys) {
      const bucket = index.get(prefix + pairKey(k, selector[k]!));
      if (!bucket) return EMPTY;
      if (!smallest || bucket.length < smallest.length) smallest = bucket;
    }
    return smallest!.filter((w) => matchesLabels(selector, w.labels));
  }

  private pairIndex(): Map<string, WorkloadInstance[]> {
    if (!this.byPair) {
      this.byPair = new Map();
      for (const w of this.workloads) for (const [k, v] of Object.entries(w.labels)) push(this.byPair, pairKey(k, v), w);
    }
    return this.byPair;
  }

  private namespacePairIndex(): Map<string, WorkloadInstance[]> {
    if (!this.byNamespacePair) {
      this.byNamespacePair = new Map();
      for (const w of this.workloads) {
        for (const [k, v] of Object.entries(w.labels)) push(this.byNamespacePair, `${w.namespace}\u0000${pairKey(k, v)}`, w);
      }
    }
    return this.byNamespacePair;
  }

  private namespaceIndex(): Map<string, WorkloadInstance[]> {
    if (!this.byNamespace) {
      this.byNamespace = new Map();
      for (const w of this.workloads) push(this.byNamespace, w.namespace, w);
    }
    return this.byNamespace;
  }
}

/**
 * Returns the path of the node a selector finding points at: the selector's first label in key
 * order (the label istioctl's own line lookup picks), else the selector map itself. `base` is the
 * path of the selector map (`['spec', 'selector']`).
 */
export function selectorPath(base: ObjectPath, selector: Readonly<Record<string, string>>): ObjectPath {
  const first = Object.keys(selector).sort()[0];
  return first === undefined ? base : [...base, first];
}
