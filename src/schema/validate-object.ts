/**
 * Strict schema validation of single Kubernetes objects, worded the way the API server words it.
 *
 * The validators are precompiled ajv standalone code (scripts/gen-k8s-schemas.mjs):
 * - core kinds (apps/v1 Deployment, StatefulSet, DaemonSet, ReplicaSet; batch/v1 Job, CronJob;
 *   v1 Pod, Service, Namespace, ConfigMap, ServiceAccount, Secret) from @kubernetes/client-node's
 *   model metadata (Kubernetes 1.34 API);
 * - every served version of the 15 Istio 1.30.3 CRDs, from their openAPIV3Schema (CEL rules in
 *   `x-kubernetes-validations` are not evaluated).
 * Unknown fields are errors everywhere a schema has fixed fields, as with `kubectl apply
 * --validate=strict` (and unlike `istioctl validate` before 1.30, istio/istio#24860).
 *
 * The generated modules are small tables; their code (1.06 MB of ajv output) is read from
 * `schema-validators.txt` on the first validation and compiled declaration by declaration as
 * objects reach it (src/schema/lazy-validators.ts): the 27 Bookinfo objects compile ~220 KB of it,
 * in ~13 ms (Node 20, a loaded 2-core machine). After that a valid object takes a few microseconds
 * (50,000 objects: ~0.2 s) and allocates nothing beyond ajv's own bookkeeping. Messages are built
 * only for invalid objects.
 */
import type { ErrorObject } from 'ajv';
import { istioKinds } from '../generated/istio-validators.js';
import { coreValidators, type SchemaValidateFunction } from '../generated/k8s-validators.js';
import { editDistance } from '../text/edit-distance.js';

/** One schema violation in an object. */
export interface SchemaProblem {
  /**
   * Path from the object's root to the offending node: map keys and list indices. For an unknown
   * field it ends with that field; for a missing required field it ends with the missing name
   * (positions fall back to the map that should hold it).
   */
  path: (string | number)[];
  /** kubectl-style text, e.g. `unknown field "spec.replicass"` or `spec.replicas: Invalid value: ...`. */
  message: string;
  /** True when a position should point at the key rather than the value (unknown fields). */
  atKey: boolean;
}

/** Validators by `<apiVersion>/<kind>`, built once at load: core kinds plus every served Istio version. */
const validators: ReadonlyMap<string, SchemaValidateFunction> = new Map([
  ...Object.entries(coreValidators),
  ...istioKinds.flatMap((k) => k.versions.map((v) => [`${k.group}/${v}/${k.kind}`, k.validate] as const)),
]);

/**
 * Kinds of Istio API groups meshctl knows although they have no CRD schema here: the IstioOperator
 * is checked by src/render/iop-validate.ts (the check `manifest generate` applies to overlays).
 */
const OTHER_ISTIO_KINDS: readonly { group: string; kind: string; versions: readonly string[] }[] = [
  { group: 'install.istio.io', kind: 'IstioOperator', versions: ['v1alpha1'] },
];

/**
 * Returns true when meshctl has a schema for objects of `apiVersion` (`<group>/<version>`, or `v1`)
 * and `kind` (case-sensitive, as in Kubernetes). Core kinds are known at their GA version only
 * (`apps/v1` Deployment, not `extensions/v1beta1`); Istio kinds at every version their CRD serves.
 */
export function hasSchema(apiVersion: string, kind: string): boolean {
  return validators.has(`${apiVersion}/${kind}`);
}

/**
 * Returns the schema problems of one object, in the order ajv finds them (schema order, not
 * document order): an empty array when it is valid, `undefined` when meshctl has no schema for its
 * apiVersion and kind (including objects without string apiVersion/kind, and non-objects). Never
 * throws for bad data.
 *
 * One problem per offending node; errors inside oneOf/anyOf alternatives and `not` are folded into
 * the error of the combinator itself. Null values count as unset, as the API server prunes them
 * (and Go's decoder ignores them). Messages follow the API server's field errors:
 * `unknown field "spec.replicass"`, `spec.replicas: Invalid value: "string": spec.replicas in body
 * must be of type integer`, `spec.template.spec.containers[0].name: Required value`,
 * `spec.tls.mode: Unsupported value: "STRICTT": supported values: "DISABLE", "SIMPLE", ...`,
 * `spec.lua: Forbidden: only one of "wasm" and "lua" may be set` (Istio's proto oneofs).
 * Values under a Secret's `data` and `stringData` are never shown (`Invalid value: <redacted>`).
 * For a List, call it once per item: paths are relative to the object passed.
 */
