/**
 * Checks mesh config (`spec.meshConfig` of an IstioOperator, `values.meshConfig`, a
 * `--meshConfigFile`) against Istio's MeshConfig message and the messages it reaches (ProxyConfig
 * as `defaultConfig`, extension providers, locality load balancing, ...), as decoded by istiod:
 * protobuf JSON through the legacy jsonpb decoder (pkg/util/protomarshal ApplyYAML at Istio 1.30.3).
 * The field table is src/generated/mesh-config-schema.js, generated from istio/api at the commit
 * Istio 1.30.3 pins.
 *
 * What jsonpb accepts is accepted here: a field's JSON name or its proto name
 * (`access_log_file`), null for any field (unset), integers as numbers or quoted numbers (64-bit ones
 * usually quoted), floats also as "NaN"/"Infinity", Durations as Go duration strings ("10s",
 * "1m30s", "500ms"), wrapper types (BoolValue, UInt32Value, ...) as the bare value, Struct and
 * Value as anything, enums by name or number.
 *
 * Where meshctl is stricter than istiod, on purpose:
 * - Unknown fields are errors. istiod's ApplyYAML first decodes strictly and, when that fails,
 *   decodes again with unknown fields allowed, so istiod (and istioctl's own mesh config check)
 *   silently drops a misspelt field such as `accessLogFil`; the setting then simply never applies.
 *   Fields removed from the API (proto `reserved` names such as `mixerCheckServer`) are dropped the
 *   same way by istiod and are reported here as removed.
 * - An enum number that names no value, and two members of one oneof set together (jsonpb keeps
 *   the later one), are errors.
 */
import { DataError, type SourcePosition } from '../errors.js';
import { meshConfigSchema, type MeshSchemaField, type MeshSchemaMessage } from '../generated/mesh-config-schema.js';
import { positionOf, type SourceDocument } from '../manifest/yaml-docs.js';
import { editDistance } from '../text/edit-distance.js';
import { formatPath } from './set-path.js';
import type { IopPath, IopPathIssue } from './iop-validate.js';

/** A mesh config finding: message, document path, and whether it is about the key (unknown fields) rather than the value. */
export interface MeshConfigIssue extends IopPathIssue {
  atKey: boolean;
}

/** Where the mesh config sits and how paths are spelt in messages. */
export interface MeshConfigCheckOptions {
  /** Path of the mesh config in the document; issue paths start with it. Default `['meshConfig']`. */
  at?: IopPath;
  /** Spells a path for messages; default `a.b[0].c` with dots in keys as `\.` (the `--set` spelling). */
  show?: (path: IopPath) => string;
}

const MESH_CONFIG = meshConfigSchema.root;
const PROXY_CONFIG = 'istio.mesh.v1alpha1.ProxyConfig';

/**
 * Returns the problems of a mesh config value (a MeshConfig in protobuf JSON form, as YAML data)
 * against Istio 1.30.3's MeshConfig: unknown fields, with the closest known field
 * (`unknown field "accessLogFil" in meshConfig (did you mean "accessLogFile"?)`), removed fields
 * (`meshConfig.mixerCheckServer: was removed from MeshConfig; ...`), values of the wrong type
 * (`meshConfig.defaultConfig.concurrency: must be an integer, found "many"`), enum values and
 * durations that do not parse, and oneof members set together. Paths start with `options.at`
 * (default `['meshConfig']`). Issues come in data order. Pure; never throws.
 */
export function validateMeshConfig(meshConfig: unknown, options: MeshConfigCheckOptions = {}): MeshConfigIssue[] {
  const at = options.at ?? ['meshConfig'];
  const show = options.show ?? ((path: IopPath) => (path.length ? formatPath(path) : 'the mesh config'));
  const checker = new Checker(show);
  checker.message(MESH_CONFIG, meshConfig, at);
  return checker.issues;
}

/**
 * Returns the problems of a mesh config file (`--meshConfigFile`: a MeshConfig YAML, the `mesh`
 * key of the `istio` ConfigMap) as validateMeshConfig finds them, each at its `file:line:column`
 * (the key, for unknown fields). Paths and messages are relative to the file's root:
 * `unknown field "accessLogFil" in the mesh config (did you mean "accessLogFile"?)`,
 * `defaultConfig.concurrency: must be an integer, found "many"`. An empty document has none.
 */
export function validateMeshConfigDocument(src: SourceDocument): (MeshConfigIssue & { position: SourcePosition })[] {
  if (src.data === null || src.data === undefined) return [];
  return validateMeshConfig(src.data, { at: [] })
    .map((issue) => ({ ...issue, position: positionOf(src, issue.path, issue.atKey) }));
}

