/** Bounded concurrency for cluster requests, shared by install and uninstall. */
import { InterruptedError } from '../errors.js';

/**
 * Runs `fn` over `items` with at most `limit` in flight; results keep the items' order. Stops
 * starting new work once one call failed or `signal` aborted, waits for what is in flight, then
 * throws the first error (InterruptedError when aborted).
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, signal: AbortSignal | undefined, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      if (signal?.aborted) {
        failure = { err: new InterruptedError() };
        return;
      }
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err;
  return results;
}
