/**
 * istiod's injection template helpers (pkg/kube/inject/template.go at Istio 1.30), layered over
 * sprig as istiod does, so `indent` and `contains` are Istio's (not sprig's) and `env` reads
 * istiod's environment (here: the `env` execution option).
 */

import { formatDuration as durationString, parseDuration } from './duration.js';
import { formatValue } from './format.js';
import { type FuncMap, type GoFunc, fn, int, str } from './funcs.js';
import {
  ContainerListType,
  ContainerPortType,
  ContainerType,
  type JsonMember,
  MeshConfigType,
  ObjectMetaType,
  ProxyConfigPtrType,
  fieldIndex,
} from './istio-types.js';
import { jsonQuote, marshalJSON, unmarshalJSON } from './json.js';
import { mapCase, trimSpace } from './sprig.js';
import {
  GoMap,
  GoNum,
  GoPtr,
  GoSlice,
  GoStruct,
  type GoValue,
  T,
  ptrTo,
  TMapAny,
  TMapString,
  TSliceAny,
  compareStrings,
} from './values.js';
import { toYaml } from './yaml.js';

const any = T.any;
const s = T.string;

const annotationsIndex = fieldIndex(ObjectMetaType, 'Annotations');
const containerName = fieldIndex(ContainerType, 'Name');
const containerImage = fieldIndex(ContainerType, 'Image');
const containerPorts = fieldIndex(ContainerType, 'Ports');
const portNumber = fieldIndex(ContainerPortType, 'ContainerPort');
const portProtocol = fieldIndex(ContainerPortType, 'Protocol');

/** Comma list of the TCP container ports of the containers `keep` accepts. */
function tcpPorts(containers: GoValue, keep: (name: string) => boolean): string {
  const out: string[] = [];
  for (const c of containers instanceof GoSlice ? (containers.a ?? []) : []) {
    if (!(c instanceof GoStruct) || !keep(String(c.f[containerName] ?? ''))) continue;
    const ports = c.f[containerPorts];
    for (const p of ports instanceof GoSlice ? (ports.a ?? []) : []) {
      if (!(p instanceof GoStruct)) continue;
      const protocol = p.f[portProtocol];
      if (protocol === 'UDP' || protocol === 'SCTP') continue;
      const n = p.f[portNumber];
      out.push(String(n instanceof GoNum ? n.v : 0));
    }
  }
  return out.join(',');
}

/** Istio's excludeInboundPort: appends a port to a comma list unless empty, "0" or listed. */
function excludeInboundPort(port: GoValue, excluded: string): string {
  const p = trimSpace(formatValue(port));
  if (p === '' || p === '0') return excluded;
  const kept: string[] = [];
  for (const e of excluded.split(',')) {
    if (e === p) return excluded;
    const t = trimSpace(e);
    if (t !== '') kept.push(t);
  }
  kept.push(p);
  return kept.join(',');
}

/** mesh.DefaultProxyConfig() values protoToJSON drops (protobuf JSON encodings). */
const proxyConfigDefaults: ReadonlyMap<string, string> = new Map([
  ['configPath', '"./etc/istio/proxy"'],
  ['binaryPath', '"/usr/local/bin/envoy"'],
  ['serviceCluster', '"istio-proxy"'],
  ['drainDuration', '"45s"'],
  ['terminationDrainDuration', '"5s"'],
  ['discoveryAddress', '"istiod.istio-system.svc:15012"'],
  ['controlPlaneAuthPolicy', '"MUTUAL_TLS"'],
  ['proxyAdminPort', '15000'],
  ['statNameLength', '189'],
  ['statusPort', '15020'],
]);

/**
 * ProxyConfig fields of scalar, enum, list or map type: protobuf JSON leaves them out at their zero
 * value. Every other field is a message (a wrapper such as `concurrency`, a duration, `tracing`...),
 * printed whenever it is set, even to `0`, `false` or `{}` (Istio 1.30.3 mesh/v1alpha1 ProxyConfig).
 */
const proxyConfigPlainFields: ReadonlySet<string> = new Set([
  'configPath', 'binaryPath', 'serviceCluster', 'tracingServiceName', 'discoveryAddress', 'zipkinAddress',
  'statsdUdpAddress', 'envoyMetricsServiceAddress', 'proxyAdminPort', 'availabilityZone', 'controlPlaneAuthPolicy',
  'customConfigFile', 'statNameLength', 'proxyBootstrapTemplatePath', 'interceptionMode', 'statusPort', 'meshId',
  'proxyMetadata', 'runtimeValues', 'extraStatTags', 'caCertificatesPem',
]);

