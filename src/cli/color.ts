/** Whether to colour output: only on a terminal, never with NO_COLOR or --no-color (DESIGN.md rule 4). Kept apart from chalk so deciding costs nothing at start-up. */
import type { Deps } from '../deps.js';

/** Returns true when colour may be used on the stream; `globals` are the parsed global options. */
export function useColor(deps: Deps, stream: 'stdout' | 'stderr', globals: { color?: boolean }): boolean {
  const noColor = deps.env.NO_COLOR !== undefined && deps.env.NO_COLOR !== '';
  return deps[stream].isTTY && !noColor && globals.color !== false;
}
