/**
 * The one narrow interface between meshctl and a cluster (DESIGN.md rule 5). Everything that
 * reads or writes cluster state takes a `KubeClient`; only `src/kube/client.ts` knows that
 * @kubernetes/client-node sits behind it.
 */
import type { K8sObject } from '../manifest/objects.js';

/** Identifies one object: its type (apiVersion + kind) and, for namespaced kinds, its namespace. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  /** Omitted for cluster-scoped kinds. */
  namespace?: string;
}

/** What the server says about one resource type (from discovery). */
export interface ResourceInfo {
  apiVersion: string;
  kind: string;
  /** Plural resource name as used in URLs, e.g. `deployments`. */
  plural: string;
  namespaced: boolean;
  verbs: string[];
}

/** The server's `/version`. */
export interface ServerVersion {
  /** e.g. `1`. */
  major: string;
  /** e.g. `33` (a trailing `+` as some providers report is removed). */
  minor: string;
  /** e.g. `v1.33.2`. */
  gitVersion: string;
}

/** Options of a list call. */
export interface ListOptions {
  /** Omit for all namespaces (or for cluster-scoped kinds). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Items per page (`limit`); the client follows `continue` tokens. Default 500. */
  pageSize?: number;
}

/** Options of a write. `dryRun` sends `dryRun=All`: the server validates and answers but stores nothing. */
export interface WriteOptions {
  dryRun?: boolean;
}

/** Options of a server-side apply. */
export interface ApplyOptions extends WriteOptions {
  /** Take fields owned by other managers instead of failing with a conflict. Default false. */
  force?: boolean;
  /**
   * Field manager of this apply; default meshctl's own (`meshctl`). Another manager's name serves
   * only to release that manager's fields (an apply of the bare identity gives up everything it
   * owned: server-side apply's transfer of ownership).
   */
  fieldManager?: string;
}

/** A server-side apply's answer: the stored object and what the response itself says. */
export interface ApplyAnswer<T extends K8sObject = K8sObject> {
  /** What the server stored (or would store on dry run). */
  object: T;
  /** The server answered 201 Created: the object did not exist before this apply. */
  created: boolean;
}

/** Options of a delete. */
export interface DeleteOptions extends WriteOptions {
  /** Default `Background`. */
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
}

/** Where the client's configuration came from, safe to print: never a credential. */
export interface ClusterIdentity {
  /** Name of the kubeconfig context in use. */
  context: string;
  /** API server URL. */
  server: string;
  /** The context's namespace, or `default`. */
  namespace: string;
}

/** Counters of what the client did, for reports and benchmarks. */
export interface RequestStats {
  /** HTTP requests sent, retries included. */
  requests: number;
  /** Requests that were retries of an earlier attempt. */
  retries: number;
}

/**
 * A connection to one cluster. Methods throw `KubeError` for API errors that survive retries
 * (with the HTTP status and the server's `Status` reason), and `ClusterUnreachableError` when no
 * response arrived at all. 429, 5xx and dropped connections are retried with backoff inside.
 */
export interface KubeClient {
  readonly identity: ClusterIdentity;
  readonly stats: RequestStats;
  /** Returns the server's version (`GET /version`). */
  serverVersion(): Promise<ServerVersion>;
  /** Returns the resource type of an apiVersion/kind, or undefined when the server does not serve it (discovery, cached). */
  resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo | undefined>;
  /** Returns every resource type the server serves with the `list` verb (full discovery; cached). */
  listableResources(): Promise<ResourceInfo[]>;
  /** Returns the object, or undefined when it does not exist (404). */
  get<T extends K8sObject = K8sObject>(ref: ObjectRef): Promise<T | undefined>;
  /** Yields every matching object, one page at a time (bounded memory). */
  list<T extends K8sObject = K8sObject>(apiVersion: string, kind: string, opts?: ListOptions): AsyncIterable<T>;
  /** Server-side applies the object with field manager `meshctl`; returns what the server stored (or would store on dry run). */
  apply<T extends K8sObject = K8sObject>(obj: T, opts?: ApplyOptions): Promise<T>;
  /** Like apply(), and also says how the server answered (see ApplyAnswer). */
  applyWithAnswer<T extends K8sObject = K8sObject>(obj: T, opts?: ApplyOptions): Promise<ApplyAnswer<T>>;
  /** Creates the object (POST); throws KubeError 409 when it exists. */
  create<T extends K8sObject = K8sObject>(obj: T, opts?: WriteOptions): Promise<T>;
  /** Applies an RFC 7386 JSON merge patch. */
  mergePatch<T extends K8sObject = K8sObject>(ref: ObjectRef, patch: object, opts?: WriteOptions): Promise<T>;
  /** Deletes the object; returns false when it was already gone (404). */
  delete(ref: ObjectRef, opts?: DeleteOptions): Promise<boolean>;
  /**
   * Returns whether the current user may do `verb` on `resource` (SelfSubjectAccessReview,
   * authorization.k8s.io/v1), with the server's reason when it says no.
   */
  canI(verb: string, group: string, resource: string, namespace?: string): Promise<{ allowed: boolean; reason?: string }>;
}
