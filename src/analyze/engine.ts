/**
 * Runs analyzers over a resource store and turns what they report into findings: positioned,
 * suppressed where asked, filtered to the analyzed namespaces, de-duplicated and sorted.
 */
import { positionOf, type SourceDocument } from '../manifest/yaml-docs.js';
import type { SourcePosition } from '../errors.js';
import type { AnalysisContext, Analyzer, FindingLocation } from './analyzer.js';
import { WORKLOAD_INPUTS } from './kinds.js';
import { formatMessage, levelRank, type MessageType } from './messages.js';
import { defaultAnalysisMeshConfig, defaultMeshNetworks, meshNetworksResource } from './mesh-config.js';
import { friendlyName, type JsonMap, type KindKey, type ObjectPath, type Resource } from './resource.js';
import { ResourceStore } from './store.js';
import { suppressionFor, type Suppression } from './suppress.js';

/** One finding. */
export interface Finding {
  type: MessageType;
  /** The formatted message text. */
  message: string;
  /** The resource it is about; undefined for findings about the run itself. */
  resource?: Resource;
  /** The path of the offending node inside the resource's object. */
  path?: ObjectPath;
  /** The position is the key of the last path element rather than its value. */
  key?: boolean;
  /** `file:line:column` of the offending node, for file-backed resources. */
  position?: SourcePosition;
  /** Set when a `-S` flag or the resource's analyze-suppress annotation silences the finding. */
  suppressed?: { by: 'flag' | 'annotation'; rule: string };
  /** The analyzer that reported it. */
  analyzer: string;
}

/** What to run and how to filter. */
export interface AnalysisOptions {
  analyzers: readonly Analyzer[];
  istioNamespace: string;
  /** The mesh config analyzers see (defaults applied); Istio's defaults when undefined. */
  meshConfig?: JsonMap;
  /** The mesh networks analyzers see; none when undefined. */
  meshNetworks?: JsonMap;
  /** The document `meshNetworks` was read from, for positions of findings about them. */
  meshNetworksDocument?: SourceDocument;
  /** The instant analyzers treat as now, ms since the epoch; the run's start when undefined. */
  now?: number;
  /** Only findings on resources in these namespaces (and cluster-scoped ones); all when undefined. */
  namespaces?: ReadonlySet<string>;
  suppressions?: readonly Suppression[];
  /** Throw when an analyzer reads a kind or reports a message it does not declare (default true; the checks are cheap). */
  strictInputs?: boolean;
}

/** The outcome of a run. */
export interface AnalysisResult {
  /** Sorted findings, suppressed ones included (marked). */
  findings: Finding[];
  /** Names of the analyzers that ran. */
  analyzers: string[];
}

/**
 * Runs `options.analyzers` over `store`. Findings on synthetic resources are dropped. Sorted as
 * istioctl sorts (level worst first, code, origin), then by position and message; exact repeats
 * (same code, resource, position and text) are reported once. Throws Error when an analyzer
 * reads a kind it does not declare (a programming error, not a user error).
 */
export function runAnalysis(store: ResourceStore, options: AnalysisOptions): AnalysisResult {
  const findings: Finding[] = [];
  const mesh = { meshConfig: options.meshConfig ?? defaultAnalysisMeshConfig(), meshNetworks: options.meshNetworks ?? defaultMeshNetworks(), now: options.now ?? Date.now() };
  const seen = new Set<string>();
  for (const analyzer of options.analyzers) {
    const ctx = contextFor(store, analyzer, { ...options, ...mesh }, (f) => {
      const id = `${f.type.code}\u0000${f.resource ? friendlyName(f.resource) : ''}\u0000${f.position ? `${f.position.file}:${f.position.line}:${f.position.column}` : ''}\u0000${f.message}`;
      if (seen.has(id)) return;
      seen.add(id);
      findings.push(f);
    });
    analyzer.analyze(ctx);
  }
  findings.sort(compareFindings);
  return { findings, analyzers: options.analyzers.map((a) => a.name) };
}

function contextFor(store: ResourceStore, analyzer: Analyzer, options: AnalysisOptions, emit: (f: Finding) => void): AnalysisContext {
  const declared = new Set<KindKey>(analyzer.inputs);
  const check = (kind: KindKey): void => {
    if (options.strictInputs !== false && !declared.has(kind)) {
      throw new Error(`analyzer ${analyzer.name} reads ${kind}, which is not among its declared inputs`);
    }
  };
  return {
    istioNamespace: options.istioNamespace,
    meshConfig: options.meshConfig ?? {},
    meshNetworks: options.meshNetworks ?? {},
    meshNetworksResource: meshNetworksResource(options.meshNetworks ?? {}, options.istioNamespace, options.meshNetworksDocument),
    now: options.now ?? Date.now(),
    list: (kind) => (check(kind), store.list(kind)),
    inNamespace: (kind, ns) => (check(kind), store.inNamespace(kind, ns)),
    get: (kind, ns, name) => (check(kind), store.get(kind, ns, name)),
    workloads: (ns) => (WORKLOAD_INPUTS.forEach(check), store.workloads(ns)),
    report: (type: MessageType, at: FindingLocation, ...args: unknown[]) => {
      if (options.strictInputs !== false && !analyzer.messages.includes(type)) {
        throw new Error(`analyzer ${analyzer.name} reports ${type.code}, which is not among its declared messages`);
      }
      const r = at.resource;
      if (r.synthetic) return;
      if (options.namespaces && r.namespace !== '' && !options.namespaces.has(r.namespace)) return;
      const path = at.path ?? [];
      const position = r.source ? positionOf(r.source.document, [...r.source.base, ...path], at.key ?? false) : undefined;
      const message = formatMessage(type.template, args);
      const finding: Finding = { type, message, resource: r, path, analyzer: analyzer.name };
      if (at.key) finding.key = true;
      if (position) finding.position = position;
      const suppressed = suppressionFor(type.code, r, options.suppressions ?? []);
      if (suppressed) finding.suppressed = suppressed;
      emit(finding);
    },
  };
}

/** Orders findings: level (worst first), code, origin, file position, message. */
export function compareFindings(a: Finding, b: Finding): number {
  return levelRank(a.type.level) - levelRank(b.type.level)
    || cmp(a.type.code, b.type.code)
    || cmp(a.resource ? originKey(a.resource) : '', b.resource ? originKey(b.resource) : '')
    || cmp(a.position?.file ?? '', b.position?.file ?? '')
    || (a.position?.line ?? 0) - (b.position?.line ?? 0)
    || (a.position?.column ?? 0) - (b.position?.column ?? 0)
    || cmp(a.message, b.message);
}

function originKey(r: Resource): string {
  return `${r.kind}/${r.name}/${r.namespace}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