export function schemaProblems(object: unknown): SchemaProblem[] | undefined {
  if (!isRecord(object)) return undefined;
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const validate = validators.get(`${apiVersion}/${kind}`);
  if (validate === undefined) return undefined;
  // Validate what the API server validates: the object with its null map entries pruned, so a
  // required field set to null (`template: null`) is as missing as one left out.
  const pruned = withoutNullEntries(object);
  if (validate(pruned)) return [];
  const secret = apiVersion === 'v1' && kind === 'Secret';
  return describeErrors(pruned, validate.errors ?? [], secret);
}

/**
 * Returns `value` without the map entries whose value is null, at every depth (list items that
 * are null stay: the API server does not prune them). Returns the very same object when it has
 * no null entry, so the common case copies nothing.
 */
function withoutNullEntries<T>(value: T): T {
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((item, i) => {
      const next = withoutNullEntries(item);
      if (next !== item) (out ??= [...value])[i] = next;
    });
    return (out ?? value) as T;
  }
  if (!isRecord(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    if (v === null) {
      out ??= { ...value };
      delete out[k];
      continue;
    }
    const next = withoutNullEntries(v);
    if (next !== v) (out ??= { ...value })[k] = next;
  }
  return (out ?? value) as T;
}

/**
 * Returns the error for an object whose apiVersion is in an Istio API group (`*.istio.io`) but
 * names a kind or version Istio 1.30.3 does not serve, in the API machinery's words with a hint:
 * `no kind "VirtualServce" is registered for version "networking.istio.io/v1" (did you mean
 * "VirtualService"?)`, `no kind "Gateway" is registered for version "networking.istio.io/v9"
 * (served versions: v1, v1alpha3, v1beta1)`. Returns undefined for known kinds and for every
 * other group (those are accepted silently, as istioctl does).
 */
export function unknownIstioKindMessage(apiVersion: string, kind: string): string | undefined {
  const slash = apiVersion.indexOf('/');
  if (slash < 0) return undefined;
  const group = apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  if (group !== 'istio.io' && !group.endsWith('.istio.io')) return undefined;
  const known = [...istioKinds, ...OTHER_ISTIO_KINDS].filter((k) => k.group === group);
  const same = known.find((k) => k.kind === kind);
  if (same?.versions.includes(version)) return undefined;
  const base = `no kind "${kind}" is registered for version "${apiVersion}"`;
  if (same) return `${base} (served versions: ${same.versions.join(', ')})`;
  const close = known.find((k) => k.kind.toLowerCase() === kind.toLowerCase() || editDistance(k.kind.toLowerCase(), kind.toLowerCase()) <= 2);
  if (close) return `${base} (did you mean "${close.kind}"?)`;
  if (known.length) return `${base} (kinds of ${group}: ${known.map((k) => k.kind).sort().join(', ')})`;
  return `${base} (no Istio API group "${group}")`;
}

/** Formats an object path the way field errors show it: `spec.ports[0].name`, `metadata.labels[app.kubernetes.io/name]`. */
export function formatFieldPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${seg}]`;
  }
  return out || '<root>';
}

const PLAIN_KEY = /^[^.[\]\s/]+$/;

/** Errors below these schema nodes only explain why a combinator failed; the combinator's own error stands for them. */
const INSIDE_COMBINATOR = /\/(?:oneOf|anyOf)\/\d+\/|\/not\//;
/** The rewritten proto-oneof constraint: `.../dependencies/<set field>/properties/<conflicting field>/false schema`. */
const ONEOF_CONFLICT = /\/dependencies\/([^/]+)\/properties\/[^/]+\/false schema$/;

function describeErrors(object: Record<string, unknown>, errors: readonly ErrorObject[], secret: boolean): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const err of errors) {
    if (INSIDE_COMBINATOR.test(err.schemaPath)) continue;
    const path = instancePath(object, err.instancePath);
    const value = valueAt(object, path);
    const problem = describeError(err, path, value, object, secret && (path[0] === 'data' || path[0] === 'stringData'));
    if (problem === undefined) continue;
    const key = `${problem.atKey ? 'k' : 'v'}${JSON.stringify(problem.path)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(problem);
  }
  return out;
}

