/**
 * Progress output without a terminal (logs, CI, pipes): plain lines, no colour, no escape codes.
 * Kept apart from the spinner (progress.ts) so that commands writing to a log never load it.
 */
import type { OutStream } from '../deps.js';

/** Progress output of one command run. */
export interface Progress {
  /**
   * Shows what is being waited for (spinner text on a terminal). Without a terminal the text is
   * printed as `- <text>` once each time it changes, so logs show progress without repeating.
   * `undefined` clears the status.
   */
  status(text: string | undefined): void;
  /** Prints a line that stays (the spinner, if any, is redrawn below it). */
  line(text: string): void;
  /** Removes the spinner; call before the command returns or fails. Idempotent. */
  stop(): void;
}

/** Returns progress output on `out` that prints each new status once as `- <text>` and lines as they are. */
export function plainProgress(out: Pick<OutStream, 'write'>): Progress {
  let last: string | undefined;
  return {
    status(text) {
      if (text !== undefined && text !== last) out.write(`- ${text}\n`);
      last = text;
    },
    line(text) {
      out.write(`${text}\n`);
    },
    stop() {
      last = undefined;
    },
  };
}
