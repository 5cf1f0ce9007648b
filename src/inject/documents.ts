/**
 * kube-inject and kube-uninject over a whole input file: a YAML stream or a JSON document. Only the
 * pod templates of registered workload kinds change, and they change by text edits on the source
 * (src/manifest/yaml-edit.ts), so every other byte — other documents, comments, key order,
 * quoting, indentation — comes out as it went in. JSON input gives JSON output.
 *
 * A deliberate difference from istioctl, which writes each workload back through its Go type:
 * that adds the zero values of fields the type always writes (a DaemonSet's `status` counters, a
 * StatefulSet's empty `serviceName`, a DeploymentConfig's `spec.test: false`) and drops optional
 * fields holding zero (`paused: false`). They mean the same to the API server, and keeping the
 * user's text is what makes re-injection and kube-uninject byte-exact, so meshctl does neither.
 */
import { isAlias, isMap, isScalar, isSeq, visit, type YAMLMap, type YAMLSeq } from 'yaml';
import { DataError, type SourcePosition } from '../errors.js';
import { isObject, type Json, type JsonObject } from '../manifest/objects.js';
import { applyEdits, planEdits, type TextEdit } from '../manifest/yaml-edit.js';
import { isJsonFile, parseJsonStrict, parseYamlDocuments, positionOf, yamlDocuments, type SourceDocument } from '../manifest/yaml-docs.js';
import { collectNamespaceLabels } from './ambient.js';
import { podOwner, workloadKind, type ObjectPath, type WorkloadKind } from './kinds.js';
import { mergeKeyOf } from './merge.js';
import { localPods, type PodQueue, type PodQueueFactory } from './pod-queue.js';
import { injectPod, InjectionError, uninjectPod, STATUS_ANNOTATION, type Injector, type PodInput, type PodOutcome, type TemplateRun } from './pod.js';
import { podTemplateProblem, type ShapeProblem } from './shape.js';
import { dottedPath, findNonJson } from '../manifest/json-data.js';

/** A workload whose pod template is not the shape injection needs; `problem.path` is relative to the workload. */
class ShapeError extends Error {
  constructor(readonly problem: ShapeProblem) {
    super(problem.message);
  }
}

/** What happened to one workload, for the report printed after the output. */
export interface WorkloadReport {
  /** Lower-case kind, as kubectl prints it (`deployment`). */
  kind: string;
  /** `namespace/name`; the namespace is `default` when the input names none. */
  name: string;
  action: 'injected' | 'updated' | 'unchanged' | 'skipped' | 'uninjected' | 'not injected';
  /** Why it was skipped. */
  reason?: string;
  /** Things the user should act on (a Job with a classic sidecar, an unknown opt-out value). */
  warnings: string[];
  /** Where the output is equal in meaning but not in form to what a byte-exact round trip would give. */
  notes: string[];
}

/** Result of processing one input file. */
export interface FileResult {
  output: string;
  workloads: WorkloadReport[];
  /** Template executions, in order (for tests that compare with Go's text/template). */
  runs: TemplateRun[];
}

type Path = (string | number)[];

function getIn(value: Json | undefined, path: readonly (string | number)[]): Json | undefined {
  let cur = value;
  for (const step of path) {
    if (Array.isArray(cur) && typeof step === 'number') cur = cur[step];
    else if (isObject(cur) && typeof step === 'string') cur = cur[step];
    else return undefined;
  }
  return cur;
}

function setIn(root: JsonObject, path: ObjectPath, value: Json | undefined): void {
  let cur: JsonObject = root;
  for (const step of path.slice(0, -1)) {
    const next = cur[step];
    if (!isObject(next)) cur[step] = {};
    cur = cur[step] as JsonObject;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

/**
 * Returns a copy of the lists and maps of `value` that shares every other object (bytes, sets,
 * dates of YAML 1.1 tags): structuredClone would turn a `!!binary` Buffer into a plain
 * Uint8Array, and an untouched document would then look changed.
 */
function copyData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => copyData(v));
  if (value === null || typeof value !== 'object') return value;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = copyData((value as Record<string, unknown>)[key]);
    // An own "__proto__" key stays a key (Object.fromEntries kept it so).
    if (key === '__proto__') Object.defineProperty(out, key, { value: v, writable: true, enumerable: true, configurable: true });
    else out[key] = v;
  }
  return out;
}

interface Mode {
  uninject: boolean;
  injector?: Injector;
}

