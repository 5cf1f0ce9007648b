/**
 * Waiting for a cluster to get somewhere. A real control plane gets there on its own time
 * (controllers, the scheduler, kwok, garbage collection, namespace finalization), so tests wait
 * for an outcome instead of expecting it right after a write.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` every 100 ms until it returns true; throws naming `what` (and the last value of
 * `describe`, when given) after `timeoutMs`.
 */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000, describe?: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${describe ? `: ${await describe()}` : ''}`);
    await sleep(100);
  }
}
