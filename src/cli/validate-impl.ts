/** What `meshctl validate` does, loaded only when it runs. */
import type { Deps } from '../deps.js';
import { DataError, ExitCode, formatPosition, UsageError } from '../errors.js';
import { positionOf } from '../manifest/yaml-docs.js';
import { compactYamlDocuments } from '../manifest/compact-docs.js';
import {
  byPosition, checkDocuments, type CheckedObject, type FindingLevel, type ValidationFinding,
} from '../schema/validate-documents.js';
import { portNameAnalyzer } from '../analyze/analyzers/port-name.js';
import { workloadLabelsAnalyzer } from '../analyze/analyzers/workload-labels.js';
import { servicePortProtocolAnalyzer } from '../analyze/analyzers/service-port-protocol.js';
import { runAnalysis } from '../analyze/engine.js';
import { isClusterScoped } from '../analyze/kinds.js';
import { field, kindKey, type Resource } from '../analyze/resource.js';
import { lastOfEach, resourceOf } from '../analyze/sources.js';
import { ResourceStore } from '../analyze/store.js';
import { isIstioOperator } from '../render/iop-validate.js';
import { checkOperatorDocument } from '../render/check-operator.js';
import type { RenderAssets } from '../render/config.js';
import { expandEachInputOnce, readInputFiles, splitFileFlags } from './inputs.js';
import { loadAssets } from './assets.js';

/** Flags and arguments of `meshctl validate`. */
export interface ValidateOptions {
  filename?: string[];
  /** Positional arguments: always a usage error (files come with -f, as in istioctl). */
  args?: string[];
}

/** A finding an analyzer reports about one object, before it has a position. */
export interface AnalyzerFinding {
  object: CheckedObject;
  level: FindingLevel;
  message: string;
  /** Path inside the object (`['spec', 'ports', 0, 'name']`); the object itself when absent. */
  path?: (string | number)[];
  /** Point at the key rather than the value. */
  atKey?: boolean;
}

/**
 * Where analyzer findings join the schema findings (DESIGN.md rule 7: port naming and app/version
 * labels are analyzers, and validate reuses them). Called once per run with every object of every
 * readable file, so analyzers can look across files.
 */
export type AnalyzerFindingSource = (objects: readonly CheckedObject[]) => AnalyzerFinding[] | Promise<AnalyzerFinding[]>;

/**
 * How validate grades the analyzers it runs, as istioctl validate grades its own checks: a Service
 * port Istio cannot tell the protocol of is an error; a workload without app/version labels, or
 * sharing them with another, is a warning; so are Services that give one port of the same pods
 * different protocols (MSH0003).
 */
const VALIDATE_LEVELS: Readonly<Record<string, FindingLevel>> = {
  IST0118: 'error', IST0150: 'error', MSH0001: 'warning', MSH0002: 'warning', MSH0003: 'warning',
};

/** The Istio namespace, whose Services and workloads istioctl validate leaves alone. */
const ISTIO_NAMESPACE = 'istio-system';

/**
 * The analyzers `meshctl validate` runs after the schema checks: service.PortNameAnalyzer,
 * service.PortProtocolAnalyzer and workload.AppVersionLabelAnalyzer over every object, objects without a namespace placed in
 * `default`, objects in istio-system skipped. Messages carry their code: `Port name web (port: 80,
 * targetPort: 8080) doesn't follow the naming convention of Istio port. [IST0118]`.
 */
export const validateAnalyzerFindings: AnalyzerFindingSource = (objects) => {
  const origin = new Map<Resource, CheckedObject>();
  for (const o of objects) {
    const { apiVersion, kind } = o.object;
    const name = field(o.object.metadata, 'name');
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || typeof name !== 'string') continue;
    const ns = field(o.object.metadata, 'namespace');
    const namespace = isClusterScoped(kindKey(apiVersion, kind)) ? '' : typeof ns === 'string' && ns ? ns : 'default';
    if (namespace === ISTIO_NAMESPACE) continue;
    origin.set(resourceOf(o.object, apiVersion, kind, name, namespace, { document: o.document, base: o.path }), o);
  }
  // One object per kind, namespace and name, as `analyze` keeps them, so a base and an overlay of
  // one Deployment are not taken for two workloads sharing their labels.
  const { findings } = runAnalysis(new ResourceStore(lastOfEach([...origin.keys()]), true), {
    analyzers: [portNameAnalyzer, servicePortProtocolAnalyzer, workloadLabelsAnalyzer], istioNamespace: ISTIO_NAMESPACE,
  });
  return findings.filter((f) => f.resource && !f.suppressed).map((f) => ({
    object: origin.get(f.resource!)!,
    level: VALIDATE_LEVELS[f.type.code] ?? 'warning',
    message: `${f.message} [${f.type.code}]`,
    path: [...(f.path ?? [])],
    ...(f.key ? { atKey: true } : {}),
  }));
};

const NO_FILENAME = "you must specify resources by --filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'";

type FileOutcome =
  | { name: string; status: 'checked'; objects: CheckedObject[]; findings: ValidationFinding[] }
  | { name: string; status: 'unreadable' | 'unparseable'; message: string };