/** Where the workloads of a document are: the document itself, or the items of a `kind: List` (recursively). */
function workloadsIn(data: Json, base: Path, out: { path: Path; kind: WorkloadKind; object: JsonObject }[]): void {
  if (!isObject(data)) return;
  // Like the workload kinds, a List is recognized by its kind whatever its apiVersion.
  if (data.kind === 'List' && Array.isArray(data.items)) {
    data.items.forEach((item, i) => workloadsIn(item, [...base, 'items', i], out));
    return;
  }
  const kind = workloadKind(data.kind);
  if (kind) out.push({ path: base, kind, object: data });
}

/** Fields of the pod template's metadata and spec that injection may have created. */
const CREATED_META = ['labels', 'annotations'];
const CREATED_SPEC = ['initContainers', 'volumes', 'imagePullSecrets'];

/**
 * How the input wrote its collections, so that uninject can tell a collection injection created
 * from one the user wrote. YAML answers from the parsed document; JSON has one style (flow) and
 * the key order of its text.
 */
interface SourceShape {
  /** The style of the collection at a document path; undefined for a scalar, an alias or nothing. */
  style(p: Path): 'block' | 'flow' | undefined;
  /** The keys of the map at a document path, in source order. */
  keys(p: Path): string[];
  /**
   * Notes on the collections in `value` (the restored value at document path `p`) that equal an
   * anchored node of the document: injection writes out an alias in a pod template it changes,
   * and uninject cannot tell whether the user wrote one. (A merged `<<` is too common a pattern
   * to guess at: pod labels usually hold the selector's; kube-inject reports those instead.)
   */
  anchorNotes(p: Path, value: Json): string[];
}

/** The report of a workload before anything happened to it: kind and `namespace/name`. */
function newReport(kind: WorkloadKind, object: JsonObject): WorkloadReport {
  const metadata = isObject(object.metadata) ? object.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : '';
  return { kind: kind.kind.toLowerCase(), name: `${namespace || 'default'}/${name}`, action: 'unchanged', warnings: [], notes: [] };
}

/**
 * What injectPod is given for a workload: its pod template and the workload identity templates
 * see. Throws ShapeError when the pod template is not the shape injection needs.
 */
function injectionInput(kind: WorkloadKind, object: JsonObject): PodInput {
  const metadata = isObject(object.metadata) ? object.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : '';
  const metaValue = getIn(object, kind.podMeta);
  const specValue = getIn(object, kind.podSpec);
  const meta = isObject(metaValue) ? metaValue : {};
  const spec = isObject(specValue) ? specValue : {};
  const problem = nonJsonProblem(kind, meta, spec) ?? podTemplateProblem(kind, object);
  if (problem) throw new ShapeError(problem);
  // The workload identity templates see (istioctl's IntoObject): a Pod's comes from its owner
  // references; any other workload is itself, with the apiVersion the document gives.
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const owner = kind.kind === 'Pod' ? podOwner(meta) : { name, namespace, apiVersion, kind: kind.kind };
  return {
    typeMeta: { apiVersion: owner.apiVersion, kind: owner.kind },
    workload: { name: owner.name, namespace: owner.namespace },
    meta,
    spec,
  };
}

/**
 * Writes an injection's outcome for the workload at `path` into `target` (a copy of the document)
 * and returns the workload's report.
 */
function injectedWorkload(target: JsonObject, path: Path, kind: WorkloadKind, object: JsonObject, input: PodInput, outcome: PodOutcome, runs: TemplateRun[]): WorkloadReport {
  const report = newReport(kind, object);
  if (outcome.action === 'skipped') {
    report.action = 'skipped';
    report.reason = outcome.detail ? `${outcome.reason} (${outcome.detail})` : outcome.reason;
    return report;
  }
  const holder = getIn(target, path) as JsonObject;
  runs.push(...outcome.runs);
  setIn(holder, kind.podMeta, outcome.meta);
  setIn(holder, kind.podSpec, outcome.spec);
  report.warnings = outcome.warnings;
  // Only a pod injected before can come out unchanged; the comparison costs two copies of its text.
  const same = () => JSON.stringify(outcome.meta) === JSON.stringify(input.meta) && JSON.stringify(outcome.spec) === JSON.stringify(input.spec);
  report.action = outcome.previouslyInjected ? (same() ? 'unchanged' : 'updated') : 'injected';
  return report;
}