/**
 * Checks a parsed mesh config file (`--meshConfigFile` of analyze and kube-inject) with
 * validateMeshConfigDocument. Throws DataError at the first problem's `file:line:column`, every
 * problem on its own line; returns normally when there is none.
 */
export function assertValidMeshConfigDocument(src: SourceDocument): void {
  const issues = validateMeshConfigDocument(src);
  if (issues.length === 0) return;
  const [first, ...rest] = issues;
  const more = rest.map((e) => `\n${e.position.file}:${e.position.line}:${e.position.column}: ${e.message}`).join('');
  throw new DataError(first!.message + more, first!.position);
}

class Checker {
  readonly issues: MeshConfigIssue[] = [];
  constructor(private readonly show: (path: IopPath) => string) {}

  private fail(path: IopPath, message: string, atKey = false): void {
    this.issues.push({ message: `${this.show(path)}: ${message}`, path, atKey });
  }

  /** Checks a value of message type `name` at `path`. */
  message(name: string, value: unknown, path: IopPath): void {
    if (value === null || value === undefined) return;
    const schema = meshConfigSchema.messages[name];
    if (!schema) return;
    if (!isRecord(value)) {
      this.fail(path, `must be a map of ${messageLabel(name)} fields, found ${describe(value)}`);
      return;
    }
    const byProtoName = new Map<string, string>();
    for (const [json, field] of Object.entries(schema.f)) if (field.n) byProtoName.set(field.n, json);
    const oneofs = new Map<string, string[]>();
    for (const [key, child] of Object.entries(value)) {
      const json = Object.hasOwn(schema.f, key) ? key : byProtoName.get(key);
      if (json === undefined) {
        this.unknown(name, schema, key, path);
        continue;
      }
      const field = schema.f[json]!;
      if (field.o && child !== null && child !== undefined) {
        const set = oneofs.get(field.o) ?? [];
        set.push(key);
        oneofs.set(field.o, set);
        if (set.length === 2) {
          this.fail([...path, key], `"${set[0]}" and "${key}" are alternatives (oneof ${field.o}); set only one`, true);
        }
      }
      this.field(field, child, [...path, key]);
    }
  }

  private unknown(name: string, schema: MeshSchemaMessage, key: string, path: IopPath): void {
    const at = [...path, key];
    const removed = schema.r?.includes(key) || schema.r?.includes(camel(key));
    if (removed) {
      this.fail(at, removedMessage(name, camel(key), path, this.show), true);
      return;
    }
    const hint = suggestField(name, key, path, this.show);
    this.issues.push({
      message: `unknown field "${key}" in ${this.show(path)}${hint ? ` (did you mean "${hint}"?)` : ''}`,
      path: at,
      atKey: true,
    });
  }

  private field(field: MeshSchemaField, value: unknown, path: IopPath): void {
    if (value === null || value === undefined) return;
    if (field.l) {
      if (!Array.isArray(value)) {
        this.fail(path, `must be a list${elementLabel(field.t)}, found ${describe(value)}`);
        return;
      }
      value.forEach((item, i) => this.single(field.t, item, [...path, i]));
      return;
    }
    if (field.k) {
      if (!isRecord(value)) {
        this.fail(path, `must be a map${field.t === 'string' ? ' of strings' : ''}, found ${describe(value)}`);
        return;
      }
      for (const [k, v] of Object.entries(value)) {
        const keyProblem = SCALAR_CHECKS[field.k]?.(k);
        if (field.k !== 'string' && keyProblem) this.fail([...path, k], `key ${keyProblem}`, true);
        this.single(field.t, v, [...path, k]);
      }
      return;
    }
    this.single(field.t, value, path);
  }

  /** Checks one value (not a list, not a map) of type `type`. */
  private single(type: string, value: unknown, path: IopPath): void {
    if (value === null || value === undefined) return;
    const scalar = SCALAR_CHECKS[type] ?? WELL_KNOWN_CHECKS[type];
    if (scalar) {
      const problem = scalar(value);
      if (problem) this.fail(path, problem);
      return;
    }
    const values = meshConfigSchema.enums[type];
    if (values) {
      const problem = enumProblem(values, value);
      if (problem) this.fail(path, problem);
      return;
    }
    this.message(type, value, path);
  }
}

type ScalarCheck = (value: unknown) => string | undefined;

