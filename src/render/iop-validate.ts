/**
 * Strict validation of IstioOperator overlays (`-f` files and `--set` trees) against the
 * precompiled schema in src/generated/iop-validator.js (from manifests/schemas/istio-operator.schema.json).
 * Unknown fields are errors, as in istioctl (`could not unmarshal: ... unknown field`), but meshctl
 * points at `file:line:column`, suggests the closest known field and says what replaced the
 * paths that old tutorials still use.
 */
import type { ErrorObject } from 'ajv';
import type { SourcePosition } from '../errors.js';
import { iopShape, validateIstioOperator as validateIopDocument, type IopShapeNode } from '../generated/iop-validator.js';
import { positionOf, type SourceDocument } from '../manifest/yaml-docs.js';
import { editDistance } from '../text/edit-distance.js';
import { formatPath } from './set-path.js';
import { validateMeshConfig } from './mesh-config-schema.js';

/** apiVersion of an IstioOperator document. */
export const IOP_API_VERSION = 'install.istio.io/v1alpha1';
/** kind of an IstioOperator document. */
export const IOP_KIND = 'IstioOperator';

/** A path into a document: map keys and list indices. */
export type IopPath = (string | number)[];

/** A finding without a source position (for trees built from `--set`). */
export interface IopPathIssue {
  message: string;
  path: IopPath;
}

/** A finding in a file, at the node it is about (the key, for unknown fields). */
export interface IopIssue extends IopPathIssue {
  position: SourcePosition;
}

/** What validateIstioOperator returns. The file is usable only when `errors` is empty. */
export interface IopValidationResult {
  errors: IopIssue[];
  warnings: IopIssue[];
}

/** A path old tutorials use and what replaced it. `path` is relative to `spec`; `*` matches any key. */
export interface LegacyPathEntry {
  path: string;
  message: string;
}

const ADDONS = "addons are no longer installed through IstioOperator (deprecated in Istio 1.7, removed in 1.8); "
  + "install them from the manifests in Istio's samples/addons directory (kubectl apply -f samples/addons) "
  + "or with each project's own Helm chart";
const COREDNS = 'istiocoredns was removed (deprecated in Istio 1.8); the sidecar DNS proxy replaces it: '
  + 'set meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE to "true"';
const MIXER_TELEMETRY = 'Mixer was removed in Istio 1.8; telemetry is built into the proxy and is configured '
  + 'with the Telemetry API (kind Telemetry, group telemetry.istio.io)';
const MIXER_POLICY = 'Mixer policy checks were removed in Istio 1.8; use AuthorizationPolicy '
  + '(action CUSTOM delegates to an external authorizer)';
const MERGED_INTO_ISTIOD = 'merged into istiod in Istio 1.5; configure it under components.pilot and values.pilot';

/**
 * Paths from old IstioOperator files and tutorials, with what replaced them. Ordered from the most
 * specific to the most general; the first entry whose path is a prefix of a field wins. Only
 * consulted for fields the Istio 1.30.3 schema does not know, so an entry can never reject a
 * valid field.
 */
export const LEGACY_PATHS: readonly LegacyPathEntry[] = [
  { path: 'addonComponents.istiocoredns', message: COREDNS },
  { path: 'addonComponents.*', message: ADDONS },
  { path: 'addonComponents', message: ADDONS },
  ...['grafana', 'kiali', 'prometheus', 'tracing', 'prometheusOperator']
    .map((name) => ({ path: `values.${name}`, message: ADDONS })),
  { path: 'values.istiocoredns', message: COREDNS },
  { path: 'components.telemetry', message: MIXER_TELEMETRY },
  { path: 'components.policy', message: MIXER_POLICY },
  { path: 'values.mixer', message: MIXER_TELEMETRY },
  { path: 'values.telemetry.v1', message: MIXER_TELEMETRY },
  { path: 'values.global.disablePolicyChecks', message: MIXER_POLICY },
  { path: 'values.global.policyCheckFailOpen', message: MIXER_POLICY },
  { path: 'values.telemetry.v2.prometheus.configOverride',
    message: 'was removed; customize metrics with the Telemetry API (kind Telemetry, metrics overrides)' },
  ...['citadel', 'galley', 'sidecarInjector'].map((name) => ({ path: `components.${name}`, message: MERGED_INTO_ISTIOD })),
  { path: 'components.nodeAgent',
    message: 'the node agent was removed in Istio 1.5; istiod issues workload certificates and the istio-agent in each proxy serves them over SDS' },
  { path: 'values.global.mtls.enabled',
    message: 'was removed; set the mesh-wide mTLS mode with a PeerAuthentication in the root namespace (for example spec.mtls.mode: STRICT)' },
  { path: 'values.global.mtls.auto', message: 'was removed; automatic mTLS is meshConfig.enableAutoMtls (true by default)' },
  { path: 'values.global.mtls',
    message: 'was removed; use a PeerAuthentication for the mTLS mode and meshConfig.enableAutoMtls for automatic mTLS' },
  ...['accessLogFile', 'accessLogFormat', 'accessLogEncoding']
    .map((name) => ({ path: `values.global.proxy.${name}`, message: `moved to meshConfig.${name}` })),
  { path: 'values.global.outboundTrafficPolicy', message: 'moved to meshConfig.outboundTrafficPolicy (mode ALLOW_ANY or REGISTRY_ONLY)' },
  { path: 'values.global.enableTracing', message: 'moved to meshConfig.enableTracing' },
];

