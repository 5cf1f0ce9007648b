/** Terminal styling: colour only on a terminal and never with NO_COLOR or --no-color (DESIGN.md rule 4). */
import { Chalk } from 'chalk';

const chalk = new Chalk({ level: 1 });

/** Returns a unified diff with removed lines red, added lines green and hunk headers cyan. */
export function colorDiff(patch: string): string {
  return patch.split('\n').map((line) => {
    if (line.startsWith('+++') || line.startsWith('---')) return chalk.bold(line);
    if (line.startsWith('+')) return chalk.green(line);
    if (line.startsWith('-')) return chalk.red(line);
    if (line.startsWith('@@')) return chalk.cyan(line);
    return line;
  }).join('\n');
}

/** Returns the text coloured as an error/warning/ok marker when `on`, unchanged otherwise. */
export function paint(on: boolean, style: 'red' | 'yellow' | 'green' | 'bold', text: string): string {
  return on ? chalk[style](text) : text;
}
