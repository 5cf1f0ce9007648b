/** Waiting that Ctrl-C can cut short (backoff between retries, readiness polls). */
import { InterruptedError } from '../errors.js';

/** Resolves after `ms` milliseconds; rejects with InterruptedError at once when `signal` is or becomes aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError());
    const onAbort = () => {
      clearTimeout(t);
      reject(new InterruptedError());
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
