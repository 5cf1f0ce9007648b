/**
 * The Go types of istiod's injection template data (pkg/kube/inject.SidecarTemplateData at
 * Istio 1.30), restricted to the fields and methods injection templates read, with istiod's own
 * type names (`v1.ContainerPort`, `*v1alpha1.ProxyConfig`). Field order and JSON tags follow the
 * upstream types, because `structToJSON`/`toJson` print them in that order with omitempty. A
 * field or method not declared here fails like a missing one in Go: "can't evaluate field X in
 * type Y".
 */

import {
  GoError,
  type GoField,
  type GoMethod,
  GoMap,
  GoNum,
  GoPtr,
  GoStruct,
  type GoType,
  type GoValue,
  T,
  TMapAny,
  TMapString,
  TSliceString,
  TSliceUint8,
  ptrTo,
  sliceOf,
} from './values.js';

type FieldSpec = readonly [name: string, type: GoType, json?: string];

function fields(specs: readonly FieldSpec[]): GoField[] {
  return specs.map(([name, type, tag]) => {
    const exported = /^[A-Z]/.test(name);
    if (tag === undefined) return { name, type, exported };
    const [jsonName, ...opts] = tag.split(',');
    return { name, type, exported, json: { name: jsonName || name, omitEmpty: opts.includes('omitempty') } };
  });
}

function structType(str: string, specs: readonly FieldSpec[]): GoType & { fields: GoField[]; methods: Map<string, GoMethod> } {
  return { kind: 'struct', str, named: true, fields: fields(specs), methods: new Map() };
}

/** Index of a field in a struct type. */
export function fieldIndex(t: GoType, name: string): number {
  const i = (t.fields ?? []).findIndex((f) => f.name === name);
  if (i < 0) throw new Error(`internal: no field ${name} in ${t.str}`);
  return i;
}

const unmarshalJSON: GoMethod = {
  params: [TSliceUint8],
  pointerReceiver: true,
  call: () => {
    throw new GoError('UnmarshalJSON is not callable from templates');
  },
};

/** metav1.TypeMeta. */
export const TypeMetaType = structType('v1.TypeMeta', [
  ['Kind', T.string, 'kind,omitempty'],
  ['APIVersion', T.string, 'apiVersion,omitempty'],
]);

/** types.NamespacedName (no JSON tags upstream). */
export const NamespacedNameType = structType('types.NamespacedName', [
  ['Namespace', T.string],
  ['Name', T.string],
]);

/** The metav1.ObjectMeta fields a pod template carries. */
export const ObjectMetaType = structType('v1.ObjectMeta', [
  ['Name', T.string, 'name,omitempty'],
  ['GenerateName', T.string, 'generateName,omitempty'],
  ['Namespace', T.string, 'namespace,omitempty'],
  ['UID', T.string, 'uid,omitempty'],
  ['Labels', TMapString, 'labels,omitempty'],
  ['Annotations', TMapString, 'annotations,omitempty'],
]);

/** corev1.ContainerPort, in upstream field order. */
export const ContainerPortType = structType('v1.ContainerPort', [
  ['Name', T.string, 'name,omitempty'],
  ['HostPort', T.int32, 'hostPort,omitempty'],
  ['ContainerPort', T.int32, 'containerPort'],
  ['Protocol', T.string, 'protocol,omitempty'],
  ['HostIP', T.string, 'hostIP,omitempty'],
]);

/** The corev1.Container fields injection templates read. */
export const ContainerType = structType('v1.Container', [
  ['Name', T.string, 'name'],
  ['Image', T.string, 'image,omitempty'],
  ['Command', TSliceString, 'command,omitempty'],
  ['Args', TSliceString, 'args,omitempty'],
  ['Ports', sliceOf(ContainerPortType), 'ports,omitempty'],
]);

/** []corev1.Container. */
export const ContainerListType = sliceOf(ContainerType);

/** The corev1.PodSpec fields injection templates read. */
export const PodSpecType = structType('v1.PodSpec', [
  ['InitContainers', ContainerListType, 'initContainers,omitempty'],
  ['Containers', ContainerListType, 'containers'],
  ['ServiceAccountName', T.string, 'serviceAccountName,omitempty'],
  ['NodeName', T.string, 'nodeName,omitempty'],
  ['HostNetwork', T.bool, 'hostNetwork,omitempty'],
]);

/** meshconfig.ProxyConfig_InboundInterceptionMode values, by number. */
export const interceptionModeNames: readonly string[] = ['REDIRECT', 'TPROXY', 'NONE'];

function interceptionModeString(v: GoValue): string {
  const n = v instanceof GoNum ? v.v : 0;
  return interceptionModeNames[n] ?? String(n);
}

/** meshconfig.ProxyConfig_InboundInterceptionMode: an int32 enum whose fmt form and String() are its name. */
export const InterceptionModeType: GoType = {
  kind: 'int32',
  str: 'v1alpha1.ProxyConfig_InboundInterceptionMode',
  named: true,
  stringer: interceptionModeString,
  methods: new Map<string, GoMethod>([
    ['String', { params: [], pointerReceiver: false, call: (recv) => interceptionModeString(recv) }],
    ['UnmarshalJSON', unmarshalJSON],
  ]),
};