/**
 * ProxyConfig's fields in declaration order (mesh/v1alpha1/proxy.proto), the order protobuf JSON
 * prints them in; a oneof (serviceCluster, tracingServiceName) sits where its first member is.
 */
const proxyConfigFieldOrder: readonly string[] = [
  'configPath', 'binaryPath', 'serviceCluster', 'tracingServiceName', 'drainDuration', 'parentShutdownDuration',
  'discoveryAddress', 'discoveryRefreshDelay', 'zipkinAddress', 'statsdUdpAddress', 'envoyMetricsServiceAddress',
  'proxyAdminPort', 'availabilityZone', 'controlPlaneAuthPolicy', 'customConfigFile', 'statNameLength', 'concurrency',
  'proxyBootstrapTemplatePath', 'interceptionMode', 'tracing', 'sds', 'envoyAccessLogService', 'envoyMetricsService',
  'proxyMetadata', 'runtimeValues', 'statusPort', 'extraStatTags', 'gatewayTopology', 'terminationDrainDuration',
  'meshId', 'readinessProbe', 'proxyStatsMatcher', 'holdApplicationUntilProxyStarts', 'caCertificatesPem', 'image',
  'privateKeyProvider', 'proxyHeaders',
];

/** Compact JSON with sorted object keys and numbers as written (encoding/json with UseNumber). */
function compactJSON(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return jsonQuote(v);
    case 'number':
      return String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
  }
  if (Array.isArray(v)) return `[${v.map(compactJSON).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort(compareStrings)
    .map((k) => `${jsonQuote(k)}:${compactJSON(o[k])}`)
    .join(',')}}`;
}

/**
 * Istio's protoToJSON of a ProxyConfig as istiod prints PROXY_CONFIG: compact protobuf JSON
 * without fields equal to mesh.DefaultProxyConfig(), scalar/list/map fields at their zero value
 * and interceptionMode REDIRECT; set message fields stay (`"tracing":{}`, `"concurrency":0`);
 * fields in ProxyConfig's declaration order (fields it does not know last, as given).
 */
