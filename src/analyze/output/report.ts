/**
 * What every output format receives, and the record shape json/yaml (and the others) share:
 * istioctl's keys (`code`, `documentationUrl`, `level`, `message`, `origin`, `reference`) plus
 * `line`, `column` and `path`.
 */
import type { Analyzer } from '../analyzer.js';
import type { Finding } from '../engine.js';
import { documentationUrl } from '../messages.js';
import { friendlyName, type ObjectPath } from '../resource.js';
import type { InputProblem } from '../sources.js';

/** Input of a formatter. */
export interface ReportInput {
  /** Findings at or above the output threshold, sorted; suppressed ones are included and marked. */
  findings: readonly Finding[];
  /** Files that could not be read or parsed. */
  problems: readonly InputProblem[];
  /** Files analyzed, as named on the command line (`<stdin>` for `-`). */
  files: readonly string[];
  /** Analyzers that ran. */
  analyzers: readonly Analyzer[];
  /** meshctl's version, for tool metadata. */
  version: string;
  /** Colour the level word (log format only). */
  color: boolean;
}

/** Turns a report into the text written to stdout (ending with a newline, or empty). */
export type Formatter = (input: ReportInput) => string;

/** One finding as json/yaml print it; keys in alphabetical order, as istioctl's encoder writes them. */
export interface FindingRecord {
  code: string;
  column?: number;
  documentationUrl: string;
  level: string;
  line?: number;
  message: string;
  origin?: string;
  path?: string;
  reference?: string;
}

/** Returns the record of a finding. `reference` is istioctl's `file:line`. */
export function findingRecord(f: Finding): FindingRecord {
  const rec: FindingRecord = { code: f.type.code, documentationUrl: documentationUrl(f.type.code), level: f.type.level, message: f.message };
  if (f.position) {
    rec.column = f.position.column;
    rec.line = f.position.line;
  }
  if (f.resource) rec.origin = friendlyName(f.resource);
  if (f.path && f.path.length > 0) rec.path = formatObjectPath(f.path);
  if (f.position) rec.reference = `${f.position.file}:${f.position.line}`;
  return sortKeys(rec);
}

/** Formats an object path as kubectl explain writes one: `spec.ports[0].name`. */
export function formatObjectPath(path: ObjectPath): string {
  let out = '';
  for (const step of path) out += typeof step === 'number' ? `[${step}]` : out ? `.${step}` : step;
  return out;
}

function sortKeys<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1))) as T;
}
