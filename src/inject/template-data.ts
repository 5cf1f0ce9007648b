/**
 * Builds the data istiod executes injection templates over (pkg/kube/inject.SidecarTemplateData
 * at Istio 1.30) from its JSON form, as Go values for the template engine in ./gotmpl.
 *
 * The JSON form is the one test/inject/gotemplate/main.go accepts: top-level keys are Go field
 * names; TypeMeta, ObjectMeta and Spec are Kubernetes JSON (apiVersion, labels, containers,
 * ports[].containerPort); DeploymentMeta is types.NamespacedName ({Namespace, Name});
 * ProxyConfig and MeshConfig are protobuf JSON (lowerCamel names, enums as strings, wrapper types
 * as bare values); Values is the injector values map, whose numbers are float64 as in istiod.
 * Below the top level, keys match Go field names case-insensitively and unknown keys are ignored,
 * as encoding/json does; missing parts keep Go's zero values (nil maps, nil pointers, 0, "").
 */

import { DataError } from '../errors.js';
import {
  BoolValueType,
  ContainerListType,
  ContainerPortType,
  ContainerType,
  Int32ValueType,
  InterceptionModeType,
  type JsonMember,
  MeshConfigType,
  NamespacedNameType,
  ObjectMetaType,
  PodSpecType,
  ProxyConfigPtrType,
  ProxyConfigType,
  ProxyImageType,
  SidecarTemplateDataPtrType,
  SidecarTemplateDataType,
  TypeMetaType,
  interceptionModeNames,
} from './gotmpl/istio-types.js';
import { fromJsonValue } from './gotmpl/json.js';
import {
  GoMap,
  GoNum,
  GoPtr,
  GoSlice,
  GoStruct,
  type GoType,
  type GoValue,
  T,
  TMapAny,
  TMapString,
  TSliceString,
  ptrTo,
  sliceOf,
  zeroOf,
} from './gotmpl/values.js';

/** metav1.TypeMeta as JSON. */
export interface TypeMetaJson {
  kind?: string;
  apiVersion?: string;
}

/** types.NamespacedName as JSON (Go field names). */
export interface NamespacedNameJson {
  Namespace?: string;
  Name?: string;
}

/** The metav1.ObjectMeta fields of a pod template, as JSON. */
export interface ObjectMetaJson {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string> | null;
  annotations?: Record<string, string> | null;
}

/** corev1.ContainerPort as JSON. */
export interface ContainerPortJson {
  name?: string;
  hostPort?: number;
  containerPort?: number;
  protocol?: string;
  hostIP?: string;
}

/** The corev1.Container fields templates read, as JSON (other keys are ignored). */
export interface ContainerJson {
  name?: string;
  image?: string;
  command?: string[] | null;
  args?: string[] | null;
  ports?: ContainerPortJson[] | null;
  [other: string]: unknown;
}

/** The corev1.PodSpec fields templates read, as JSON (other keys are ignored). */
export interface PodSpecJson {
  initContainers?: ContainerJson[] | null;
  containers?: ContainerJson[] | null;
  serviceAccountName?: string;
  nodeName?: string;
  hostNetwork?: boolean;
  [other: string]: unknown;
}

/** meshconfig.ProxyConfig as protobuf JSON; every member is kept for protoToJSON. */
export type ProxyConfigJson = Record<string, unknown>;

/** meshconfig.MeshConfig as protobuf JSON. */
export type MeshConfigJson = Record<string, unknown>;

/** SidecarTemplateData as JSON (see the module comment). */
export interface SidecarTemplateDataJson {
  TypeMeta?: TypeMetaJson;
  DeploymentMeta?: NamespacedNameJson;
  ObjectMeta?: ObjectMetaJson;
  Spec?: PodSpecJson;
  ProxyConfig?: ProxyConfigJson | null;
  MeshConfig?: MeshConfigJson | null;
  Values?: Record<string, unknown> | null;
  Revision?: string;
  NativeSidecars?: boolean;
  ProxyImage?: string;
  ProxyUID?: number;
  ProxyGID?: number;
  InboundTrafficPolicyMode?: string;
  CompliancePolicy?: string;
}

