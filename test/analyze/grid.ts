/** Every row of the analyzer grid, gathered from the per-area files. */
import type { GridCase } from './harness.js';
import { GRID as CORE } from './grid-core.js';
import { GRID as WORKLOAD } from './grid-workload.js';
import { GRID as GATEWAY } from './grid-gateway.js';
import { GRID as SCHEMA } from './grid-schema.js';
import { GRID as REFERENCES } from './grid-virtualservice.js';
import { GRID as TELEMETRY } from './grid-telemetry.js';
import { GRID as PLATFORM } from './grid-platform.js';
import { GRID as POLICIES } from './grid-policies.js';
import { GRID as MESH } from './grid-mesh.js';
import { GRID as REVISIONS } from './grid-revisions.js';

/** All grid rows. */
export const GRID: readonly GridCase[] = [...CORE, ...WORKLOAD, ...GATEWAY, ...SCHEMA, ...REFERENCES, ...TELEMETRY, ...PLATFORM, ...POLICIES, ...MESH, ...REVISIONS];
