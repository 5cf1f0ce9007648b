/**
 * Where the conformance suites find upstream Istio 1.30.3's own test data, and how they skip.
 *
 * The data lives beside the repository in `../shared/conformance/istio-1.30.3/` (CI and developers'
 * machines have it; a user's clone does not). Without it the suites skip with the reason in their
 * title; with `MESHCTL_REQUIRE_CONFORMANCE` set (CI sets it) a missing folder is an error instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';

/** Absolute path of the upstream data folder (may not exist). */
export const CONFORMANCE_DIR = join(repoRoot, '..', 'shared', 'conformance', 'istio-1.30.3');

/** True when the upstream data is present. */
export const conformanceAvailable = existsSync(join(CONFORMANCE_DIR, 'README.md'));

const skipReason = 'needs ../shared/conformance/istio-1.30.3 (upstream Istio 1.30.3 test data); CI has it';
if (!conformanceAvailable && process.env.MESHCTL_REQUIRE_CONFORMANCE) {
  throw new Error(`MESHCTL_REQUIRE_CONFORMANCE is set but the conformance data is missing: ${skipReason}`);
}

/** Returns `name`, with the skip reason appended when the data is missing (the suite then skips). */
export function suiteTitle(name: string): string {
  return conformanceAvailable ? name : `${name} [skipped: ${skipReason}]`;
}

/** Reads and parses a JSON file under the data folder (`rel` is relative to it). */
export function readConformanceJson<T>(rel: string): T {
  return JSON.parse(readFileSync(join(CONFORMANCE_DIR, rel), 'utf8')) as T;
}

/**
 * Formats a suite's score line, e.g. `inject conformance: 96 of 98 equal (98.0 %)`; the suites print it
 * so a run shows where meshctl stands against upstream.
 */
export function scoreLine(suite: string, passed: number, total: number): string {
  const pct = total === 0 ? 100 : (100 * passed) / total;
  return `${suite} conformance: ${passed} of ${total} equal (${pct.toFixed(1)} %)`;
}
