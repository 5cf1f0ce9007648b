/**
 * The log format: istioctl's line `<Level> [<Code>] (<Kind> <ns>/<name> <file>:<line>:<column>) <message>`,
 * with the column added. Suppressed findings are not printed.
 */
import type { Finding } from '../engine.js';
import { friendlyName } from '../resource.js';
import type { Formatter } from './report.js';

// istioctl's colours: bold red for Error, yellow for Warning, the level word only.
const PAINT: Record<string, string> = { Error: '\u001b[1;31m', Warning: '\u001b[33m' };

/** Returns one finding as a log line (no newline); `color` paints the level word as istioctl does. */
export function logLine(f: Finding, color = false): string {
  const paint = color ? PAINT[f.type.level] : undefined;
  const level = paint ? `${paint}${f.type.level}\u001b[0m` : f.type.level;
  let origin = '';
  if (f.resource) {
    const where = f.position ? ` ${f.position.file}:${f.position.line}:${f.position.column}` : '';
    origin = ` (${friendlyName(f.resource)}${where})`;
  }
  return `${level} [${f.type.code}]${origin} ${f.message}`;
}

/** Formats findings one per line. */
export const formatLog: Formatter = (input) =>
  input.findings.filter((f) => !f.suppressed).map((f) => `${logLine(f, input.color)}\n`).join('');
