/**
 * Progress on the terminal for long-running cluster commands: an ora spinner with the current
 * waiting status on a terminal, plain lines without colour or escape codes otherwise (logs, CI,
 * pipes). Persistent lines (`✔ Istiod installed`) look the same in both modes. The plain mode
 * lives in plain-progress.ts: a caller that already knows it has no terminal imports only that,
 * since loading ora (and the Unicode tables it pulls in) costs start-up time.
 */
import ora, { type Ora } from 'ora';
import type { OutStream } from '../deps.js';
import { plainProgress, type Progress } from './plain-progress.js';

export type { Progress };

/** Options of `createProgress`. */
export interface ProgressOptions {
  /** Draw a spinner (only when the stream is a terminal and TERM is not `dumb`). */
  interactive: boolean;
  /** Colour the spinner. */
  color: boolean;
}

/** Cursor control ora needs, over an injected stream that only knows `write` (ECMA-48 sequences). */
function terminalAdapter(out: OutStream): NodeJS.WriteStream {
  const adapter = {
    isTTY: true,
    columns: (out as { columns?: number }).columns,
    write: (chunk: string | Uint8Array) => {
      out.write(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    },
    cursorTo: (x: number) => { out.write(`\x1b[${x + 1}G`); return true; },
    moveCursor: (dx: number, dy: number) => {
      if (dy < 0) out.write(`\x1b[${-dy}A`);
      if (dy > 0) out.write(`\x1b[${dy}B`);
      if (dx < 0) out.write(`\x1b[${-dx}D`);
      if (dx > 0) out.write(`\x1b[${dx}C`);
      return true;
    },
    clearLine: (dir: number) => { out.write(dir < 0 ? '\x1b[1K' : dir > 0 ? '\x1b[0K' : '\x1b[2K'); return true; },
    // write() never reports back-pressure, so ora never waits for 'drain'.
    once: () => adapter,
    on: () => adapter,
    removeListener: () => adapter,
    off: () => adapter,
  };
  return adapter as unknown as NodeJS.WriteStream;
}

/** Cuts text to one terminal line, so the spinner never wraps (wrapped lines would be cleared wrongly). */
function fit(text: string, columns: number): string {
  const max = Math.max(20, columns - 4);
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** Returns progress output on `out` (stderr). */
export function createProgress(out: OutStream, opts: ProgressOptions): Progress {
  if (!opts.interactive || !out.isTTY) return plainProgress(out);
  const columns = (out as { columns?: number }).columns ?? 80;
  let spinner: Ora | undefined;
  const stream = terminalAdapter(out);
  return {
    status(text) {
      if (text === undefined) {
        spinner?.stop();
        spinner = undefined;
        return;
      }
      if (!spinner) {
        spinner = ora({ text: fit(text, columns), stream, isEnabled: true, discardStdin: false, hideCursor: false, color: opts.color ? 'cyan' : false });
        spinner.start();
      } else {
        spinner.text = fit(text, columns);
      }
    },
    line(text) {
      if (spinner) {
        spinner.clear();
        out.write(`${text}\n`);
        spinner.render();
      } else {
        out.write(`${text}\n`);
      }
    },
    stop() {
      spinner?.stop();
      spinner = undefined;
    },
  };
}