/**
 * Returns what replaced a legacy IstioOperator path, or undefined when the path is not in
 * LEGACY_PATHS. `path` is relative to `spec` (as `--set` paths are), e.g.
 * `['addonComponents', 'grafana', 'enabled']`.
 */
export function legacyPathMessage(path: readonly (string | number)[]): string | undefined {
  return legacyEntryFor(path)?.message;
}

/** Returns true when `data` has the apiVersion and kind of an IstioOperator. */
export function isIstioOperator(data: unknown): data is Record<string, unknown> & { apiVersion: typeof IOP_API_VERSION; kind: typeof IOP_KIND } {
  return isRecord(data) && data.apiVersion === IOP_API_VERSION && data.kind === IOP_KIND;
}

/**
 * Validates one IstioOperator document strictly against the IstioOperator schema of Istio 1.30.3
 * (field names per operator/pkg/apis/types.go and values_types.proto at 1.30.3; see
 * manifests/schemas/istio-operator.schema.json). Pure; never throws for bad input.
 *
 * Returns `{errors, warnings}`, each issue `{message, path, position}` with the document path
 * (starting at the root, e.g. `['spec', 'components', 'pilot', 'k8s', 'replicaCont']`) and the
 * `file:line:column` of the offending node; for unknown fields that is the key. Errors:
 * - not an IstioOperator: `"<file>" is not an IstioOperator (apiVersion install.istio.io/v1alpha1,
 *   kind IstioOperator): found <apiVersion>/<kind>`, at the document start (nothing else is checked);
 * - unknown fields: `unknown field "replicaCont" in spec.components.pilot.k8s (did you mean "replicaCount"?)`,
 *   or, for paths in LEGACY_PATHS, `<path>: <what replaced it>`;
 * - wrong values: `spec.components.pilot.k8s.replicaCount: must be integer`; integers outside the
 *   range of the Kubernetes field they set (int32, ports 0-65535): `...replicaCount: must be at most
 *   2147483647 (the Kubernetes field it sets is an int32), found 1.2345678901234568e+29`;
 * - gateway names that are not DNS-1123 labels (they name Deployments and Services):
 *   `spec.components.ingressGateways[0].name: invalid gateway name "Ingress_GW": ...`.
 * Null values count as unset, as in istioctl's decoder. Warnings: replicaCount set together
 * with autoscaleEnabled, when the document itself sets both (see autoscaleReplicaWarnings).
 * Errors are sorted by position.
 */
export function validateIstioOperator(src: SourceDocument): IopValidationResult {
  const data = src.data;
  if (!isIstioOperator(data)) {
    const found = isRecord(data) ? `${describeValue(data.apiVersion)}/${describeValue(data.kind)}` : `a ${typeName(data)}`;
    const message = `"${src.file}" is not an IstioOperator (apiVersion ${IOP_API_VERSION}, kind ${IOP_KIND}): found ${found}`;
    return { errors: [{ message, path: [], position: positionOf(src, []) }], warnings: [] };
  }
  const located = (issue: RawIssue): IopIssue => ({
    message: issue.message, path: issue.path, position: positionOf(src, issue.path, issue.atKey),
  });
  const errors = checkDocument(withoutNulls(data), (path) => formatPath(path)).map(located);
  errors.sort(byPosition);
  const warnings = autoscaleReplicaWarnings(data.spec)
    .map((w) => located({ message: w.message, path: ['spec', ...w.path], atKey: true }));
  return { errors, warnings };
}