// ---------------------------------------------------------------------------------------------
// Decoding, after encoding/json's rules for the Go types in ./gotmpl/istio-types.ts.

function fail(path: string, what: string, x: unknown): never {
  const got = x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x;
  throw new DataError(`template data: ${path}: cannot decode ${got} as ${what}`);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

type Decoder = (x: unknown, path: string) => GoValue;

function decodeString(x: unknown, path: string): GoValue {
  if (x === null || x === undefined) return '';
  if (typeof x !== 'string') fail(path, 'string', x);
  return x;
}

function decodeBool(x: unknown, path: string): GoValue {
  if (x === null || x === undefined) return false;
  if (typeof x !== 'boolean') fail(path, 'bool', x);
  return x;
}

function intDecoder(type: GoType, bits: number): Decoder {
  const max = 2 ** (bits - 1);
  return (x, path) => {
    if (x === null || x === undefined) return new GoNum(type, 0);
    if (typeof x !== 'number' || !Number.isInteger(x) || x < -max || x >= max) fail(path, type.str, x);
    return new GoNum(type, x);
  };
}

const decodeInt32 = intDecoder(T.int32, 32);
const decodeInt64 = intDecoder(T.int64, 64);

function decodeStringMap(x: unknown, path: string): GoValue {
  if (x === null || x === undefined) return new GoMap(TMapString, null);
  if (!isObject(x)) fail(path, 'map[string]string', x);
  const m = new Map<string, GoValue>();
  for (const [k, v] of Object.entries(x)) m.set(k, decodeString(v, `${path}.${k}`));
  return new GoMap(TMapString, m);
}

function decodeStringSlice(x: unknown, path: string): GoValue {
  if (x === null || x === undefined) return new GoSlice(TSliceString, null);
  if (!Array.isArray(x)) fail(path, '[]string', x);
  return new GoSlice(
    TSliceString,
    x.map((v, i) => decodeString(v, `${path}[${i}]`)),
  );
}

function sliceDecoder(type: GoType, elem: Decoder): Decoder {
  return (x, path) => {
    if (x === null || x === undefined) return new GoSlice(type, null);
    if (!Array.isArray(x)) fail(path, type.str, x);
    return new GoSlice(
      type,
      x.map((v, i) => elem(v, `${path}[${i}]`)),
    );
  };
}

/** Decodes a JSON object into a struct, matching keys to JSON names (or Go names) case-insensitively. */
function structDecoder(type: GoType, decoders: Readonly<Record<string, Decoder>>): Decoder {
  const fields = type.fields ?? [];
  const byName = new Map<string, number>();
  const byFold = new Map<string, number>();
  fields.forEach((f, i) => {
    if (!f.exported) return;
    const key = f.json?.name ?? f.name;
    byName.set(key, i);
    if (!byFold.has(key.toLowerCase())) byFold.set(key.toLowerCase(), i);
  });
  return (x, path) => {
    const values = fields.map((f) => zeroOf(f.type));
    if (x === null || x === undefined) return new GoStruct(type, values);
    if (!isObject(x)) fail(path, type.str, x);
    for (const [k, v] of Object.entries(x)) {
      const i = byName.get(k) ?? byFold.get(k.toLowerCase());
      if (i === undefined) continue;
      const f = fields[i]!;
      const decode = decoders[f.name];
      if (!decode) continue;
      if (v === null && (f.type.kind === 'struct' || f.type.kind === 'string' || f.type.kind === 'bool' || f.type.kind.startsWith('int'))) continue;
      values[i] = decode(v, `${path}.${k}`);
    }
    return new GoStruct(type, values);
  };
}

function ptrDecoder(type: GoType, elem: Decoder): Decoder {
  return (x, path) => (x === null || x === undefined ? new GoPtr(type, null) : new GoPtr(type, elem(x, path) as Exclude<GoValue, null>));
}

const decodeTypeMeta = structDecoder(TypeMetaType, { Kind: decodeString, APIVersion: decodeString });
const decodeNamespacedName = structDecoder(NamespacedNameType, { Namespace: decodeString, Name: decodeString });
const decodeObjectMeta = structDecoder(ObjectMetaType, {
  Name: decodeString,
  GenerateName: decodeString,
  Namespace: decodeString,
  UID: decodeString,
  Labels: decodeStringMap,
  Annotations: decodeStringMap,
});
const decodePort = structDecoder(ContainerPortType, {
  Name: decodeString,
  HostPort: decodeInt32,
  ContainerPort: decodeInt32,
  Protocol: decodeString,
  HostIP: decodeString,
});
const decodeContainer = structDecoder(ContainerType, {
  Name: decodeString,
  Image: decodeString,
  Command: decodeStringSlice,
  Args: decodeStringSlice,
  Ports: sliceDecoder(sliceOf(ContainerPortType), decodePort),
});
const decodeContainers = sliceDecoder(ContainerListType, decodeContainer);
const decodePodSpec = structDecoder(PodSpecType, {
  InitContainers: decodeContainers,
  Containers: decodeContainers,
  ServiceAccountName: decodeString,
  NodeName: decodeString,
  HostNetwork: decodeBool,
});

function decodeInterceptionMode(x: unknown, path: string): GoValue {
  if (x === null || x === undefined) return new GoNum(InterceptionModeType, 0);
  if (typeof x === 'string') {
    const i = interceptionModeNames.indexOf(x);
    if (i < 0) throw new DataError(`template data: ${path}: unknown interceptionMode ${JSON.stringify(x)}`);
    return new GoNum(InterceptionModeType, i);
  }
  if (typeof x === 'number' && Number.isInteger(x)) return new GoNum(InterceptionModeType, x);
  return fail(path, 'interceptionMode', x);
}

const decodeBoolValue = ptrDecoder(ptrTo(BoolValueType), (x, path) => new GoStruct(BoolValueType, [decodeBool(x, path)]));
const decodeInt32Value = ptrDecoder(ptrTo(Int32ValueType), (x, path) => new GoStruct(Int32ValueType, [decodeInt32(x, path)]));
const decodeProxyImage = ptrDecoder(ptrTo(ProxyImageType), structDecoder(ProxyImageType, { ImageType: decodeString }));

const decodeProxyConfigFields = structDecoder(ProxyConfigType, {
  ConfigPath: decodeString,
  BinaryPath: decodeString,
  ServiceCluster: decodeString,
  DiscoveryAddress: decodeString,
  ProxyAdminPort: decodeInt32,
  StatNameLength: decodeInt32,
  StatusPort: decodeInt32,
  Concurrency: decodeInt32Value,
  InterceptionMode: decodeInterceptionMode,
  ProxyMetadata: decodeStringMap,
  HoldApplicationUntilProxyStarts: decodeBoolValue,
  Image: decodeProxyImage,
});

/** *ProxyConfig, carrying the original members (in order) for protoToJSON. */
const decodeProxyConfig = ptrDecoder(ProxyConfigPtrType, (x, path) => {
  const s = decodeProxyConfigFields(x, path) as GoStruct;
  const members: JsonMember[] = isObject(x) ? Object.entries(x).map(([key, value]) => ({ key, value })) : [];
  return new GoStruct(ProxyConfigType, s.f, members);
});

const decodeMeshConfigFields = structDecoder(MeshConfigType, {
  ProxyListenPort: decodeInt32,
  ProxyInboundListenPort: decodeInt32,
  TrustDomain: decodeString,
  RootNamespace: decodeString,
  EnablePrometheusMerge: decodeBoolValue,
  DefaultConfig: decodeProxyConfig,
});

/** *MeshConfig, carrying the original members for helpers that read more of it (otelResourceAttributes). */
const decodeMeshConfig = ptrDecoder(ptrTo(MeshConfigType), (x, path) => {
  const s = decodeMeshConfigFields(x, path) as GoStruct;
  const members: JsonMember[] = isObject(x) ? Object.entries(x).map(([key, value]) => ({ key, value })) : [];
  return new GoStruct(MeshConfigType, s.f, members);
});

function decodeValues(x: unknown, path: string): GoValue {
  if (x === null || x === undefined) return new GoMap(TMapAny, null);
  if (!isObject(x)) fail(path, 'map[string]interface {}', x);
  return fromJsonValue(x);
}

const topLevel: Readonly<Record<string, Decoder>> = {
  TypeMeta: decodeTypeMeta,
  DeploymentMeta: decodeNamespacedName,
  ObjectMeta: decodeObjectMeta,
  Spec: decodePodSpec,
  ProxyConfig: decodeProxyConfig,
  MeshConfig: decodeMeshConfig,
  Values: decodeValues,
  Revision: decodeString,
  NativeSidecars: decodeBool,
  ProxyImage: decodeString,
  ProxyUID: decodeInt64,
  ProxyGID: decodeInt64,
  InboundTrafficPolicyMode: decodeString,
  CompliancePolicy: decodeString,
};

const decodeTopLevel = structDecoder(SidecarTemplateDataType, topLevel);

/**
 * Decodes the parts of SidecarTemplateData that every pod of one injector shares (`Values`, the mesh
 * config, its proxy config) once, by the identity of their JSON objects, instead of once per pod:
 * on a large kube-inject run the Values tree alone was converted thousands of times. As in istiod,
 * where every pod's data points at the injector's one Values map, pods then share these Go values;
 * the JSON objects must not change while the cache is in use.
 */
export class TemplateDataCache {
  private readonly decoded = new WeakMap<object, GoValue>();
  /** The top-level decoder with the shared parts looked up first. */
  readonly decode: Decoder = structDecoder(SidecarTemplateDataType, {
    ...topLevel,
    Values: this.shared(decodeValues),
    MeshConfig: this.shared(decodeMeshConfig),
    ProxyConfig: this.shared(decodeProxyConfig),
  });

  private shared(decode: Decoder): Decoder {
    return (x, path) => {
      if (!isObject(x)) return decode(x, path);
      let value = this.decoded.get(x);
      if (value === undefined) {
        value = decode(x, path);
        this.decoded.set(x, value);
      }
      return value;
    };
  }
}

/**
 * Returns istiod's SidecarTemplateData for the JSON form, as the `*inject.SidecarTemplateData`
 * value `Template.execute` takes. Fields behave like the Go structs: `.ObjectMeta.Annotations` is
 * a nil map[string]string when absent, `.ProxyConfig.InterceptionMode` an enum printing its name,
 * `.ProxyConfig.HoldApplicationUntilProxyStarts.GetValue` nil-safe, `.ProxyUID` an int64, `.Values`
 * a map[string]interface{} with float64 numbers. With `cache`, the shared parts are decoded once
 * per cache (see TemplateDataCache). Throws DataError for unknown top-level keys or values of the
 * wrong JSON type.
 */
export function toTemplateData(json: SidecarTemplateDataJson, cache?: TemplateDataCache): unknown {
  const unknownKeys = Object.keys(json).filter((k) => !(k in topLevel)).sort();
  if (unknownKeys.length > 0) {
    throw new DataError(`template data: unknown SidecarTemplateData field(s) ${unknownKeys.join(', ')}`);
  }
  return new GoPtr(SidecarTemplateDataPtrType, (cache?.decode ?? decodeTopLevel)(json, 'SidecarTemplateData') as GoStruct);
}

/** Returns a `*meshconfig.ProxyConfig` Go value for protobuf JSON (nil for null), as SidecarTemplateData holds it. Throws DataError on wrong JSON types. */
export function proxyConfigValue(json: ProxyConfigJson | null | undefined): unknown {
  return decodeProxyConfig(json ?? null, 'ProxyConfig');
}

/** Returns a `*meshconfig.MeshConfig` Go value for protobuf JSON (nil for null). Throws DataError on wrong JSON types. */
export function meshConfigValue(json: MeshConfigJson | null | undefined): unknown {
  return decodeMeshConfig(json ?? null, 'MeshConfig');
}
