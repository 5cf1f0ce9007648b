/**
 * Shared types of the test control plane (test/control-plane/): the fault plans of the
 * fault-injecting proxy that stands between meshctl and the real kube-apiserver, and the request log.
 */

/** A Kubernetes object as JSON. */
export type KObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
};

/** What the fault plan decides for one request. All fields optional; `{}` means "forward normally". */
export interface FaultAction {
  /** Delay before forwarding, ms. */
  latencyMs?: number;
  /** Answer with this status instead of forwarding (429, 500, 503), with a `Status` body. */
  status?: 429 | 500 | 503;
  /** With status 429: the Retry-After header, seconds. */
  retryAfterSeconds?: number;
  /** Destroy the socket without answering (before the request is forwarded). */
  drop?: boolean;
  /** Forward the request, then send the answer's body slowly over this many ms. */
  slowBodyMs?: number;
}

/** Decides faults per request. Must be deterministic for a given seed and request sequence. */
export interface FaultPlan {
  decide(req: { method: string; path: string; seq: number }): FaultAction;
}

/** One request as the proxy saw it. */
export interface RequestRecord {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  /** The status answered (the API server's, or the fault's); 0 when the connection was dropped. */
  status: number;
  /** The fault applied, if any. */
  fault?: FaultAction;
  userAgent?: string;
  /** When the request arrived, ms since the epoch. */
  at: number;
}