function proxyConfigToJSON(pc: GoValue): string {
  if (!(pc instanceof GoPtr) || !(pc.elem instanceof GoStruct)) return '{}';
  const rank = (key: string) => {
    const i = proxyConfigFieldOrder.indexOf(key);
    return i < 0 ? proxyConfigFieldOrder.length : i;
  };
  const members = [...((pc.elem.hidden as readonly JsonMember[] | undefined) ?? [])].sort((a, b) => rank(a.key) - rank(b.key));
  const parts: string[] = [];
  for (const { key, value } of members) {
    const canon = compactJSON(value);
    if (proxyConfigDefaults.get(key) === canon || canon === 'null') continue;
    if (proxyConfigPlainFields.has(key) && ['""', '0', 'false', '{}', '[]'].includes(canon)) continue;
    if (key === 'interceptionMode' && canon === '"REDIRECT"') continue;
    parts.push(`${jsonQuote(key)}:${canon}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * Istio's appendMultusNetwork: adds a network (`name` or `namespace/name`) to a
 * k8s.v1.cni.cncf.io/networks value unless it is there. The value is a comma-separated list, or,
 * when it has a `]`, a JSON list of objects whose `name` and `namespace` (absent meaning "") are
 * compared and to which `{"name": ..., "namespace": ...}` is added (no namespace member for a bare
 * name); JSON that does not parse as such a list is returned unchanged.
 */
function appendMultusNetwork(existing: string, network: string): string {
  if (existing === '') return network;
  const i = existing.lastIndexOf(']');
  if (i !== -1) {
    let nets: unknown;
    try {
      nets = JSON.parse(existing);
    } catch {
      return existing;
    }
    if (!Array.isArray(nets) || nets.some((n) => n !== null && (typeof n !== 'object' || Array.isArray(n)))) return existing;
    // k8s.io/utils SplitQualifiedName: the first two parts of `a/b[/...]`, or "" and the whole.
    const parts = network.split('/');
    const [ns, name] = parts.length < 2 ? ['', network] : [parts[0]!, parts[1]!];
    for (const n of nets as (Record<string, unknown> | null)[]) {
      if (n?.name === name && (n.namespace ?? '') === ns) return existing;
    }
    const added = ns === '' ? `, {"name": "${name}"}` : `, {"name": "${name}", "namespace": "${ns}"}`;
    return `${existing.slice(0, i)}${added}${existing.slice(i)}`;
  }
  for (const n of existing.split(',')) if (trimSpace(n) === network) return existing;
  return `${existing}, ${network}`;
}

/** Splits an image reference into its tag and digest (`name:tag@digest`; a registry port is no tag). */
function imageTagDigest(image: string): { tag: string; digest: string } {
  let rest = image;
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(':');
  return { tag: colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : '', digest };
}

/**
 * Istio 1.30.3's otelResourceAttributes: the OTEL_RESOURCE_ATTRIBUTES value for a pod when some
 * OpenTelemetry extension provider of the mesh config asks for serviceAttributeEnrichment
 * OTEL_SEMANTIC_CONVENTIONS, else "". Comma-joined, in this order: service.namespace (the
 * resource.opentelemetry.io annotation, else the namespace), service.version (annotation, else the
 * app.kubernetes.io/version label, else the tag and/or digest of a pod's only container),
 * service.instance.id (annotation, else `<namespace>.$(POD_NAME).<first container>`).
 */
function otelResourceAttributes(mc: GoValue, notes: GoValue, labels: GoValue, namespace: string, containers: GoValue): string {
  const members = mc instanceof GoPtr && mc.elem instanceof GoStruct ? (mc.elem.hidden as readonly JsonMember[] | undefined) ?? [] : [];
  const providers = members.find((m) => m.key === 'extensionProviders')?.value;
  const wanted = Array.isArray(providers) && providers.some((p) => {
    const otel = typeof p === 'object' && p !== null ? (p as Record<string, unknown>).opentelemetry : undefined;
    return typeof otel === 'object' && otel !== null && (otel as Record<string, unknown>).serviceAttributeEnrichment === 'OTEL_SEMANTIC_CONVENTIONS';
  });
  if (!wanted) return '';
  const get = (m: GoValue, k: string) => (m instanceof GoMap && m.m?.has(k) ? str(m.m.get(k) ?? '') : '');
  const list = containers instanceof GoSlice && containers.a ? containers.a : [];
  const field = (c: GoValue, i: number) => (c instanceof GoStruct ? str(c.f[i] ?? '') : '');
  const attrs: string[] = [];
  const ns = get(notes, 'resource.opentelemetry.io/service.namespace') || namespace;
  if (ns !== '') attrs.push(`service.namespace=${ns}`);
  let version = get(notes, 'resource.opentelemetry.io/service.version') || get(labels, 'app.kubernetes.io/version');
  if (version === '' && list.length === 1) {
    const { tag, digest } = imageTagDigest(field(list[0]!, containerImage));
    version = tag && digest ? `${tag}@${digest}` : digest || tag;
  }
  if (version !== '') attrs.push(`service.version=${version}`);
  const instance = get(notes, 'resource.opentelemetry.io/service.instance.id');
  if (instance !== '') attrs.push(`service.instance.id=${instance}`);
  else if (list.length > 0) attrs.push(`service.instance.id=${namespace}.$(POD_NAME).${field(list[0]!, containerName)}`);
  return attrs.join(',');
}

const istioEntries: [string, GoFunc][] = [
  ['formatDuration', fn([any], ([v]) => {
    const text = formatValue(v ?? null);
    const d = parseDuration(text);
    return d === undefined ? text : durationString(d);
  })],
  ['isset', fn([TMapString, s], ([m, k]) => (m instanceof GoMap && m.m !== null ? m.m.has(str(k)) : false))],
  ['excludeInboundPort', fn([any, s], ([p, e]) => excludeInboundPort(p ?? null, str(e)))],
  ['includeInboundPorts', fn([ContainerListType], ([c]) => tcpPorts(c ?? null, () => true))],
  ['kubevirtInterfaces', fn([s], ([v]) => str(v))],
  ['excludeInterfaces', fn([s], ([v]) => str(v))],
  ['applicationPorts', fn([ContainerListType], ([c]) => tcpPorts(c ?? null, (name) => name !== 'istio-proxy'))],
  ['annotation', fn([ObjectMetaType, s, any], ([meta, name, def]) => {
    const notes = meta instanceof GoStruct ? meta.f[annotationsIndex] : null;
    if (notes instanceof GoMap && notes.m?.has(str(name))) return String(notes.m.get(str(name)) ?? '');
    return formatValue(def ?? null);
  })],
  ['valueOrDefault', fn([any, any], ([v, d]) => (v === '' || v === null || v === undefined ? (d ?? null) : v))],
  ['toJSON', fn([TMapString], ([m]) => {
    if (!(m instanceof GoMap) || m.m === null) return '{}';
    return marshalJSON(m);
  })],
  ['fromJSON', fn([s], ([v]) => {
    try {
      return unmarshalJSON(str(v));
    } catch {
      return '{}';
    }
  })],
  ['structToJSON', fn([any], ([v]) => {
    if (v === null || v === undefined) return '{}';
    try {
      return marshalJSON(v);
    } catch {
      return '{}';
    }
  })],
  ['protoToJSON', fn([ProxyConfigPtrType], ([pc]) => proxyConfigToJSON(pc ?? null))],
  ['toYaml', fn([any], ([v]) => toYaml(v ?? null))],
  ['indent', fn([T.int, s], ([n, v]) => {
    const pad = ' '.repeat(Math.max(int(n), 0));
    return str(v).split('\n').map((line, k) => (k > 0 ? pad + line : line)).join('\n');
  })],
  ['directory', fn([s], ([p]) => {
    const v = str(p);
    return v.slice(0, v.lastIndexOf('/') + 1);
  })],
  ['contains', fn([s, s], ([needle, haystack]) => str(haystack).includes(str(needle)))],
  ['toLower', fn([s], ([v]) => mapCase(str(v), false))],
  ['appendMultusNetwork', fn([s, s], ([e, n]) => appendMultusNetwork(str(e), str(n)))],
  ['env', fn([s, s], ([k, d], ctx) => {
    const v = ctx.env[str(k)];
    return v !== undefined && v !== '' ? v : str(d);
  })],
  ['otelResourceAttributes', fn([ptrTo(MeshConfigType), TMapString, TMapString, s, ContainerListType],
    ([mc, notes, labels, ns, containers]) => otelResourceAttributes(mc ?? null, notes ?? null, labels ?? null, str(ns), containers ?? null))],
];

/** Istio's mergeMaps: a new map[string]string with later maps winning; nil when given no maps. */
function mergeStringMaps(maps: readonly GoValue[]): GoMap {
  if (maps.length === 0) return new GoMap(TMapString, null);
  const out = new Map<string, GoValue>();
  for (const m of maps) if (m instanceof GoMap && m.m) for (const [k, v] of m.m) out.set(k, v);
  return new GoMap(TMapString, out);
}

/**
 * Istio's omitNil: drops nil values from map[string]interface{} and []interface{} trees. A map or
 * list that holds no nil anywhere comes back as it is (even when empty); one that holds a nil is
 * copied without its nils and becomes nil itself when nothing is left.
 */
function omitNil(v: GoValue): GoValue {
  return stripNil(v)[0];
}

function stripNil(v: GoValue): [GoValue, boolean] {
  if (v === null) return [null, true];
  if (v instanceof GoMap && v.type === TMapAny && v.m) {
    if (![...v.m.values()].some((x) => stripNil(x)[1])) return [v, false];
    const out = new Map<string, GoValue>();
    for (const [k, x] of v.m) {
      const kept = omitNil(x);
      if (kept !== null) out.set(k, kept);
    }
    return [out.size === 0 ? null : new GoMap(TMapAny, out), true];
  }
  if (v instanceof GoSlice && v.type === TSliceAny && v.a) {
    if (!v.a.some((x) => stripNil(x)[1])) return [v, false];
    const out: GoValue[] = [];
    for (const x of v.a) {
      const kept = omitNil(x);
      if (kept !== null) out.push(kept);
    }
    return [out.length === 0 ? null : new GoSlice(TSliceAny, out), true];
  }
  return [v, false];
}

const gatewayEntries: [string, GoFunc][] = [
  ['omit', fn([TMapString], ([m, ...keys]) => {
    const drop = new Set(keys.map(str));
    const out = new Map<string, GoValue>();
    if (m instanceof GoMap && m.m) for (const [k, v] of m.m) if (!drop.has(k)) out.set(k, v);
    return new GoMap(TMapString, out);
  }, s)],
  ['strdict', fn([], (pairs) => {
    const out = new Map<string, GoValue>();
    for (let i = 0; i < pairs.length; i += 2) out.set(str(pairs[i]), i + 1 < pairs.length ? str(pairs[i + 1]) : '');
    return new GoMap(TMapString, out);
  }, s)],
  ['toJsonMap', fn([], (maps) => marshalJSON(mergeStringMaps(maps)), TMapString)],
  ['mergeMaps', fn([], (maps) => mergeStringMaps(maps), TMapString)],
  ['omitNil', fn([any], ([v]) => omitNil(v ?? null))],
];

/** Istio's helper functions, which replace sprig's of the same name. */
export const istioFuncs: FuncMap = new Map([...istioEntries, ...gatewayEntries]);