function wrapperType(str: string, valueType: GoType): GoType & { fields: GoField[]; methods: Map<string, GoMethod> } {
  const t = structType(str, [['Value', valueType]]);
  t.methods.set('GetValue', {
    params: [],
    pointerReceiver: true,
    call: (recv) => (recv instanceof GoStruct ? (recv.f[0] ?? null) : valueType === T.bool ? false : new GoNum(valueType, 0)),
  });
  t.methods.set('UnmarshalJSON', unmarshalJSON);
  return t;
}

/** wrapperspb.BoolValue with its nil-safe GetValue. */
export const BoolValueType = wrapperType('wrapperspb.BoolValue', T.bool);
/** wrapperspb.Int32Value. */
export const Int32ValueType = wrapperType('wrapperspb.Int32Value', T.int32);

/** networking/v1beta1.ProxyImage. */
export const ProxyImageType = structType('v1beta1.ProxyImage', [['ImageType', T.string, 'imageType,omitempty']]);

/** One member of a protobuf JSON object, kept in document order for protoToJSON. */
export interface JsonMember {
  readonly key: string;
  readonly value: unknown;
}

/** The meshconfig.ProxyConfig fields injection templates read; the original members ride along (unexported). */
export const ProxyConfigType = structType('v1alpha1.ProxyConfig', [
  ['ConfigPath', T.string, 'configPath'],
  ['BinaryPath', T.string, 'binaryPath'],
  ['ServiceCluster', T.string, 'serviceCluster'],
  ['DiscoveryAddress', T.string, 'discoveryAddress'],
  ['ProxyAdminPort', T.int32, 'proxyAdminPort'],
  ['StatNameLength', T.int32, 'statNameLength'],
  ['StatusPort', T.int32, 'statusPort'],
  ['Concurrency', ptrTo(Int32ValueType), 'concurrency'],
  ['InterceptionMode', InterceptionModeType, 'interceptionMode'],
  ['ProxyMetadata', TMapString, 'proxyMetadata'],
  ['HoldApplicationUntilProxyStarts', ptrTo(BoolValueType), 'holdApplicationUntilProxyStarts'],
  ['Image', ptrTo(ProxyImageType), 'image'],
  ['raw', sliceOf(T.any)],
]);

/** *meshconfig.ProxyConfig. */
export const ProxyConfigPtrType = ptrTo(ProxyConfigType);

function getter(index: number, zero: () => GoValue): GoMethod {
  return { params: [], pointerReceiver: true, call: (recv) => (recv instanceof GoStruct ? (recv.f[index] ?? null) : zero()) };
}

ProxyConfigType.methods.set('UnmarshalJSON', unmarshalJSON);
ProxyConfigType.methods.set('GetProxyMetadata', getter(fieldIndex(ProxyConfigType, 'ProxyMetadata'), () => new GoMap(TMapString, null)));
ProxyConfigType.methods.set(
  'GetHoldApplicationUntilProxyStarts',
  getter(fieldIndex(ProxyConfigType, 'HoldApplicationUntilProxyStarts'), () => new GoPtr(ptrTo(BoolValueType), null)),
);
ProxyConfigType.methods.set('GetStatusPort', getter(fieldIndex(ProxyConfigType, 'StatusPort'), () => new GoNum(T.int32, 0)));

/** The meshconfig.MeshConfig fields injection templates read. */
export const MeshConfigType = structType('v1alpha1.MeshConfig', [
  ['ProxyListenPort', T.int32, 'proxyListenPort'],
  ['ProxyInboundListenPort', T.int32, 'proxyInboundListenPort'],
  ['TrustDomain', T.string, 'trustDomain'],
  ['RootNamespace', T.string, 'rootNamespace'],
  ['EnablePrometheusMerge', ptrTo(BoolValueType), 'enablePrometheusMerge'],
  ['DefaultConfig', ProxyConfigPtrType, 'defaultConfig'],
]);

MeshConfigType.methods.set('GetDefaultConfig', getter(fieldIndex(MeshConfigType, 'DefaultConfig'), () => new GoPtr(ProxyConfigPtrType, null)));
MeshConfigType.methods.set('GetTrustDomain', getter(fieldIndex(MeshConfigType, 'TrustDomain'), () => ''));

/** pkg/kube/inject.SidecarTemplateData. */
export const SidecarTemplateDataType = structType('inject.SidecarTemplateData', [
  ['TypeMeta', TypeMetaType],
  ['DeploymentMeta', NamespacedNameType],
  ['ObjectMeta', ObjectMetaType],
  ['Spec', PodSpecType],
  ['ProxyConfig', ProxyConfigPtrType],
  ['MeshConfig', ptrTo(MeshConfigType)],
  ['Values', TMapAny],
  ['Revision', T.string],
  ['NativeSidecars', T.bool],
  ['ProxyImage', T.string],
  ['ProxyUID', T.int64],
  ['ProxyGID', T.int64],
  ['InboundTrafficPolicyMode', T.string],
  ['CompliancePolicy', T.string],
]);

/** *inject.SidecarTemplateData: what istiod passes to Execute. */
export const SidecarTemplateDataPtrType = ptrTo(SidecarTemplateDataType);
