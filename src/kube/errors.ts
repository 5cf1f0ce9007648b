/** Errors of cluster I/O. main() maps them to exit 1 with their message (never a credential, never a stack trace); KubeConfigError is a usage error (64). */
import { UsageError } from '../errors.js';

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

/**
 * The kubeconfig could not be loaded, or names no usable context (`--context nope`, no current
 * context, no kubeconfig at all). A usage error: exit 64 in every command, because the command line
 * and the kubeconfig together do not select a cluster; nothing was sent anywhere.
 */
export class KubeConfigError extends UsageError {
  override name = 'KubeConfigError';
}
