/** Confirmation before changing a cluster, as istioctl's `Confirm` does, but never hanging without a terminal. */
import type { Deps } from '../deps.js';

/** Confirmation was needed but stdin is not a terminal and `-y` was not given. Exit 1. */
export class ConfirmationRequiredError extends Error {
  override name = 'ConfirmationRequiredError';
}

/**
 * Returns true when the user agrees. Asks `question` through `deps.prompt` until the answer is
 * `y`/`yes` (true) or `n`/`no`/empty (false), case-insensitive; end of input means no (as in
 * istioctl/pkg/util/confirm). Throws ConfirmationRequiredError, naming `yesFlag`, when stdin is
 * not a terminal (or no prompt is wired), rather than waiting for input that cannot come.
 */
export async function confirm(deps: Deps, question: string, yesFlag = '-y'): Promise<boolean> {
  if (!deps.stdinIsTTY || !deps.prompt) {
    throw new ConfirmationRequiredError(`confirmation required but standard input is not a terminal; pass ${yesFlag} (--skip-confirmation) to proceed without asking`);
  }
  for (;;) {
    const answer = await deps.prompt(`${question} `);
    if (answer === undefined) return false;
    const a = answer.trim().toLowerCase();
    if (a === 'y' || a === 'yes') return true;
    // istioctl's prompt is `(y/N)`: N is the default, so an empty answer declines.
    if (a === 'n' || a === 'no' || a === '') return false;
  }
}
