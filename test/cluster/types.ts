/**
 * The contract of the Kubernetes API test server (test/cluster/). Tests start it in-process with
 * `startTestCluster()` from `./server.js`; `npm run test-cluster` runs it standalone.
 */

/** A Kubernetes object as JSON. */
export type KObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
};

/** A change to the store, delivered to subscribers after it is committed. */
export interface StoreEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KObject;
}

/** Identifies a stored object by type and name. `group` is '' for the core group. */
export interface StoreRef {
  group: string;
  kind: string;
  namespace?: string;
  name: string;
}

/**
 * The server's object store as the simulated controllers (kubelet.ts) see it. Writes made here
 * bypass HTTP, auth and faults, but do bump `metadata.resourceVersion`, set uid and
 * creationTimestamp on create, and notify subscribers, exactly like writes through the API.
 */
export interface ObjectStore {
  get(ref: StoreRef): KObject | undefined;
  /** Objects of one kind, optionally in one namespace, in name order. */
  list(group: string, kind: string, namespace?: string): KObject[];
  /** Creates or replaces the object (by group/kind/namespace/name); returns the stored copy. */
  put(obj: KObject): KObject;
  /** Replaces only `.status` of an existing object; returns the stored copy or undefined when it is gone. */
  putStatus(ref: StoreRef, status: unknown): KObject | undefined;
  /** Deletes the object and, by ownerReferences, its dependents (background propagation). Returns false if absent. */
  remove(ref: StoreRef): boolean;
  /** Subscribes to committed changes; returns the unsubscribe function. */
  subscribe(listener: (event: StoreEvent) => void): () => void;
}

/** What the fault plan decides for one request. All fields optional; `{}` means "serve normally". */
export interface FaultAction {
  /** Delay before handling, ms. */
  latencyMs?: number;
  /** Answer with this status instead of handling (429, 500, 503) with a `Status` body. */
  status?: 429 | 500 | 503;
  /** With status 429: the Retry-After header, seconds. */
  retryAfterSeconds?: number;
  /** Destroy the socket without answering (before the request is handled). */
  drop?: boolean;
  /** Handle the request, then send the body slowly over this many ms. */
  slowBodyMs?: number;
}

/** Decides faults per request. Must be deterministic for a given seed and request sequence. */
export interface FaultPlan {
  decide(req: { method: string; path: string; seq: number }): FaultAction;
}

/** How the simulated kubelet treats one workload. */
export type WorkloadBehaviour =
  | { kind: 'ready'; delayMs?: number }
  | { kind: 'fail'; reason: 'ImagePullBackOff' | 'CrashLoopBackOff' | 'ErrImagePull'; message?: string };

/** Options of `startTestCluster`. Every field has a default suitable for tests. */
export interface TestClusterOptions {
  /** Serve HTTPS with a generated CA and a server certificate for 127.0.0.1/localhost. Default true. */
  tls?: boolean;
  /** Bearer token required on every request. Default: random. */
  token?: string;
  /** Port to listen on (127.0.0.1). Default 0 (any free port). */
  port?: number;
  /** Directory for the kubeconfig file. Default: a new temp dir, removed by close(). */
  dir?: string;
  /** Kubernetes version reported by /version. Default { major: '1', minor: '33', gitVersion: 'v1.33.2' }. */
  version?: { major: string; minor: string; gitVersion: string };
  /** Delay before a created CRD gets Established=True and its resources are served, ms. Default 0 (on the next tick). */
  crdEstablishDelayMs?: number;
  /** Default readiness delay of Deployments/DaemonSets/StatefulSets, ms. Default 0 (next tick). */
  readyDelayMs?: number;
  /** Per-workload behaviour, keyed `namespace/name` of the Deployment/DaemonSet/StatefulSet. */
  workloads?: Record<string, WorkloadBehaviour>;
  /** Fault plan applied to every authenticated API request. Default none. */
  faults?: FaultPlan;
  /** SelfSubjectAccessReview answers "no" for these `verb group/resource` strings (e.g. `create apiextensions.k8s.io/customresourcedefinitions`). */
  deny?: string[];
}

/** One request as the server saw it. */
export interface RequestRecord {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  status: number;
  /** The fault applied, if any. */
  fault?: FaultAction;
  userAgent?: string;
}

/** A running test cluster. */
export interface TestCluster {
  /** `https://127.0.0.1:<port>` (or http when tls is false). */
  readonly url: string;
  /** Path of a kubeconfig (context `test-cluster`, namespace `default`) that works for meshctl and kubectl. */
  readonly kubeconfigPath: string;
  readonly token: string;
  /** PEM of the CA that signed the server certificate ('' without TLS). */
  readonly caPem: string;
  readonly store: ObjectStore;
  /** Every request since start or the last `resetRequests()`. */
  readonly requests: RequestRecord[];
  resetRequests(): void;
  /** Replaces the fault plan (undefined: none). */
  setFaults(plan: FaultPlan | undefined): void;
  /** Sets how the kubelet treats a workload from now on (`namespace/name`); existing pods are updated. */
  setWorkload(key: string, behaviour: WorkloadBehaviour): void;
  close(): Promise<void>;
}