/**
 * Processes one workload; writes the new pod metadata/spec into `target` (a copy of the document)
 * and returns its report.
 */
function processWorkload(mode: Mode, target: JsonObject, path: Path, kind: WorkloadKind, object: JsonObject, shape: SourceShape, runs: TemplateRun[]): WorkloadReport {
  if (!mode.uninject) {
    const input = injectionInput(kind, object);
    return injectedWorkload(target, path, kind, object, input, injectPod(mode.injector!, input), runs);
  }
  const report = newReport(kind, object);
  const metaValue = getIn(object, kind.podMeta);
  const specValue = getIn(object, kind.podSpec);
  const meta = isObject(metaValue) ? metaValue : {};
  const spec = isObject(specValue) ? specValue : {};
  const metaPath = [...path, ...kind.podMeta];
  const specPath = [...path, ...kind.podSpec];
  const holder = getIn(target, path) as JsonObject;
  if (!isObject(meta.annotations) || !(STATUS_ANNOTATION in meta.annotations)) {
    report.action = 'not injected';
    return report;
  }
  const result = uninjectPod(meta, spec);
  dropCreated(result.meta, CREATED_META, metaPath, shape);
  dropCreated(result.spec, CREATED_SPEC, specPath, shape);
  setIn(holder, kind.podSpec, result.spec);
  setIn(holder, kind.podMeta, result.meta);
  const metaParent = kind.podMeta.slice(0, -1);
  const metaParentValue = getIn(holder, metaParent);
  if (isObject(metaParentValue)) dropCreated(metaParentValue, [kind.podMeta[kind.podMeta.length - 1]!], [...path, ...metaParent], shape);
  report.action = 'uninjected';
  report.notes = [...result.notes, ...shape.anchorNotes(metaPath, result.meta), ...shape.anchorNotes(specPath, result.spec)];
  return report;
}

/**
 * A value in the pod template that is not JSON data (`!!binary`, `!!set`, `!!omap`, a timestamp):
 * the injection templates and the API server read pods as JSON, so it cannot be injected.
 */
function nonJsonProblem(kind: WorkloadKind, meta: JsonObject, spec: JsonObject): ShapeProblem | undefined {
  for (const [base, value] of [[kind.podMeta, meta], [kind.podSpec, spec]] as const) {
    const found = findNonJson(value);
    if (!found) continue;
    const path = [...base, ...found.path];
    return { path, message: `${dottedPath(path)} is ${found.what}; a pod template holds only text, numbers, true/false, null, lists and maps, so it cannot be injected (quote the value, or write a list or map)` };
  }
  return undefined;
}

/**
 * Deletes from `holder` (a map uninject emptied parts of) the empty collections among `fields`
 * that injection created. Where injection creates a collection, the edit planner
 * (src/manifest/yaml-edit.ts) writes it in block style in a block map, and appends it after the
 * last key of a flow map (or JSON object); an empty `{}`/`[]` the user wrote stays flow when
 * filled, and a null one becomes what fills it, in place. So an emptied collection goes when it
 * is block and ends its map, or when it ends a flow map (no key the user wrote follows it); a block
 * one that a user's key follows was null. An empty `{}` or a null the user wrote at the end of a
 * map looks the same as a created one, which kube-inject reports (see roundTripNote).
 */
function dropCreated(holder: JsonObject, fields: readonly string[], holderPath: Path, shape: SourceShape): void {
  const parentFlow = shape.style(holderPath) === 'flow';
  let trailing = true;
  const order = shape.keys(holderPath);
  for (let i = order.length - 1; i >= 0; i--) {
    const key = order[i]!;
    const value = holder[key];
    if (value === undefined) continue;
    if (fields.includes(key) && isEmptyCollection(value)) {
      const style = shape.style([...holderPath, key]);
      if (style === 'block' && !trailing && !parentFlow) {
        // Injection appends what it creates after the map's last key: an emptied block collection
        // that a key the user wrote follows replaced the user's null (`annotations:` with no value).
        holder[key] = null;
      } else if (style === 'block' || (style === 'flow' && parentFlow && trailing)) {
        delete holder[key];
        continue;
      }
    }
    trailing = false;
  }
}

function isEmptyCollection(v: Json): boolean {
  return (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);
}

