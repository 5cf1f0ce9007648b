// Shared by the end-to-end files: waiting for a cluster to reach a state.
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` every 200 ms until it returns true or `timeoutMs` passes; returns whether it did. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
}