function describeError(
  err: ErrorObject, path: (string | number)[], value: unknown, object: Record<string, unknown>, redact: boolean,
): SchemaProblem | undefined {
  const params = err.params as Record<string, unknown>;
  if (err.keyword === 'additionalProperties') {
    const fieldPath = [...path, String(params.additionalProperty)];
    return { path: fieldPath, message: `unknown field "${formatFieldPath(fieldPath)}"`, atKey: true };
  }
  if (err.keyword === 'required') {
    const fieldPath = [...path, String(params.missingProperty)];
    return { path: fieldPath, message: `${formatFieldPath(fieldPath)}: Required value`, atKey: false };
  }
  // null means unset (the API server prunes nulls before validating).
  if (value === null) return undefined;
  const at = formatFieldPath(path);
  const shown = redact ? REDACTED : show(value);
  const invalid = (detail: string): SchemaProblem => ({ path, message: `${at}: Invalid value: ${shown}: ${at} in body ${detail}`, atKey: false });
  const limit = params.limit as number;
  switch (err.keyword) {
    case 'type': {
      const types = Array.isArray(params.type) ? params.type.map(String) : String(params.type).split(',');
      return { path, message: `${at}: Invalid value: ${redact ? REDACTED : `"${jsonType(value)}"`}: ${at} in body must be of type ${types.join(' or ')}`, atKey: false };
    }
    case 'enum':
    case 'const': {
      const allowed = err.keyword === 'enum' ? (params.allowedValues as unknown[]) : [params.allowedValue];
      return { path, message: `${at}: Unsupported value: ${shown}: supported values: ${allowed.map((v) => JSON.stringify(v)).join(', ')}`, atKey: false };
    }
    case 'format':
      return invalid(`must be of type ${String(params.format)}`);
    case 'pattern':
      return invalid(`should match '${String(params.pattern)}'`);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return invalid(`should be ${COMPARISON[String(params.comparison)] ?? String(params.comparison)} ${limit}`);
    case 'maxLength':
      return { path, message: `${at}: Too long: may not be longer than ${limit} characters`, atKey: false };
    case 'minLength':
      return invalid(`should be at least ${limit} chars long`);
    case 'maxItems':
    case 'maxProperties':
      return { path, message: `${at}: Too many: ${count(value)}: must have at most ${limit} ${err.keyword === 'maxItems' ? 'items' : 'entries'}`, atKey: false };
    case 'minItems':
      return invalid(`should have at least ${limit} items`);
    case 'minProperties':
      return invalid(`should have at least ${limit} properties`);
    case 'uniqueItems':
      return { path, message: `${at}: Duplicate value: ${redact ? REDACTED : show(Array.isArray(value) ? value[params.j as number] : value)}`, atKey: false };
    case 'false schema': {
      const conflict = ONEOF_CONFLICT.exec(err.schemaPath);
      if (!conflict) return { path, message: `${at}: Forbidden: may not be set`, atKey: true };
      const other = conflict[1]!.replace(/~1/g, '/').replace(/~0/g, '~');
      // A null alternative is unset too.
      if (valueAt(object, [...path.slice(0, -1), other]) === null) return undefined;
      return { path, message: `${at}: Forbidden: only one of "${other}" and "${String(path[path.length - 1])}" may be set`, atKey: true };
    }
    case 'oneOf':
      return invalid('must validate one and only one schema (oneOf)');
    case 'anyOf':
      return invalid('must validate at least one schema (anyOf)');
    case 'not':
      return invalid('must not validate the schema (not)');
    default:
      return invalid(`fails the schema's "${err.keyword}" rule`);
  }
}

const REDACTED = '<redacted>';

const COMPARISON: Record<string, string> = {
  '>=': 'greater than or equal to',
  '<=': 'less than or equal to',
  '>': 'greater than',
  '<': 'less than',
};

/** Shows a value the way field errors do: strings quoted (cut at 64 characters), numbers and booleans bare, containers by type. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `"${jsonType(value)}"`;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function count(value: unknown): number {
  if (Array.isArray(value)) return value.length;
  return isRecord(value) ? Object.keys(value).length : 0;
}

/** Converts an ajv JSON-pointer instance path into path segments (numbers for list indices). */
function instancePath(root: unknown, pointer: string): (string | number)[] {
  const path: (string | number)[] = [];
  if (pointer === '') return path;
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path.push(Number(seg));
      node = node[Number(seg)];
    } else {
      path.push(seg);
      node = isRecord(node) && Object.hasOwn(node, seg) ? node[seg] : undefined;
    }
  }
  return path;
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const seg of path) {
    if (Array.isArray(node) && typeof seg === 'number') node = node[seg];
    else if (isRecord(node) && Object.hasOwn(node, seg)) node = node[seg];
    else return undefined;
  }
  return node;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
