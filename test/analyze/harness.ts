/** Runs analyzers over files under test/testdata/analyze/ the way `meshctl analyze` does. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAnalysis, type AnalysisResult } from '../../src/analyze/engine.js';
import { meshConfigFromText, meshNetworksFromText } from '../../src/analyze/mesh-config.js';
import { selectAnalyzers } from '../../src/analyze/registry.js';
import { friendlyName } from '../../src/analyze/resource.js';
import { ResourceStore } from '../../src/analyze/store.js';
import type { InputProblem } from '../../src/analyze/sources.js';
import { loadFiles, profileIngressGateway } from '../../src/cli/analyze-impl.js';
import { repoRoot, testDeps } from '../helpers.js';

/** Directory of the analyzer test inputs. */
export const analyzeTestdata = join(repoRoot, 'test', 'testdata', 'analyze');

/** One row of the analyzer grid: input files, the analyzer, and the findings expected. */
export interface GridCase {
  /** Files under test/testdata/analyze/. */
  files: string[];
  /** Analyzer name as registered. */
  analyzer: string;
  /** `[code, origin]` pairs, as a multiset (order does not matter). */
  expected: [code: string, origin: string][];
  /** A mesh config file under test/testdata/analyze/ (`--meshConfigFile`); Istio's defaults when absent. */
  meshConfigFile?: string;
  /** A mesh networks file under test/testdata/analyze/ (`--meshNetworksFile`); none when absent. */
  meshNetworksFile?: string;
}

/**
 * Analyzes `files` (relative to test/testdata/analyze/) with the named analyzers, all namespaces,
 * the default profile's ingress gateway assumed, inputs checked strictly, with the mesh config of
 * `meshConfigFile` and the mesh networks of `meshNetworksFile` (relative to the same folder) when
 * given. Returns the result and
 * the input problems.
 */
export async function analyzeTestFiles(files: readonly string[], analyzers: readonly string[] = [], meshConfigFile?: string, meshNetworksFile?: string): Promise<AnalysisResult & { problems: InputProblem[] }> {
  const { deps } = testDeps();
  const meshConfig = meshConfigFile === undefined ? undefined
    : meshConfigFromText(readFileSync(join(analyzeTestdata, meshConfigFile), 'utf8'), meshConfigFile);
  const meshNetworks = meshNetworksFile === undefined ? undefined
    : meshNetworksFromText(readFileSync(join(analyzeTestdata, meshNetworksFile), 'utf8'), meshNetworksFile);
  const loaded = await loadFiles(deps, files.map((f) => join(analyzeTestdata, f)), 'default');
  const synthetic = await profileIngressGateway(deps, loaded.resources);
  const selected = selectAnalyzers(analyzers);
  if (selected.unknown.length) throw new Error(`unknown analyzers ${selected.unknown.join(', ')}`);
  const result = runAnalysis(new ResourceStore([...loaded.resources, ...synthetic], true), {
    analyzers: selected.analyzers, istioNamespace: 'istio-system', strictInputs: true, ...(meshConfig ? { meshConfig } : {}),
    ...(meshNetworks ? { meshNetworks } : {}),
  });
  return { ...result, problems: loaded.problems };
}

/** Returns `[code, origin]` pairs of a result's findings, sorted, for multiset comparison. */
export function codeOrigins(result: AnalysisResult): [string, string][] {
  return result.findings.map((f): [string, string] => [f.type.code, f.resource ? friendlyName(f.resource) : '']).sort(byPair);
}

/** Sorts `[code, origin]` pairs. */
export function byPair(a: [string, string], b: [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}
