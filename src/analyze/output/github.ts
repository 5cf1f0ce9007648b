/**
 * The github format: GitHub Actions workflow commands, which the runner turns into annotations on
 * the pull request's changed lines: `::error file=f,line=l,col=c,title=CODE::message` per finding
 * (Error → error, Warning → warning, Info → notice). Suppressed findings are not printed. Files
 * that could not be parsed are annotated too (title `parse error`), since a broken manifest is
 * what a reviewer most needs to see on the diff.
 */
import type { SourcePosition } from '../../errors.js';
import type { Level } from '../messages.js';
import type { Formatter } from './report.js';

/** Workflow command of each finding level. */
export const GITHUB_COMMANDS: Readonly<Record<Level, 'error' | 'warning' | 'notice'>> = { Error: 'error', Warning: 'warning', Info: 'notice' };

/** The name ReportInput gives standard input; it names no file GitHub could annotate. */
const STDIN = '<stdin>';

/**
 * Returns `text` escaped as the message of a workflow command: `%`, CR and LF as `%25`, `%0D`,
 * `%0A` (the escaping of @actions/core's `escapeData`), so a multi-line message stays one command.
 */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/**
 * Returns `text` escaped as a workflow command property value: as escapeData, plus `:` and `,`
 * as `%3A` and `%2C`, which would otherwise end the property list or the value
 * (@actions/core's `escapeProperty`).
 */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** Returns one workflow command line (no newline); `at` adds file, line and col when it names a file. */
export function workflowCommand(command: string, at: SourcePosition | { file: string } | undefined, title: string, message: string): string {
  const props: string[] = [];
  if (at && at.file !== STDIN) {
    props.push(`file=${escapeProperty(at.file)}`);
    if ('line' in at) props.push(`line=${at.line}`, `col=${at.column}`);
  }
  props.push(`title=${escapeProperty(title)}`);
  return `::${command} ${props.join(',')}::${escapeData(message)}`;
}

/** Formats problems and unsuppressed findings as workflow commands, one per line. */
export const formatGithub: Formatter = (input) => {
  const lines = input.problems.map((p) => workflowCommand('error', p.position ?? { file: p.file }, 'parse error', p.message));
  for (const f of input.findings) {
    if (f.suppressed) continue;
    lines.push(workflowCommand(GITHUB_COMMANDS[f.type.level], f.position, f.type.code, f.message));
  }
  return lines.map((l) => `${l}\n`).join('');
};