/** Turns an injection failure into a DataError at the position of its cause. */
function failure(e: unknown, src: SourceDocument | undefined, file: string, base: Path, kind: WorkloadKind, object: JsonObject): Error {
  if (!(e instanceof InjectionError) && !(e instanceof ShapeError)) return e as Error;
  const meta = object.metadata;
  const label = `${kind.kind.toLowerCase()} "${isObject(meta) && typeof meta.name === 'string' ? meta.name : ''}"`;
  let pos: SourcePosition = { file, line: 1, column: 1 };
  if (src && e instanceof ShapeError) {
    pos = positionOf(src, [...base, ...e.problem.path], false);
  } else if (src && e instanceof InjectionError) {
    const rel = e.path ?? [];
    const full = rel[0] === 'spec' ? [...base, ...kind.podSpec, ...rel.slice(1)] : [...base, ...kind.podMeta, ...rel];
    pos = positionOf(src, full, false);
  }
  return new DataError(`${label}: ${e.message}`, pos);
}

/** At most this many anchor notes per workload: one per written-out alias is enough to see the pattern. */
const MAX_ANCHOR_NOTES = 3;

function yamlShape(src: SourceDocument): SourceShape {
  const doc = src.doc;
  let anchors: { name: string; node: unknown; value: string | undefined }[] | undefined;
  const anchored = () => {
    if (anchors) return anchors;
    anchors = [];
    const found = anchors;
    const collect = (_: unknown, node: YAMLMap | YAMLSeq) => {
      if (node.anchor) found.push({ name: node.anchor, node, value: JSON.stringify(node.toJS(doc, { maxAliasCount: 1000 })) });
    };
    visit(doc, { Map: collect, Seq: collect });
    return anchors;
  };
  return {
    anchorNotes: (base, value) => {
      const list = anchored();
      if (list.length === 0) return [];
      const notes: string[] = [];
      const walk = (v: Json, p: Path): void => {
        if (notes.length >= MAX_ANCHOR_NOTES || !(Array.isArray(v) || isObject(v))) return;
        const node = doc.getIn(p, true);
        if (isAlias(node)) return;
        const json = JSON.stringify(v);
        const a = list.find((x) => x.node !== node && x.value === json);
        if (a) {
          const pos = positionOf(src, p, false);
          notes.push(`${pos.file}:${pos.line}:${pos.column}: ${String(p[p.length - 1])} equals anchor &${a.name}; if it was *${a.name} before kube-inject, it comes back written out`);
          return;
        }
        if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
        else for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
      };
      walk(value, base);
      return notes;
    },
    style: (p) => {
      const node = doc.getIn(p, true);
      return isMap(node) || isSeq(node) ? (node.flow ? 'flow' : 'block') : undefined;
    },
    keys: (p) => {
      const node = doc.getIn(p, true);
      return isMap(node) ? node.items.flatMap((pair) => (isScalar(pair.key) && typeof pair.key.value === 'string' ? [pair.key.value] : [])) : [];
    },
  };
}

function jsonShape(data: Json): SourceShape {
  return {
    anchorNotes: () => [],
    style: (p) => {
      const v = getIn(data, p);
      return Array.isArray(v) || isObject(v) ? 'flow' : undefined;
    },
    keys: (p) => {
      const v = getIn(data, p);
      return isObject(v) ? Object.keys(v) : [];
    },
  };
}

/**
 * True when a file not named `.json` is JSON, so the output stays JSON: its first non-space
 * character is `{` or `[` and the whole text parses as JSON. Flow-style YAML that starts the same
 * way but is not JSON (`{kind: Pod, ...}`) is YAML.
 */
