/** Every row of the analyzer grid, gathered from the per-area files. */
import type { GridCase } from './harness.js';
import { GRID as CORE } from './grid-core.js';

/** All grid rows. */
export const GRID: readonly GridCase[] = [...CORE];