/**
 * Validates an IstioOperator `spec` tree that has no source file, such as the overlay built from
 * `--set` flags, with the same rules as validateIstioOperator. Returns the errors as
 * `{message, path}` with paths and messages relative to `spec`, like `--set` paths:
 * `unknown field "replicaCont" in components.pilot.k8s (did you mean "replicaCount"?)`.
 * Warnings for such trees come from autoscaleReplicaWarnings.
 */
export function validateSpecTree(spec: unknown): IopPathIssue[] {
  const doc = { apiVersion: IOP_API_VERSION, kind: IOP_KIND, spec: withoutNulls(spec) };
  if (doc.spec === undefined) delete (doc as { spec?: unknown }).spec;
  return checkDocument(doc, (path) => (path.length > 1 ? formatPath(path.slice(1)) : 'spec'))
    .map((issue) => ({ issue, order: dataOrder(doc, issue.path) }))
    .sort((a, b) => compareOrder(a.order, b.order) || a.issue.message.localeCompare(b.issue.message))
    .map(({ issue }) => ({ message: issue.message, path: issue.path.slice(1) }));
}

/**
 * Returns istioctl's replicaCount/autoscale warnings for a `spec` tree (per Istio 1.30.3
 * operator/pkg/apis/validation checkAutoScaleAndReplicaCount), with paths relative to `spec`:
 * `components.pilot.k8s.replicaCount should not be set when values.pilot.autoscaleEnabled is true`
 * (replicaCount > 1) and, for gateways with any replicaCount,
 * `components.ingressGateways[name=<name>].k8s.replicaCount should not be set when values.gateways.istio-ingressgateway.autoscaleEnabled is true`.
 * Only values present in `spec` count: call it on the merged spec to include profile values.
 */
export function autoscaleReplicaWarnings(spec: unknown): IopPathIssue[] {
  const out: IopPathIssue[] = [];
  const pilotReplicas = get(spec, ['components', 'pilot', 'k8s', 'replicaCount']);
  if (get(spec, ['values', 'pilot', 'autoscaleEnabled']) === true && typeof pilotReplicas === 'number' && pilotReplicas > 1) {
    out.push({
      message: 'components.pilot.k8s.replicaCount should not be set when values.pilot.autoscaleEnabled is true',
      path: ['components', 'pilot', 'k8s', 'replicaCount'],
    });
  }
  for (const gw of GATEWAY_AUTOSCALE) {
    if (get(spec, ['values', 'gateways', gw.values, 'autoscaleEnabled']) !== true) continue;
    const list = get(spec, ['components', gw.list]);
    if (!Array.isArray(list)) continue;
    list.forEach((item: unknown, i) => {
      const replicas = get(item, ['k8s', 'replicaCount']);
      if (typeof replicas !== 'number' || replicas === 0) return;
      const name = get(item, ['name']);
      out.push({
        message: `components.${gw.list}[name=${typeof name === 'string' ? name : ''}].k8s.replicaCount should not be set `
          + `when values.gateways.${gw.values}.autoscaleEnabled is true`,
        path: ['components', gw.list, i, 'k8s', 'replicaCount'],
      });
    });
  }
  return out;
}

const GATEWAY_AUTOSCALE = [
  { list: 'ingressGateways', values: 'istio-ingressgateway' },
  { list: 'egressGateways', values: 'istio-egressgateway' },
] as const;

interface RawIssue {
  message: string;
  path: IopPath;
  atKey: boolean;
}

