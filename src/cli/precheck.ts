/** Placeholder: the `precheck` command is being written. */
import type { AnyCommand } from './program.js';
import type { Deps } from '../deps.js';

/** Adds the command to the program. */
export function registerPrecheck(_program: AnyCommand, _deps: Deps): void {}
