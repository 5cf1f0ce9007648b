/**
 * Schema validation of parsed YAML documents: finds the objects in each document (List items
 * included), checks each against its schema and returns findings with `file:line:column`.
 * Pure: the CLI (src/cli/validate-impl.ts) reads the files and prints the result.
 */
import type { SourcePosition } from '../errors.js';
import { loadProblem, missingName } from '../manifest/load.js';
import { findNonJson, nonJsonMessage } from '../manifest/json-data.js';
import { positionOf, type SourceDocument } from '../manifest/yaml-docs.js';
import { isIstioOperator, validateIstioOperator, validateSpecTree } from '../render/iop-validate.js';
import { schemaProblems, unknownIstioKindMessage } from './validate-object.js';

/** An object found in a document: the document itself or an item of a List in it. */
export interface CheckedObject {
  document: SourceDocument;
  /** Path of the object inside its document: `[]`, or `['items', 3]` (nested Lists go deeper). */
  path: (string | number)[];
  object: Record<string, unknown>;
  /** `<Kind>/<namespace>/<name>` as istioctl prints it; empty parts stay empty (`Service//web`). */
  label: string;
}

/** `error` makes the file invalid; `warning` is reported and the file still passes. */
export type FindingLevel = 'error' | 'warning';

/** One finding in a file. */
export interface ValidationFinding {
  level: FindingLevel;
  position: SourcePosition;
  /** The object the finding is about; undefined for a document that is not an object at all. */
  object?: CheckedObject;
  message: string;
  /**
   * The document or object cannot be loaded at all (not a map, no apiVersion, kind or name, a
   * workload without a pod template): what `analyze` calls a file it could not parse, exit 65.
   */
  unloadable?: true;
}

/** What checkDocuments returns for one file. */
export interface DocumentsResult {
  /** Every object found, in document order (List items in item order). */
  objects: CheckedObject[];
  /** Schema findings, sorted by position. */
  findings: ValidationFinding[];
}

/**
 * Checks every document of one file and returns the objects found and their findings (errors;
 * schema checks produce no warnings). Per document:
 * - `null` documents (`--- ~`) are skipped, as kubectl does;
 * - a non-map document, or a map without string `apiVersion` and `kind`, is an error at the
 *   document (or item) position: `not a Kubernetes object: apiVersion and kind are not set`,
 *   `kind is not set`, `apiVersion must be a non-empty string, found 1`;
 * - `kind: List` (apiVersion v1) and typed lists (`kind: <X>List`) are not objects themselves: each
 *   item is checked, at `items[i]`; items of a typed list may omit apiVersion and kind, which then
 *   come from the list (`DeploymentList` items are `Deployment`s);
 * - objects with a schema (src/schema/validate-object.ts) get one error per schema problem, at the
 *   offending key (unknown fields) or value; IstioOperator documents get the IstioOperator check
 *   `manifest generate` applies to overlays (src/render/iop-validate.ts);
 * - an object without `metadata.name` (`Deployment has no metadata.name`) or a workload without a
 *   pod template (`Deployment "web": spec.template is null, ...`) is an error and is not checked
 *   further, as `analyze` refuses it (src/manifest/load.ts loadProblem); IstioOperator documents
 *   may omit the name;
 * - findings that mean an object cannot be loaded at all (this one, and the non-objects above) are
 *   marked `unloadable`: `validate` exits 65 for them, as `analyze` does;
 * - other kinds of Istio API groups are errors (`no kind "X" is registered for version ...`);
 * - everything else is accepted unchecked, as istioctl does.
 * Never throws for bad data. `documents` may be a stream (src/manifest/compact-docs.ts): each
 * document is checked whole before the next is read, while its tree is alive.
 */
export function checkDocuments(documents: Iterable<SourceDocument>): DocumentsResult {
  const objects: CheckedObject[] = [];
  const findings: ValidationFinding[] = [];
  for (const document of documents) {
    if (document.data === null || document.data === undefined) continue;
    // A value of a YAML 1.1 tag (`!!binary`, `!!set`, ...) is not JSON data: say so once, at its
    // node, rather than as a wrong type in every schema that meets it; analyze refuses such an
    // object too (src/manifest/load.ts loadProblem), so both exit 65.
    const tagged = findNonJson(document.data);
    if (tagged) {
      findings.push({ level: 'error', position: positionOf(document, tagged.path), message: nonJsonMessage(tagged), unloadable: true });
      continue;
    }
    const first = objects.length;
    collect(document, [], document.data, undefined, objects, findings);
    for (let i = first; i < objects.length; i++) findings.push(...checkObject(objects[i]!));
  }
  findings.sort(byPosition);
  return { objects, findings };
}

/** Real manifests nest Lists once or twice; the bound keeps hostile input from exhausting the stack. */
const MAX_LIST_DEPTH = 32;

/**
 * Typed lists (`DeploymentList`) and `v1 List` hold objects in `items`; they are not objects
 * themselves. A kind that merely ends in "List" but has no `items` is an ordinary object.
 */