function looksLikeJson(text: string): boolean {
  const m = /^\s*(\S)/.exec(text);
  if (m === null || (m[1] !== '{' && m[1] !== '[')) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The JSON text read as YAML (JSON is YAML), only to position an error; undefined if that fails. */
function jsonSource(text: string, file: string): SourceDocument | undefined {
  try {
    return parseYamlDocuments(text, file)[0];
  } catch {
    return undefined;
  }
}

function processJson(mode: Mode, text: string, file: string): FileResult {
  const data = parseJsonStrict(text, file) as Json;
  const found: { path: Path; kind: WorkloadKind; object: JsonObject }[] = [];
  workloadsIn(data, [], found);
  const result: FileResult = { output: text, workloads: [], runs: [] };
  if (!found.length || !isObject(data)) return result;
  const target = copyData(data) as JsonObject;
  for (const w of found) {
    try {
      result.workloads.push(processWorkload(mode, target, w.path, w.kind, w.object, jsonShape(data), result.runs));
    } catch (e) {
      throw failure(e, jsonSource(text, file), file, w.path, w.kind, w.object);
    }
  }
  if (JSON.stringify(target) === JSON.stringify(data)) return result;
  result.output = jsonText(target, text);
  return result;
}

/** Returns `value` as JSON laid out as `like` is: its indentation and final line break. */
function jsonText(value: unknown, like: string): string {
  const indentMatch = /\n([ \t]+)\S/.exec(like);
  const indent = indentMatch ? indentMatch[1]! : '';
  return JSON.stringify(value, null, indent) + (like.endsWith('\n') ? '\n' : '');
}

function process(mode: Mode, text: string, file: string, queue: PodQueueFactory = localPods): FileResult {
  if (looksLikeJson(text) || (isJsonFile(file) && text.trim() !== '')) return processJson(mode, text, file);
  const result: FileResult = { output: text, workloads: [], runs: [] };
  const edits: TextEdit[] = [];
  // Document by document: only the text edits outlive a document, not its tree, which costs
  // about 28 times its text (a 5,000-workload file held all of them at once). With the worker
  // (src/cli/inject-workers.ts), the documents whose pods are on it wait, at most a few dozen.
  // After a workload fails, the rest is still parsed: as when every document was parsed first, a
  // syntax error anywhere in the file is what is reported.
  let failed: { error: unknown } | undefined;
  const pods = mode.uninject ? undefined : queue(mode.injector!, text.length);
  const waiting: PendingDocument[] = [];
  try {
    const docs = yamlDocuments(text, file);
    for (let next = docs.next(); !next.done; next = docs.next()) {
      if (failed) continue;
      try {
        if (!pods) {
          processDocument(mode, text, next.value, result, edits);
          continue;
        }
        const started = startDocument(next.value, pods);
        if (started) waiting.push(started);
        while (waiting.length && (pods.full || !waiting[0]!.workloads[0]!.input || pods.answered())) finishDocument(text, waiting.shift()!, pods, result, edits);
      } catch (error) {
        failed = { error };
      }
    }
    if (failed) throw failed.error;
    while (pods && waiting.length) finishDocument(text, waiting.shift()!, pods, result, edits);
  } finally {
    pods?.close();
  }
  if (edits.length) result.output = applyEdits(text, edits);
  return result;
}

/** A document whose pods were handed to injection, with each workload's input or the failure that stopped it. */
interface PendingDocument {
  src: SourceDocument;
  workloads: { path: Path; kind: WorkloadKind; object: JsonObject; input?: PodInput; error?: unknown }[];
}

/**
 * Submits the pods of a document's workloads, up to the first that cannot be injected (whose
 * failure finishDocument throws in its turn). Undefined for a document without workloads.
 */
function startDocument(src: SourceDocument, pods: PodQueue): PendingDocument | undefined {
  const found: { path: Path; kind: WorkloadKind; object: JsonObject }[] = [];
  workloadsIn(src.data as Json, [], found);
  if (!found.length) return undefined;
  const workloads: PendingDocument['workloads'] = [];
  for (const w of found) {
    try {
      const input = injectionInput(w.kind, w.object);
      pods.submit(input);
      workloads.push({ ...w, input });
    } catch (error) {
      workloads.push({ ...w, error });
      break;
    }
  }
  return { src, workloads };
}

/** Takes the outcomes of a started document's pods; adds their reports to `result` and the text edits to `edits`. */
function finishDocument(text: string, pending: PendingDocument, pods: PodQueue, result: FileResult, edits: TextEdit[]): void {
  const { src } = pending;
  const target = copyData(src.data) as JsonObject;
  let changed = false;
  for (const w of pending.workloads) {
    try {
      if (!w.input) throw w.error;
      const report = injectedWorkload(target, w.path, w.kind, w.object, w.input, pods.next(), result.runs);
      // These always change the pod's annotations (the status one is added or rewritten).
      changed ||= report.action === 'injected' || report.action === 'updated';
      result.workloads.push(report);
    } catch (e) {
      throw failure(e, src, src.file, w.path, w.kind, w.object);
    }
  }
  planDocumentEdits(text, src, target, changed, edits);
}

/** Processes the workloads of one YAML document; adds their reports to `result` and the text edits to `edits`. */
function processDocument(mode: Mode, text: string, src: SourceDocument, result: FileResult, edits: TextEdit[]): void {
  const found: { path: Path; kind: WorkloadKind; object: JsonObject }[] = [];
  workloadsIn(src.data as Json, [], found);
  if (!found.length) return;
  const target = copyData(src.data) as JsonObject;
  const shape = yamlShape(src);
  let changed = false;
  for (const w of found) {
    try {
      const report = processWorkload(mode, target, w.path, w.kind, w.object, shape, result.runs);
      // These always change the pod's annotations (the status one is added, rewritten or removed).
      changed ||= report.action === 'injected' || report.action === 'updated' || report.action === 'uninjected';
      result.workloads.push(report);
    } catch (e) {
      throw failure(e, src, src.file, w.path, w.kind, w.object);
    }
  }
  planDocumentEdits(text, src, target, changed, edits);
}

/** Adds the text edits that turn a document into `target` to `edits`, unless nothing `changed` and `target` equals its data. */
function planDocumentEdits(text: string, src: SourceDocument, target: JsonObject, changed: boolean, edits: TextEdit[]): void {
  if (!changed && JSON.stringify(target) === JSON.stringify(src.data)) return;
  try {
    for (const edit of planEdits(text, src.doc, target, { mergeKey: (path) => mergeKeyOf(path[path.length - 1]) })) edits.push(edit);
  } catch (e) {
    // A value the planner cannot write (an anchored `!!binary` node an alias must keep, say).
    if (!(e instanceof TypeError || e instanceof RangeError)) throw e;
    throw new DataError(`cannot rewrite this document: ${e.message}`, positionOf(src, [], false));
  }
}

/**
 * Injects the sidecar into every workload of a file's text. Returns the new text (unchanged bytes
 * outside the edited pod templates), one report entry per workload and the template runs. Throws
 * DataError with `file:line:column` on a syntax error or a workload that cannot be injected; then
 * nothing of the file is returned. `queue` makes the queue of the file's pods: by default each is
 * injected when its document is read; the CLI may inject a large file's pods on a worker thread
 * (src/cli/inject-workers.ts). The result is the same either way.
 */
export function injectFile(injector: Injector, text: string, file: string, queue: PodQueueFactory = localPods): FileResult {
  const result = process({ uninject: false, injector }, text, file, queue);
  // The promise is uninject(inject(x)) === x; where the output cannot keep it, say so now, while
  // the input is at hand (kube-uninject only sees the injected text).
  const first = result.workloads.find((w) => w.action === 'injected');
  if (first && !result.workloads.some((w) => w.action === 'updated' || w.action === 'unchanged') && mayNotRoundTrip(text, file)) {
    const note = roundTripNote(text, result.output, file);
    if (note) first.notes.push(note);
  }
  return result;
}

/** Text that an alias, a merge key or an empty pod template collection may keep from coming back byte for byte. */
const MAY_NOT_ROUND_TRIP = [
  /(?:^|[\s,[{:-])\*[^\s,\]}]/m,
  /<<\s*:/,
  /\b(?:labels|annotations|volumes|initContainers|imagePullSecrets|metadata)"?\s*:\s*(?:\{\s*\}|\[\s*\])/,
  // The same fields null: in a flow map or JSON object, or `key:` (or `null`, `~`) with no more
  // indented line or `-` item after it.
  /\b(?:labels|annotations|volumes|initContainers|imagePullSecrets|metadata)"?\s*:\s*(?:null|Null|NULL|~)\s*[,}\]]/,
  /^([ \t]*)(?:labels|annotations|volumes|initContainers|imagePullSecrets|metadata)[ \t]*:[ \t]*(?:null|Null|NULL|~)?[ \t]*(?:#.*)?(?:\r?\n(?!\1(?:[ \t]|-(?:[ \t]|\r?$)))|(?![\s\S]))/m,
];

/**
 * True when the round trip of `text` may not be exact, so that it is worth checking (an
 * uninject pass costs about half an injection): it holds an alias, a merge key or an empty
 * collection where injection creates one, or it is JSON laid out otherwise than JSON.stringify.
 * Named probe ports, the other known case, kube-uninject reports itself.
 */
function mayNotRoundTrip(text: string, file: string): boolean {
  if (MAY_NOT_ROUND_TRIP.some((re) => re.test(text))) return true;
  if (!looksLikeJson(text) && !isJsonFile(file)) return false;
  try {
    return jsonText(JSON.parse(text.replace(/^\uFEFF/, '')), text) !== text;
  } catch {
    return false;
  }
}

/** Why a line of the input does not come back from kube-uninject, from what the line holds. */
const ROUND_TRIP_REASONS: ReadonlyArray<[RegExp, string]> = [
  [/<<\s*:/, 'a merge key (<<) whose merged values injection changes is written out'],
  [/(^|[\s,[{:-])\*[^\s,\]}]+/, 'an alias in a changed pod template is written out'],
  [/:\s*(?:null|Null|NULL|~)\s*[,}\]]/, 'a null field in a flow map comes back as the empty collection injection filled in'],
  [/port:/, 'a named probe port comes back as its number'],
  [/(\{\s*\}|\[\s*\])/, 'an empty {} or [] at the end of a flow map reads as one kube-inject added'],
  [/:[ \t]*(?:null|Null|NULL|~)?[ \t]*(?:#.*)?\r?$/, 'a field left null at the end of its map reads as one kube-inject added'],
];

/**
 * Returns a report note when kube-uninject of `output` would not give back `input` byte for byte:
 * `file:line:column` of the first difference, what the input holds there, what comes back, and
 * why where the line shows it. Undefined when the round trip is exact.
 */
function roundTripNote(input: string, output: string, file: string): string | undefined {
  let back: string;
  try {
    back = uninjectFile(output, file).output;
  } catch (e) {
    return `kube-uninject cannot read this output back (${(e as Error).message})`;
  }
  if (back === input) return undefined;
  const a = input.split('\n');
  const b = back.split('\n');
  let line = 0;
  while (line < a.length - 1 && line < b.length - 1 && a[line] === b[line]) line++;
  const was = a[line] ?? '';
  const now = b[line] ?? '';
  let col = 0;
  while (col < was.length && was[col] === now[col]) col++;
  const clip = (s: string): string => {
    const from = Math.max(0, col - 20);
    const part = s.slice(from, from + 60).trim();
    return JSON.stringify(`${from > 0 ? '...' : ''}${part}${s.length > from + 60 ? '...' : ''}`);
  };
  const json = looksLikeJson(input) || isJsonFile(file);
  const relaidOut = json && jsonText(JSON.parse(input.replace(/^\uFEFF/, '')), input) !== input;
  const reason = relaidOut ? 'JSON output is laid out anew, with the indentation of the input' : ROUND_TRIP_REASONS.find(([re]) => re.test(was) || (json && re.test(input)))?.[1];
  return `${file}:${line + 1}:${col + 1}: kube-uninject will not give this file back byte for byte: ${clip(was)} comes back as ${clip(now)}${reason ? ` (${reason})` : ''}`;
}

/**
 * Adds the labels of the Namespace documents of a file's text (top level or in a `kind: List`) to
 * `into`, by name: kube-inject reads them before injecting any file, so a Namespace labelled for
 * ambient mode keeps the sidecar out of its pods wherever the files put them. Text that does not
 * parse adds nothing here (injectFile reports it, with its position).
 */
export function collectFileNamespaces(text: string, file: string, into: Map<string, Record<string, string>>): void {
  if (!/\bNamespace\b/.test(text)) return;
  try {
    if (looksLikeJson(text) || (isJsonFile(file) && text.trim() !== '')) {
      collectNamespaceLabels(parseJsonStrict(text, file) as Json, into);
      return;
    }
    // Document by document (no trees held), into a map of its own: a file that does not parse adds nothing.
    const found = new Map<string, Record<string, string>>();
    for (const src of yamlDocuments(text, file)) collectNamespaceLabels(src.data as Json, found);
    for (const [name, labels] of found) into.set(name, labels);
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
  }
}

/**
 * Removes the injection from every workload of a file's text, using what
 * `sidecar.istio.io/status` recorded. Same contract as injectFile.
 */
export function uninjectFile(text: string, file: string): FileResult {
  return process({ uninject: true }, text, file);
}

/** Formats one report line: `deployment "default/web" injected`, `... skipped: host networking enabled`. */
export function formatReportLine(w: WorkloadReport): string {
  const head = `${w.kind} "${w.name}" ${w.action}${w.reason ? `: ${w.reason}` : ''}`;
  const lines = [head, ...w.warnings.map((x) => `  warning: ${x}`), ...w.notes.map((x) => `  note: ${x}`)];
  return lines.join('\n');
}
