/**
 * The sarif format: one SARIF 2.1.0 log (OASIS sarif-schema-2.1.0) with one run, for code
 * scanning dashboards (GitHub code scanning, Azure DevOps, VS Code's SARIF viewer). Unlike the
 * other formats it keeps suppressed findings, marked with `suppressions`, so a dashboard can show
 * what was silenced and why; files that could not be parsed become tool execution notifications.
 */
import type { Finding } from '../engine.js';
import { documentationUrl, type Level, type MessageType } from '../messages.js';
import { friendlyName } from '../resource.js';
import { SUPPRESS_ANNOTATION } from '../suppress.js';
import { positionOf } from '../../manifest/yaml-docs.js';
import type { SourcePosition } from '../../errors.js';
import type { InputProblem } from '../sources.js';
import { formatObjectPath, type Formatter, type ReportInput } from './report.js';

/** The schema URI written into the log, the OASIS errata01 location of SARIF 2.1.0. */
export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/**
 * Where users learn about the codes meshctl reports. meshctl has no web site of its own; the codes
 * it shares with istioctl are documented in Istio's analysis reference.
 */
export const TOOL_INFORMATION_URI = 'https://istio.io/v1.30/docs/reference/config/analysis/';

/** The name ReportInput gives standard input (see src/cli/inputs.ts STDIN_NAME). */
const STDIN = '<stdin>';

/** SARIF `level` of each finding level (SARIF 2.1.0 §3.27.10: Info is a `note`). */
export const SARIF_LEVELS: Readonly<Record<Level, 'error' | 'warning' | 'note'>> = { Error: 'error', Warning: 'warning', Info: 'note' };

/** A SARIF `artifactLocation`. */
interface ArtifactLocation {
  uri: string;
  index?: number;
  description?: { text: string };
}

/** A SARIF `location` with a physical location (file and optional region). */
interface PhysicalLocation {
  physicalLocation: { artifactLocation: ArtifactLocation; region?: { startLine: number; startColumn: number } };
  logicalLocations?: { fullyQualifiedName: string; kind: string }[];
}

/**
 * Returns a file name as a SARIF URI reference: each path segment percent-encoded
 * (`my dir/a.yaml` → `my%20dir/a.yaml`), a leading `./` dropped so dashboards match it against
 * repository paths, absolute paths as `file:` URIs, backslashes as slashes. Standard input
 * (`<stdin>`) keeps its display name, encoded (`%3Cstdin%3E`), which is a valid relative reference.
 */
export function artifactUri(file: string): string {
  let path = file.replace(/\\/g, '/');
  while (path.startsWith('./')) path = path.slice(2);
  const encode = (p: string): string => p.split('/').map(encodeURIComponent).join('/');
  if (path.startsWith('/')) return `file://${encode(path)}`;
  // A Windows drive (C:/x) stays unencoded so the URI names the drive rather than a relative "C%3A".
  const drive = /^[A-Za-z]:\//.exec(path);
  if (drive) return `file:///${drive[0]}${encode(path.slice(3))}`;
  return encode(path);
}

/** Returns the rules of a run: one per message code the analyzers declare, sorted by code. */
export function sarifRules(input: ReportInput): MessageType[] {
  const byCode = new Map<string, MessageType>();
  for (const a of input.analyzers) for (const m of a.messages) if (!byCode.has(m.code)) byCode.set(m.code, m);
  // Findings of a code no analyzer declares cannot happen (the engine refuses them); keep them anyway.
  for (const f of input.findings) if (!byCode.has(f.type.code)) byCode.set(f.type.code, f.type);
  return [...byCode.values()].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

/**
 * Returns the SARIF log of a report as a plain object (see the module comment). Rules carry the
 * catalog name, summary and documentation URL; results point at the offending node
 * (`region.startLine/startColumn`, columns in UTF-16 code units as the YAML parser counts them)
 * and name the resource as a logical location.
 */
export function sarifLog(input: ReportInput): Record<string, unknown> {
  const rules = sarifRules(input);
  const ruleIndex = new Map(rules.map((r, i) => [r.code, i]));
  const artifactFiles = [...input.files];
  for (const p of input.problems) if (!artifactFiles.includes(p.file)) artifactFiles.push(p.file);
  const artifactIndex = new Map(artifactFiles.map((f, i) => [f, i]));
  const artifactLocation = (file: string): ArtifactLocation => {
    const loc: ArtifactLocation = { uri: artifactUri(file) };
    const index = artifactIndex.get(file);
    if (index !== undefined) loc.index = index;
    if (file === STDIN) loc.description = { text: 'standard input' };
    return loc;
  };
  const location = (pos: SourcePosition): PhysicalLocation => ({
    physicalLocation: { artifactLocation: artifactLocation(pos.file), region: { startLine: pos.line, startColumn: pos.column } },
  });

  const result = (f: Finding): Record<string, unknown> => {
    const out: Record<string, unknown> = { ruleId: f.type.code };
    const index = ruleIndex.get(f.type.code);
    if (index !== undefined) out.ruleIndex = index;
    out.level = SARIF_LEVELS[f.type.level];
    out.message = { text: f.message };
    if (f.position || f.resource) {
      const loc: Partial<PhysicalLocation> = f.position ? location(f.position) : {};
      if (f.resource) loc.logicalLocations = [{ fullyQualifiedName: friendlyName(f.resource), kind: 'resource' }];
      out.locations = [loc];
    }
    if (f.suppressed) out.suppressions = [suppression(f, location)];
    out.properties = { analyzer: f.analyzer, ...(f.path && f.path.length > 0 ? { path: formatObjectPath(f.path) } : {}) };
    return out;
  };

  const notification = (p: InputProblem): Record<string, unknown> => ({
    level: 'error',
    message: { text: p.message },
    locations: [p.position ? location(p.position) : { physicalLocation: { artifactLocation: artifactLocation(p.file) } }],
  });

  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'meshctl',
          version: input.version,
          informationUri: TOOL_INFORMATION_URI,
          rules: rules.map((m) => ({
            id: m.code,
            name: m.name,
            shortDescription: { text: m.summary },
            helpUri: documentationUrl(m.code),
            defaultConfiguration: { level: SARIF_LEVELS[m.level] },
          })),
        },
      },
      invocations: [{
        executionSuccessful: input.problems.length === 0,
        ...(input.problems.length > 0 ? { toolExecutionNotifications: input.problems.map(notification) } : {}),
      }],
      artifacts: artifactFiles.map((f) => ({ location: { uri: artifactUri(f), ...(f === STDIN ? { description: { text: 'standard input' } } : {}) } })),
      columnKind: 'utf16CodeUnits',
      results: input.findings.map(result),
    }],
  };
}

/**
 * Returns the SARIF suppression of a suppressed finding: `external` for a `-S` flag (it lives
 * outside the analyzed files), `inSource` for the analyze-suppress annotation, located at the
 * annotation when the resource came from a file.
 */
function suppression(f: Finding, location: (pos: SourcePosition) => PhysicalLocation): Record<string, unknown> {
  const s = f.suppressed!;
  if (s.by === 'flag') return { kind: 'external', status: 'accepted', justification: `-S ${s.rule}` };
  const out: Record<string, unknown> = { kind: 'inSource', status: 'accepted', justification: s.rule };
  const src = f.resource?.source;
  if (src) out.location = location(positionOf(src.document, [...src.base, 'metadata', 'annotations', SUPPRESS_ANNOTATION]));
  return out;
}

/** Formats the report as a SARIF 2.1.0 log, two-space indented. */
export const formatSarif: Formatter = (input) => `${JSON.stringify(sarifLog(input), null, 2)}\n`;