const INT_TEXT = /^-?(0|[1-9]\d*)$/;
const FLOAT_TEXT = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/;

function integerCheck(min: bigint, max: bigint): ScalarCheck {
  return (value) => {
    let n: bigint | undefined;
    if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
    else if (typeof value === 'string' && INT_TEXT.test(value)) n = BigInt(value);
    if (n === undefined) return `must be an integer, found ${describe(value)}`;
    return n < min || n > max ? `must be an integer from ${min} to ${max}, found ${describe(value)}` : undefined;
  };
}

const floatCheck: ScalarCheck = (value) => {
  if (typeof value === 'number') return undefined;
  if (typeof value === 'string' && (FLOAT_TEXT.test(value) || ['NaN', 'Infinity', '-Infinity'].includes(value))) return undefined;
  return `must be a number, found ${describe(value)}`;
};

const stringCheck: ScalarCheck = (value) => (typeof value === 'string' ? undefined : `must be a string, found ${describe(value)}`);
const boolCheck: ScalarCheck = (value) => (typeof value === 'boolean' ? undefined : `must be true or false, found ${describe(value)}`);
const bytesCheck: ScalarCheck = (value) =>
  typeof value === 'string' && value.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(value)
    ? undefined : `must be base64-encoded bytes, found ${describe(value)}`;

const INT32 = integerCheck(-(2n ** 31n), 2n ** 31n - 1n);
const UINT32 = integerCheck(0n, 2n ** 32n - 1n);
const INT64 = integerCheck(-(2n ** 63n), 2n ** 63n - 1n);
const UINT64 = integerCheck(0n, 2n ** 64n - 1n);

const SCALAR_CHECKS: Readonly<Record<string, ScalarCheck>> = {
  double: floatCheck, float: floatCheck,
  int32: INT32, sint32: INT32, sfixed32: INT32,
  uint32: UINT32, fixed32: UINT32,
  int64: INT64, sint64: INT64, sfixed64: INT64,
  uint64: UINT64, fixed64: UINT64,
  bool: boolCheck, string: stringCheck, bytes: bytesCheck,
};

const durationCheck: ScalarCheck = (value) =>
  typeof value === 'string' && goDurationNanos(value) !== undefined
    ? undefined : `must be a duration such as "10s", "1.5s", "500ms" or "1m30s", found ${describe(value)}`;

const WELL_KNOWN_CHECKS: Readonly<Record<string, ScalarCheck>> = {
  'google.protobuf.Duration': durationCheck,
  'google.protobuf.Timestamp': (value) =>
    typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(value)
      ? undefined : `must be an RFC 3339 timestamp such as "2026-01-31T12:00:00Z", found ${describe(value)}`,
  'google.protobuf.BoolValue': boolCheck,
  'google.protobuf.StringValue': stringCheck,
  'google.protobuf.BytesValue': bytesCheck,
  'google.protobuf.Int32Value': INT32,
  'google.protobuf.UInt32Value': UINT32,
  'google.protobuf.Int64Value': INT64,
  'google.protobuf.UInt64Value': UINT64,
  'google.protobuf.FloatValue': floatCheck,
  'google.protobuf.DoubleValue': floatCheck,
  'google.protobuf.Struct': (value) => (isRecord(value) ? undefined : `must be a map, found ${describe(value)}`),
  'google.protobuf.Any': (value) => (isRecord(value) ? undefined : `must be a map, found ${describe(value)}`),
  'google.protobuf.Empty': (value) =>
    isRecord(value) && Object.keys(value).length === 0 ? undefined : `must be an empty map ({}), found ${describe(value)}`,
  'google.protobuf.ListValue': (value) => (Array.isArray(value) ? undefined : `must be a list, found ${describe(value)}`),
  'google.protobuf.Value': () => undefined,
};

const GO_DURATION_UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n, us: 1_000n, 'µs': 1_000n, 'μs': 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n,
};

/**
 * Returns the nanoseconds of a Go duration string as time.ParseDuration reads it ("300ms", "-1.5h",
 * "2h45m", "0"), or undefined when it does not parse or overflows int64 nanoseconds.
 */
export function goDurationNanos(text: string): bigint | undefined {
  let rest = text;
  let sign = 1n;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1n;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') return undefined;
  let total = 0n;
  const part = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (rest !== '') {
    const m = part.exec(rest);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) return undefined;
    const unit = GO_DURATION_UNITS[m[3]!]!;
    const whole = BigInt(m[1] || '0');
    const fraction = m[2] ?? '';
    const scale = 10n ** BigInt(fraction.length);
    total += whole * unit + (fraction ? (BigInt(fraction) * unit) / scale : 0n);
    if (total > 2n ** 63n) return undefined;
    rest = rest.slice(m[0].length);
  }
  const nanos = sign * total;
  return nanos > 2n ** 63n - 1n || nanos < -(2n ** 63n) ? undefined : nanos;
}

