/** Placeholder: the `verify-install` command is being written. */
import type { AnyCommand } from './program.js';
import type { Deps } from '../deps.js';

/** Adds the command to the program. */
export function registerVerifyInstall(_program: AnyCommand, _deps: Deps): void {}