/** Runs the generated validator over a whole document and turns its errors into issues. */
function checkDocument(doc: unknown, show: (path: IopPath) => string): RawIssue[] {
  if (validateIopDocument(doc)) return [...meshConfigIssues(doc, show), ...gatewayNameIssues(doc, show)];
  const issues: RawIssue[] = [];
  const seen = new Set<string>();
  const add = (issue: RawIssue): void => {
    const key = `${JSON.stringify(issue.path)}\u0000${issue.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    issues.push(issue);
  };
  for (const err of validateIopDocument.errors ?? []) {
    const path = instancePath(doc, err.instancePath);
    if (err.keyword === 'additionalProperties') {
      const field = String(err.params.additionalProperty);
      const fieldPath = [...path, field];
      const legacy = legacyIssues(doc, fieldPath, show);
      if (legacy.length > 0) {
        legacy.forEach(add);
        continue;
      }
      const hint = suggest(field, fieldsAt(path));
      add({
        message: `unknown field "${field}" in ${path.length ? show(path) : 'the document'}${hint ? ` (did you mean "${hint}"?)` : ''}`,
        path: fieldPath,
        atKey: true,
      });
    } else {
      add({ message: `${path.length ? show(path) : 'document'}: ${describeError(err, get(doc, path))}`, path, atKey: false });
    }
  }
  return [...issues, ...meshConfigIssues(doc, show), ...gatewayNameIssues(doc, show)];
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Returns an issue for each gateway entry whose name is not a DNS-1123 label of at most 63
 * characters: the name becomes the gateway's Deployment, Service and ServiceAccount names, which
 * Kubernetes would refuse (`Ingress_GW`).
 */
function gatewayNameIssues(doc: unknown, show: (path: IopPath) => string): RawIssue[] {
  const issues: RawIssue[] = [];
  for (const list of ['ingressGateways', 'egressGateways']) {
    const entries = get(doc, ['spec', 'components', list]);
    if (!Array.isArray(entries)) continue;
    entries.forEach((entry: unknown, i) => {
      const name = get(entry, ['name']);
      if (typeof name !== 'string' || name === '' || (name.length <= 63 && DNS1123_LABEL.test(name))) return;
      const path: IopPath = ['spec', 'components', list, i, 'name'];
      issues.push({
        message: `${show(path)}: invalid gateway name ${JSON.stringify(name)}: must be a DNS-1123 label (lower case letters, digits and "-", at most 63 characters), as it names the gateway's Deployment and Service`,
        path,
        atKey: false,
      });
    });
  }
  return issues;
}

/**
 * Returns the findings of validateMeshConfig for `spec.meshConfig` and `spec.values.meshConfig`,
 * which the IstioOperator schema leaves open (istioctl checks both against MeshConfig).
 */
function meshConfigIssues(doc: unknown, show: (path: IopPath) => string): RawIssue[] {
  return [['spec', 'meshConfig'], ['spec', 'values', 'meshConfig']]
    .filter((at) => isRecord(get(doc, at)))
    .flatMap((at) => validateMeshConfig(get(doc, at), { at, show }));
}

/**
 * Returns LEGACY_PATHS findings for an unknown field at `unknownPath` (a document path): one per
 * distinct legacy path found at or below it in the data, the most specific ones only.
 */
function legacyIssues(doc: unknown, unknownPath: IopPath, show: (path: IopPath) => string): RawIssue[] {
  if (unknownPath[0] !== 'spec') return [];
  const matches = new Map<string, { at: IopPath; entry: LegacyPathEntry }>();
  const visit = (path: IopPath, value: unknown): void => {
    const specPath = path.slice(1);
    const entry = legacyEntryFor(specPath);
    if (entry) {
      const at = path.slice(0, entry.path.split('.').length + 1);
      if (at.length >= unknownPath.length) matches.set(JSON.stringify(at), { at, entry });
    }
    if (isRecord(value)) for (const [k, v] of Object.entries(value)) visit([...path, k], v);
  };
  visit(unknownPath, get(doc, unknownPath));
  const found = [...matches.values()];
  return found
    .filter((m) => !found.some((o) => o.at.length > m.at.length && isPrefix(m.at, o.at)))
    .map((m) => ({ message: `${show(m.at)}: ${m.entry.message}`, path: m.at, atKey: true }));
}

function legacyEntryFor(specPath: readonly (string | number)[]): LegacyPathEntry | undefined {
  return LEGACY_PATHS.find((entry) => {
    const pattern = entry.path.split('.');
    return pattern.length <= specPath.length
      && pattern.every((seg, i) => seg === '*' ? typeof specPath[i] === 'string' : seg === specPath[i]);
  });
}

