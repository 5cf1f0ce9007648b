/** Errors of cluster I/O. main() maps them to exit 1 with their message (never a credential, never a stack trace). */

/** The API server answered with an error status that survived retries. */
export class KubeError extends Error {
  override name = 'KubeError';
  /**
   * @param status HTTP status code (404, 409, 422 ...).
   * @param reason The `Status` body's `reason` (`NotFound`, `Conflict`, `AlreadyExists`, `Invalid` ...), or `''`.
   * @param message Human text: what was attempted, then the server's message.
   */
  constructor(readonly status: number, readonly reason: string, message: string) {
    super(message);
  }
}

/** No response arrived (connection refused, DNS, TLS failure, timeout after retries). */
export class ClusterUnreachableError extends Error {
  override name = 'ClusterUnreachableError';
}

/** The kubeconfig could not be loaded, or names no usable context. */
export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
}
