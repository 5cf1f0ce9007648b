/**
 * The analyzer contract (DESIGN.md, "Analyzers"): an analyzer declares the kinds it reads and
 * reports findings through the context; it never does I/O.
 */
import type { MessageType } from './messages.js';
import type { JsonMap, KindKey, ObjectPath, Resource } from './resource.js';

/** Where a finding points: a resource and, optionally, a node inside it. */
export interface FindingLocation {
  resource: Resource;
  /** Path of the offending node in the object (`['spec', 'ports', 0, 'name']`). */
  path?: ObjectPath;
  /** Point at the key of the last path element rather than its value. */
  key?: boolean;
}

/**
 * A pod or, in file mode, a workload's pod template standing in for its pods. Findings about it
 * go to `resource` at `templatePath`.
 */
export interface WorkloadInstance {
  resource: Resource;
  namespace: string;
  /** Path of the object holding the pod `metadata` and `spec`: `[]` for a Pod. */
  templatePath: ObjectPath;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  podSpec: JsonMap;
  /** True when derived from a workload's template rather than a Pod object. */
  fromTemplate: boolean;
}

/** What an analyzer may look at and how it reports. */
export interface AnalysisContext {
  /** The control plane namespace (`istio-system` unless `--istio-namespace`). */
  readonly istioNamespace: string;
  /**
   * The mesh config (protobuf JSON, Istio's defaults applied: see mesh-config.ts), from
   * `--meshConfigFile`, else the cluster's `istio` ConfigMap, else the defaults.
   */
  readonly meshConfig: Readonly<JsonMap>;
  /** The mesh networks (`{networks: {...}}`), from `--meshNetworksFile`, else the cluster, else none. */
  readonly meshNetworks: Readonly<JsonMap>;
  /**
   * The mesh networks as a resource to report findings on (`MeshNetworks <istio namespace>/meshnetworks`),
   * pointing into `--meshNetworksFile` when they were read from it.
   */
  readonly meshNetworksResource: Resource;
  /** The instant the run treats as now, ms since the epoch (certificate validity). */
  readonly now: number;
  /** Every resource of a kind, in input order. */
  list(kind: KindKey): readonly Resource[];
  /** The resources of a kind in one namespace, in input order. */
  inNamespace(kind: KindKey, namespace: string): readonly Resource[];
  /** One resource by namespace and name (`''` namespace for cluster-scoped kinds). */
  get(kind: KindKey, namespace: string, name: string): Resource | undefined;
  /** Pods, plus workload templates standing in for pods in file mode; only in `namespace` when given. Needs `Pod` as input. */
  workloads(namespace?: string): readonly WorkloadInstance[];
  /** Reports a finding of `type` with the template's arguments. */
  report(type: MessageType, at: FindingLocation, ...args: unknown[]): void;
}

/** One analyzer. */
export interface Analyzer {
  /** Istio's name where Istio has the check (`service.PortNameAnalyzer`). */
  name: string;
  description: string;
  /** Kinds read through the context; reading any other kind is a programming error. */
  inputs: readonly KindKey[];
  /** Message types this analyzer may report (for `-L`, SARIF rules and meta-tests). */
  messages: readonly MessageType[];
  /**
   * Runs only when selected with `--analyzer`, not in a default run: istioctl 1.30.3 leaves such
   * analyzers (annotations.AlphaAnalyzer) out of its default set as too noisy.
   */
  optIn?: boolean;
  analyze(ctx: AnalysisContext): void;
}