/** Returns the known field names of the object at `path` in the schema's field tree. */
function fieldsAt(path: IopPath): string[] {
  let node = deref(iopShape.root);
  for (const seg of path) {
    if (node === 0 || typeof node !== 'object') return [];
    if (typeof seg === 'number') node = deref(node.i ?? 0);
    else node = deref(node.p && Object.hasOwn(node.p, seg) ? node.p[seg]! : node.a ?? 0);
  }
  return typeof node === 'object' && node.p ? Object.keys(node.p) : [];
}

function deref(node: IopShapeNode): IopShapeNode {
  let current = node;
  for (let hops = 0; typeof current === 'string' && hops < 8; hops++) {
    current = Object.hasOwn(iopShape.defs, current) ? iopShape.defs[current]! : 0;
  }
  return typeof current === 'string' ? 0 : current;
}

/**
 * Returns the known field closest to `field`: a case-insensitive match, else the nearest by
 * edit distance (at most 2, and less than the field's length), ties broken alphabetically.
 */
function suggest(field: string, known: readonly string[]): string | undefined {
  const lower = field.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase) return sameCase;
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of [...known].sort()) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance < field.length ? best : undefined;
}

function describeError(err: ErrorObject, value: unknown): string {
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'type': {
      const types = Array.isArray(params.type) ? params.type : String(params.type).split(',');
      return `must be ${types.join(' or ')}`;
    }
    case 'enum':
      return `must be one of: ${(params.allowedValues as unknown[]).map((v) => String(v)).join(', ')}`;
    case 'maximum':
    case 'minimum':
      return rangeMessage(err, value);
    default:
      return err.message ?? `fails ${err.keyword}`;
  }
}

const INT32_MAX = 2147483647;

/**
 * Says which range an integer is out of: a Kubernetes int32 (replicas, HPA bounds), a port, or the
 * bound itself. The value is shown as read; digits past double precision are already lost.
 */
function rangeMessage(err: ErrorObject, value: unknown): string {
  const limit = Number((err.params as { limit?: unknown }).limit);
  const found = typeof value === 'number' ? `, found ${String(value)}` : '';
  const range = limit === INT32_MAX || limit === -INT32_MAX - 1 ? ' (the Kubernetes field it sets is an int32)'
    : err.keyword === 'maximum' && limit === 65535 ? ' (a port number)' : '';
  return `must be ${err.keyword === 'maximum' ? 'at most' : 'at least'} ${limit}${range}${found}`;
}

/** Converts an ajv JSON-pointer instance path into path segments (numbers for list indices). */
function instancePath(doc: unknown, pointer: string): IopPath {
  const path: IopPath = [];
  let node: unknown = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path.push(Number(seg));
      node = node[Number(seg)];
    } else {
      path.push(seg);
      node = isRecord(node) ? node[seg] : undefined;
    }
  }
  return path;
}


// istioctl decodes with encoding/json and jsonpb, where null means unset; `k8s:` with nothing after
// it is common in hand-written files. defineProperty keeps a `__proto__` key an ordinary field.
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== null) Object.defineProperty(out, k, { value: withoutNulls(v), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value === null ? undefined : value;
}

function get(value: unknown, path: readonly (string | number)[]): unknown {
  let node = value;
  for (const seg of path) {
    if (Array.isArray(node) && typeof seg === 'number') node = node[seg];
    else if (isRecord(node) && typeof seg === 'string' && Object.hasOwn(node, seg)) node = node[seg];
    else return undefined;
  }
  return node;
}

/** Returns the position of each path step among its siblings, so issues sort in data order. */
function dataOrder(doc: unknown, path: IopPath): number[] {
  const order: number[] = [];
  let node = doc;
  for (const seg of path) {
    if (Array.isArray(node) && typeof seg === 'number') {
      order.push(seg);
      node = node[seg];
    } else if (isRecord(node)) {
      order.push(Object.keys(node).indexOf(String(seg)));
      node = node[String(seg)];
    } else {
      break;
    }
  }
  return order;
}

function compareOrder(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

function isPrefix(prefix: IopPath, path: IopPath): boolean {
  return prefix.length <= path.length && prefix.every((seg, i) => seg === path[i]);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  if (value === undefined) return '(none)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'empty document';
  return Array.isArray(value) ? 'list' : typeof value;
}

function byPosition(a: IopIssue, b: IopIssue): number {
  return a.position.line - b.position.line || a.position.column - b.position.column || a.message.localeCompare(b.message);
}