function enumProblem(values: Readonly<Record<string, number>>, value: unknown): string | undefined {
  const names = Object.keys(values);
  if (typeof value === 'string' && Object.hasOwn(values, value)) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && Object.values(values).includes(value)) return undefined;
  const hint = typeof value === 'string' ? closest(value, names) : undefined;
  return `must be one of: ${names.join(', ')}, found ${describe(value)}${hint ? ` (did you mean "${hint}"?)` : ''}`;
}

/**
 * Returns what to suggest for an unknown field `key` of message `name` at `path`: a field of the
 * same message (case-insensitive match, else the nearest within edit distance 2), or, for a field
 * that belongs one level down or up (`concurrency` at the top, `accessLogFile` inside
 * `defaultConfig`), its path relative to `path`'s message.
 */
function suggestField(name: string, key: string, path: IopPath, show: (path: IopPath) => string): string | undefined {
  const fields = meshConfigSchema.messages[name]!.f;
  const own = closest(key, Object.keys(fields), Object.fromEntries(Object.entries(fields).map(([j, f]) => [j, f.n ?? j])));
  if (own) return own;
  if (name === MESH_CONFIG && Object.hasOwn(meshConfigSchema.messages[PROXY_CONFIG]!.f, camel(key))) return `defaultConfig.${camel(key)}`;
  if (name === PROXY_CONFIG && path.length > 0 && Object.hasOwn(meshConfigSchema.messages[MESH_CONFIG]!.f, camel(key))) {
    const parent = path.slice(0, -1);
    return parent.length ? `${show(parent)}.${camel(key)}` : camel(key);
  }
  return undefined;
}

function removedMessage(name: string, key: string, path: IopPath, show: (path: IopPath) => string): string {
  const label = messageLabel(name);
  if (name === MESH_CONFIG && Object.hasOwn(meshConfigSchema.messages[PROXY_CONFIG]!.f, key)) {
    return `was removed from ${label}; set ${show([...path, 'defaultConfig', key])} instead`;
  }
  if (name === PROXY_CONFIG && path.length > 0 && Object.hasOwn(meshConfigSchema.messages[MESH_CONFIG]!.f, key)) {
    return `was removed from ${label}; set ${show([...path.slice(0, -1), key])} instead`;
  }
  return `was removed from ${label} (istiod ignores it); delete it`;
}

/**
 * Returns the known name closest to `given`: a case-insensitive match, else the nearest by edit
 * distance (at most 2, and less than the name's length), ties alphabetically. `aliases` maps a
 * name to another spelling it also matches (a field's proto name).
 */
function closest(given: string, known: readonly string[], aliases: Readonly<Record<string, string>> = {}): string | undefined {
  const lower = given.toLowerCase();
  const flat = lower.replaceAll('_', '');
  const exact = known.find((k) => k.toLowerCase() === lower || (aliases[k] ?? k).toLowerCase() === lower || k.toLowerCase() === flat);
  if (exact) return exact;
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of [...known].sort()) {
    const d = Math.min(editDistance(lower, candidate.toLowerCase()), editDistance(lower, (aliases[candidate] ?? candidate).toLowerCase()));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance < given.length ? best : undefined;
}

/** protoc's JSON name for a proto field name; other names come back unchanged. */
function camel(key: string): string {
  return key.replace(/_([a-z0-9])/gi, (_, c: string) => c.toUpperCase());
}

/** `MeshConfig`, `ProxyConfig`, `ExtensionProvider.ZipkinTracingProvider`: the message's name below its package. */
function messageLabel(name: string): string {
  return name.replace(/^istio\.[a-z]+\.v[0-9a-z]+\./, '');
}

function elementLabel(type: string): string {
  if (type === 'string') return ' of strings';
  if (meshConfigSchema.messages[type]) return ` of ${messageLabel(type)} maps`;
  return '';
}

/**
 * Describes a value for "found ..." in messages: quoted strings (clipped), numbers (non-finite ones
 * as YAML spells them: `.nan`, `.inf`, `-.inf`), booleans, `a list`, `a map`.
 */
function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isRecord(value)) return 'a map';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf';
  return String(value);
}


function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