function listItemDefaults(data: Record<string, unknown>): { apiVersion?: string; kind?: string } | undefined {
  const { apiVersion, kind } = data;
  if (kind === 'List') return {};
  if (typeof kind !== 'string' || !kind.endsWith('List') || kind === 'List' || !Object.hasOwn(data, 'items')) return undefined;
  return { apiVersion: typeof apiVersion === 'string' ? apiVersion : undefined, kind: kind.slice(0, -'List'.length) };
}

function collect(
  document: SourceDocument, path: (string | number)[], data: unknown,
  inherited: { apiVersion?: string; kind?: string } | undefined,
  objects: CheckedObject[], findings: ValidationFinding[],
): void {
  const at = (message: string, where = path, object?: CheckedObject): void => {
    findings.push({ level: 'error', position: positionOf(document, where), message, object, unloadable: true });
  };
  if (!isRecord(data)) {
    at(`not a Kubernetes object: found ${describeType(data)}`);
    return;
  }
  const listDefaults = listItemDefaults(data);
  if (listDefaults !== undefined) {
    const items = data.items;
    if (items === undefined || items === null) return;
    if (!Array.isArray(items)) {
      at(`${String(data.kind)}: items: Invalid value: "${describeType(items)}": items must be a list`, [...path, 'items']);
      return;
    }
    if (path.length >= 2 * MAX_LIST_DEPTH) {
      at(`${String(data.kind)}: Lists nested more than ${MAX_LIST_DEPTH} deep are not read`);
      return;
    }
    items.forEach((item, i) => {
      if (item !== null) collect(document, [...path, 'items', i], item, listDefaults, objects, findings);
    });
    return;
  }
  let object = data;
  if (inherited && (data.apiVersion === undefined || data.kind === undefined) && (inherited.apiVersion || inherited.kind)) {
    // Typed list items: fill in what the list implies, without changing the caller's data.
    object = { ...data };
    if (object.apiVersion === undefined && inherited.apiVersion) object.apiVersion = inherited.apiVersion;
    if (object.kind === undefined && inherited.kind) object.kind = inherited.kind;
  }
  const unset = (['apiVersion', 'kind'] as const).filter((k) => object[k] === undefined || object[k] === null);
  const wrong = (['apiVersion', 'kind'] as const).filter((k) => !unset.includes(k) && (typeof object[k] !== 'string' || object[k] === ''));
  if (unset.length || wrong.length) {
    const subject = typeof object.kind === 'string' && object.kind !== '' ? `${labelOf(object)}: ` : '';
    const problems = [
      ...(unset.length ? [`${unset.join(' and ')} ${unset.length > 1 ? 'are' : 'is'} not set`] : []),
      ...wrong.map((k) => `${k} must be a non-empty string, found ${JSON.stringify(object[k])}`),
    ];
    at(`${subject}${unset.length === 2 ? 'not a Kubernetes object: ' : ''}${problems.join('; ')}`);
    return;
  }
  const checked: CheckedObject = { document, path, object, label: labelOf(object) };
  // The rule analyze applies to the objects it reads; such an object is not checked further. An
  // IstioOperator is an input to meshctl, not an object applied as it stands, and commonly has no name.
  const problem = isIstioOperator(object) ? undefined : loadProblem(object, String(object.kind));
  if (problem) {
    const named = missingName(object, String(object.kind)) === undefined;
    at(problem.message, [...path, ...problem.path], named ? undefined : checked);
    return;
  }
  objects.push(checked);
}

function checkObject(checked: CheckedObject): ValidationFinding[] {
  const { document, path, object } = checked;
  const error = (message: string, where: (string | number)[], atKey = false): ValidationFinding => ({
    level: 'error', position: positionOf(document, [...path, ...where], atKey), object: checked, message,
  });
  if (isIstioOperator(object)) {
    if (path.length === 0) {
      const result = validateIstioOperator(document);
      return [
        ...result.errors.map((e) => ({ level: 'error' as const, position: e.position, object: checked, message: e.message })),
        ...result.warnings.map((w) => ({ level: 'warning' as const, position: w.position, object: checked, message: w.message })),
      ];
    }
    // An IstioOperator inside a List: the spec check, with paths relative to spec.
    return validateSpecTree(object.spec).map((issue) => error(`spec: ${issue.message}`, ['spec', ...issue.path]));
  }
  const problems = schemaProblems(object);
  if (problems !== undefined) return problems.map((p) => error(p.message, p.path, p.atKey));
  const apiVersion = object.apiVersion as string;
  const unknown = unknownIstioKindMessage(apiVersion, object.kind as string);
  return unknown ? [error(unknown, ['kind'])] : [];
}

/** Returns `<Kind>/<namespace>/<name>` for an object with a string kind. */
export function labelOf(object: Record<string, unknown>): string {
  const meta = isRecord(object.metadata) ? object.metadata : {};
  const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));
  return `${text(object.kind)}/${text(meta.namespace)}/${text(meta.name)}`;
}

function describeType(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'object') return 'a map';
  return `a ${typeof value} (${JSON.stringify(value).slice(0, 40)})`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Orders findings by file position, then errors before warnings, then message. */
export function byPosition(a: ValidationFinding, b: ValidationFinding): number {
  return a.position.line - b.position.line || a.position.column - b.position.column
    || (a.level === b.level ? 0 : a.level === 'error' ? -1 : 1) || a.message.localeCompare(b.message);
}
