/** Terminal styling: colour only on a terminal and never with NO_COLOR or --no-color (DESIGN.md rule 4). */
import { Chalk } from 'chalk';

const chalk = new Chalk({ level: 1 });

/** Returns diff text with removed lines red, added lines green, changed (`~`) lines yellow and hunk headers cyan. */
export function colorDiff(patch: string): string {
  return patch.split('\n').map((line) => {
    if (line.startsWith('+++') || line.startsWith('---')) return chalk.bold(line);
    if (line.startsWith('+')) return chalk.green(line);
    if (line.startsWith('-')) return chalk.red(line);
    if (line.startsWith('~')) return chalk.yellow(line);
    if (line.startsWith('@@')) return chalk.cyan(line);
    return line;
  }).join('\n');
}
