/**
 * The cluster connection flags every cluster command shares (`--kubeconfig`, `--context`,
 * `--request-timeout`, declared once on the program) and the lazy connection: client-node loads
 * only when a command really talks to a cluster (DESIGN.md rule 5).
 */
import type { Deps } from '../deps.js';
import { kubeconfigPaths } from '../kube/kubeconfig-paths.js';
import type { KubeClient } from '../kube/types.js';
import { parseDuration } from './duration.js';

/** The global flags as commander hands them to a command (`cmd.optsWithGlobals()`). */
export interface KubeGlobals {
  kubeconfig?: string;
  context?: string;
  requestTimeout?: string;
}

/** Default per-request timeout (istioctl's `--kubeclient-timeout` is 15s; apply of a large CRD can take longer). */
export const DEFAULT_REQUEST_TIMEOUT = '30s';

/**
 * Returns a client for the cluster the flags and environment select (`--kubeconfig`, else
 * `KUBECONFIG` merged, else `~/.kube/config`; `--context`, else the current context).
 * `tuning.retryAttempts` lowers the retry budget for lookups that should fail fast (`version`).
 * Throws KubeConfigError when no usable configuration exists, UsageError for a bad timeout.
 */
export async function connectCluster(deps: Deps, globals: KubeGlobals, tuning: { retryAttempts?: number } = {}): Promise<KubeClient> {
  const requestTimeoutMs = parseDuration('--request-timeout', globals.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT);
  // Fails fast, before client-node loads, when no kubeconfig exists at all.
  kubeconfigPaths(deps.env, globals.kubeconfig);
  const { connect } = await import('../kube/connect.js');
  return connect({
    env: deps.env,
    kubeconfig: globals.kubeconfig,
    context: globals.context,
    requestTimeoutMs,
    signal: deps.signal,
    ...(tuning.retryAttempts ? { retry: { attempts: tuning.retryAttempts } } : {}),
  });
}