/**
 * `meshctl validate`: validates every object of every `-f` file (directories walked for .yaml, .yml
 * and .json, `-` for stdin) and reports on stderr: one line per finding
 * (`file:line:column: Kind/ns/name: message`, warnings with `warning: ` after the position), one
 * line per file (`"<file>" is valid`, `"<file>" is valid (no objects)`, `"<file>" has warnings:`
 * before its lines, `"<file>" is invalid`, `"<file>" could not be read`, `"<file>" could not be
 * parsed` after them), then `validated N objects in M files: E errors, W warnings`.
 * Sets deps.exitCode: 65 when any file could not be read or parsed, or holds a document that
 * cannot be loaded as an object (ValidationFinding.unloadable; the others are still validated),
 * else 1 when any object has an error, else 0. Throws UsageError for positional
 * arguments or no -f. `analyzers` is the extension point for analyzer findings (tests pass their own).
 */
export async function runValidate(deps: Deps, opts: ValidateOptions, analyzers: AnalyzerFindingSource = validateAnalyzerFindings): Promise<void> {
  const args = opts.args ?? [];
  if (args.length) throw new UsageError(`validate takes no arguments, got: ${args.join(' ')} (did you mean -f ${args[0]}?)`);
  const paths = splitFileFlags(opts.filename);
  if (!paths.length) throw new UsageError(NO_FILENAME);

  const outcomes: FileOutcome[] = [];
  for (const input of await expandEachInputOnce(deps, paths)) {
    outcomes.push('error' in input ? failure(input.given, 'unreadable', input.error) : await checkFile(deps, input.path));
  }

  const checked = outcomes.filter((o): o is Extract<FileOutcome, { status: 'checked' }> => o.status === 'checked');
  await checkOperators(deps, checked);
  const fileOf = new Map(checked.flatMap((o) => o.objects.map((object) => [object, o] as const)));
  const extra = await analyzers([...fileOf.keys()]);
  for (const finding of extra) {
    const outcome = fileOf.get(finding.object);
    if (!outcome) continue;
    const { document, path } = finding.object;
    outcome.findings.push({
      level: finding.level,
      object: finding.object,
      message: finding.message,
      position: positionOf(document, [...path, ...(finding.path ?? [])], finding.atKey === true),
    });
  }

  let errors = 0;
  let warnings = 0;
  let objects = 0;
  for (const outcome of outcomes) {
    if (outcome.status !== 'checked') {
      errors++;
      deps.stderr.write(`${outcome.message}\n"${outcome.name}" could not be ${outcome.status === 'unreadable' ? 'read' : 'parsed'}\n`);
      continue;
    }
    objects += outcome.objects.length;
    const findings = [...outcome.findings].sort(byPosition);
    const fileErrors = findings.filter((f) => f.level === 'error').length;
    errors += fileErrors;
    warnings += findings.length - fileErrors;
    const lines = findings.map(formatFinding);
    if (fileErrors) deps.stderr.write(`${lines.join('\n')}\n"${outcome.name}" is invalid\n`);
    else if (findings.length) deps.stderr.write(`"${outcome.name}" has warnings:\n${lines.join('\n')}\n`);
    else deps.stderr.write(`"${outcome.name}" is valid${outcome.objects.length ? '' : ' (no objects)'}\n`);
  }
  deps.stderr.write(`validated ${plural(objects, 'object')} in ${plural(outcomes.length, 'file')}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}\n`);

  // An object that cannot be loaded (no kind or name, a workload without a pod template) is a file
  // analyze could not parse either: one answer for both.
  if (outcomes.some((o) => o.status !== 'checked' || o.findings.some((f) => f.unloadable))) deps.exitCode = ExitCode.data;
  else if (errors) deps.exitCode = ExitCode.failure;
}

/**
 * Adds, for each IstioOperator document that passes its schema check, the first problem the
 * rendering commands would refuse it for (revision, namespace, profile, k8s overlays, gateway
 * entries; src/render/check-operator.ts) as an error. The render assets are loaded only when
 * there is such a document.
 */
async function checkOperators(deps: Deps, checked: readonly Extract<FileOutcome, { status: 'checked' }>[]): Promise<void> {
  let assets: RenderAssets | undefined;
  for (const outcome of checked) {
    for (const object of outcome.objects) {
      if (object.path.length !== 0 || !isIstioOperator(object.object)) continue;
      if (outcome.findings.some((f) => f.object === object && f.level === 'error')) continue;
      assets ??= await loadAssets(deps);
      const problem = checkOperatorDocument(assets, object.document);
      if (problem) outcome.findings.push({ level: 'error', object, message: problem.message, position: problem.position });
    }
  }
}

async function checkFile(deps: Deps, path: string): Promise<FileOutcome> {
  let name = path;
  let text: string;
  try {
    const [file] = await readInputFiles(deps, [path]);
    name = file!.name;
    text = file!.text;
  } catch (e) {
    return failure(path, 'unreadable', e);
  }
  try {
    // Document by document: each tree is dropped once its objects are checked (src/manifest/compact-docs.ts).
    const { objects, findings } = checkDocuments(compactYamlDocuments(text, name));
    return { name, status: 'checked', objects, findings };
  } catch (e) {
    return failure(name, 'unparseable', e);
  }
}

/** A file that could not be read or parsed; anything thrown becomes a one-line message, never a stack trace. */
function failure(name: string, status: 'unreadable' | 'unparseable', e: unknown): FileOutcome {
  const message = e instanceof DataError ? e.message : `${name}: ${e instanceof Error ? e.message : String(e)}`;
  return { name, status, message };
}

function formatFinding(f: ValidationFinding): string {
  const level = f.level === 'warning' ? 'warning: ' : '';
  const subject = f.object ? `${f.object.label}: ` : '';
  return `${formatPosition(f.position)}: ${level}${subject}${f.message}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
