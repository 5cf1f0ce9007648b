/**
 * Selector lookups shared by the Gateway and Sidecar analyzers: which workloads a label selector
 * picks, through an index built once per run, so that a selector costs the size of its rarest
 * label's bucket instead of a scan of every pod. Matching follows Kubernetes'
 * `labels.SelectorFromSet`, which Istio 1.30.3's analyzers use: every key must be present with the
 * same value, and an empty selector matches every workload.
 */
import type { WorkloadInstance } from '../analyzer.js';
import type { ObjectPath } from '../resource.js';
import { matchesLabels } from '../util/labels.js';

const EMPTY: readonly never[] = [];

/**
 * Label keys indexed one at a time before a scope indexes every label at once: selectors use few
 * keys (`app`, `istio`, `version`), and one pass per key beats hashing every label of every pod,
 * while the full index bounds the cost when selectors use many.
 */
const KEYS_BEFORE_FULL_INDEX = 8;

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The workloads of one scope by label key and value, filled in as selectors ask for keys. */
class LabelBuckets {
  private readonly byKey = new Map<string, Map<string, WorkloadInstance[]>>();
  private complete = false;

  constructor(readonly workloads: readonly WorkloadInstance[]) {}

  /** Returns the workloads whose label `key` is `value`, or undefined for none. */
  bucket(key: string, value: string): readonly WorkloadInstance[] | undefined {
    let values = this.byKey.get(key);
    if (!values && !this.complete) {
      if (this.byKey.size < KEYS_BEFORE_FULL_INDEX) {
        values = new Map();
        for (const w of this.workloads) if (Object.hasOwn(w.labels, key)) push(values, w.labels[key]!, w);
        this.byKey.set(key, values);
      } else {
        this.indexAll();
        values = this.byKey.get(key);
      }
    }
    return values?.get(value);
  }

  private indexAll(): void {
    this.byKey.clear();
    for (const w of this.workloads) {
      for (const [k, v] of Object.entries(w.labels)) {
        let values = this.byKey.get(k);
        if (!values) this.byKey.set(k, (values = new Map()));
        push(values, v, w);
      }
    }
    this.complete = true;
  }
}

/** Workloads indexed by label, across the cluster and per namespace. */
export class WorkloadSelectorIndex {
  private cluster?: LabelBuckets;
  private readonly namespaces = new Map<string, LabelBuckets>();

  /**
   * @param workloads returns the pods (and, in file mode, pod templates) of a namespace, or of
   *   every namespace when none is given: `ctx.workloads` fits.
   */
  constructor(private readonly workloads: (namespace?: string) => readonly WorkloadInstance[]) {}

  /**
   * Returns the workloads `selector` matches, in input order: in `namespace` when given, else in
   * every namespace. An empty selector returns every workload in scope.
   */
  select(selector: Readonly<Record<string, string>>, namespace?: string): readonly WorkloadInstance[] {
    const buckets = this.scope(namespace);
    const keys = Object.keys(selector);
    if (keys.length === 0) return buckets.workloads;
    // The smallest bucket bounds the work; every match is in each bucket.
    let smallest: readonly WorkloadInstance[] | undefined;
    for (const k of keys) {
      const bucket = buckets.bucket(k, selector[k]!);
      if (!bucket) return EMPTY;
      if (!smallest || bucket.length < smallest.length) smallest = bucket;
    }
    return keys.length === 1 ? smallest! : smallest!.filter((w) => matchesLabels(selector, w.labels));
  }

  private scope(namespace?: string): LabelBuckets {
    if (namespace === undefined) return (this.cluster ??= new LabelBuckets(this.workloads()));
    let buckets = this.namespaces.get(namespace);
    if (!buckets) this.namespaces.set(namespace, (buckets = new LabelBuckets(this.workloads(namespace))));
    return buckets;
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
