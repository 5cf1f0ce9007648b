/**
 * What istiod's gateway deployment controller does for one Gateway API `Gateway` (Istio 1.30.3,
 * pilot/pkg/config/kube/gatewaycommon): pick the class's template (`kube-gateway`, `waypoint`,
 * `agentgateway`), build the data the template runs over, execute it, apply the
 * infrastructure overlays (`spec.infrastructure.parametersRef` ConfigMap, class defaults), and
 * turn each rendered document into the object the controller server-side applies. Pure: the
 * cluster state the controller reads (GatewayClasses, ConfigMaps, existing objects, ProxyConfigs,
 * the Namespace) comes in as data, and the writes come back as data.
 */

import { parseAllDocuments } from 'yaml';
import { isObject, type Json, type JsonObject } from '../manifest/objects.js';
import { parseTemplate, type Template } from './gotmpl/index.js';
import {
  GatewayAddressType,
  GatewayInfrastructureType,
  GatewayPtrType,
  GatewaySpecType,
  GatewayTemplateDataType,
  GatewayTemplateInputType,
  ListenerType,
  LocalParametersReferenceType,
  ServicePortType,
} from './gotmpl/gateway-types.js';
import { ObjectMetaType, TypeMetaType } from './gotmpl/istio-types.js';
import { GoMap, GoNum, GoPtr, GoSlice, GoStruct, type GoType, type GoValue, T, TMapString, ptrTo, sliceOf, zeroOf } from './gotmpl/values.js';
import { fromJsonValue } from './gotmpl/json.js';
import { imageReference, proxyImageName } from './images.js';
import { defaultMeshConfig, defaultProxyConfig, mergeProto } from './mesh.js';
import { POD_MERGE_KEYS, strategicMerge } from './merge.js';
import { meshConfigValue, proxyConfigValue } from './template-data.js';

// ---------------------------------------------------------------------------------------------
// Gateway API shapes (the parts the controller reads).

/** A Gateway API listener. */
export interface GatewayListener {
  name: string;
  port: number;
  protocol: string;
  hostname?: string;
}

/** A `gateway.networking.k8s.io/v1` Gateway. */
export interface GatewayResource {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    gatewayClassName: string;
    listeners?: GatewayListener[];
    addresses?: { type?: string; value: string }[];
    infrastructure?: {
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
      parametersRef?: { group: string; kind: string; name: string };
    };
  };
}

/** A ConfigMap as the controller reads it (overlays, class defaults). */
export interface ConfigMapResource {
  metadata: { name: string; namespace: string; labels?: Record<string, string>; creationTimestamp?: string };
  data?: Record<string, string>;
}

/** A `networking.istio.io/v1beta1` ProxyConfig, in creation order within its namespace. */
export interface ProxyConfigResource {
  metadata: { name: string; namespace: string };
  spec: { selector?: { matchLabels?: Record<string, string> }; concurrency?: number; environmentVariables?: Record<string, string>; image?: { imageType?: string } };
}

/** An object that already exists where the controller would write (Deployment, Service, ...). */
export interface ExistingObject {
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string>; resourceVersion?: string };
  spec?: { selector?: Json; template?: { metadata?: { labels?: Record<string, string> } } };
}

// ---------------------------------------------------------------------------------------------
// Classes (classinfo.go).

/** How the controller treats Gateways of one controller name. */
export interface GatewayClassInfo {
  /** The GatewayClass controllerName. */
  controller: string;
  /** Value of the `gateway.istio.io/managed` label for this class; "" when none. */
  controllerLabel: string;
  /** Injection template rendering the deployment; "" when the class deploys nothing. */
  template: string;
  /** Service type unless the Gateway's `networking.istio.io/service-type` annotation says otherwise. */
  defaultServiceType: string;
  /** Whether objects are named after the Gateway alone (no `-<class>` suffix). */
  disableNameSuffix: boolean;
}

/** Feature flags of istiod that change what the controller does (their Istio 1.30.3 environment variables and defaults). */
export interface GatewayControllerFeatures {
  /** PILOT_ENABLE_AMBIENT (default false); PILOT_ENABLE_AMBIENT_WAYPOINTS follows it, enabling the `istio-waypoint` class. */
  ambient: boolean;
  /** AMBIENT_ENABLE_MULTI_NETWORK (default false, only with ambient): the `istio-east-west` class. */
  ambientMultiNetwork: boolean;
  /** PILOT_ENABLE_AGENTGATEWAY (default false): the `istio-agentgateway` class. */
  agentgateway: boolean;
  /** PILOT_MULTI_NETWORK_DISCOVER_GATEWAY_API (default true): the `istio-remote` class (deploys nothing). */
  multiNetworkGatewayAPI: boolean;
  /** PILOT_ENABLE_GATEWAY_API_COPY_LABELS_ANNOTATIONS (default true): without infrastructure metadata, copy the Gateway's own. */
  copyLabelsAnnotations: boolean;
  /** ENABLE_NATIVE_SIDECARS not "false" (default auto): `.NativeSidecars` of the template data. */
  nativeSidecars: boolean;
  /** PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME (default "istio"). */
  defaultClassName: string;
  /** PILOT_GATEWAY_API_CONTROLLER_NAME (default "istio.io/gateway-controller"). */
  controllerName: string;
}

/** Istio 1.30.3's defaults of {@link GatewayControllerFeatures}. */
export function defaultGatewayFeatures(): GatewayControllerFeatures {
  return {
    ambient: false,
    ambientMultiNetwork: false,
    agentgateway: false,
    multiNetworkGatewayAPI: true,
    copyLabelsAnnotations: true,
    nativeSidecars: true,
    defaultClassName: 'istio',
    controllerName: 'istio.io/gateway-controller',
  };
}

const MESH_CONTROLLER = 'istio.io/mesh-controller';
const EAST_WEST_CONTROLLER = 'istio.io/eastwest-controller';
const AGENTGATEWAY_CONTROLLER = 'istio.io/agentgateway-controller';
const UNMANAGED_CONTROLLER = 'istio.io/unmanaged-gateway';

/** Returns the built-in class names and their controllers, as the enabled features make them (GetAllClasses). */
export function builtinGatewayClasses(features: GatewayControllerFeatures): Map<string, string> {
  const out = new Map<string, string>([[features.defaultClassName, features.controllerName]]);
  if (features.multiNetworkGatewayAPI) out.set('istio-remote', UNMANAGED_CONTROLLER);
  if (features.ambient) out.set('istio-waypoint', MESH_CONTROLLER);
  if (features.ambient && features.ambientMultiNetwork) out.set('istio-east-west', EAST_WEST_CONTROLLER);
  if (features.agentgateway) out.set('istio-agentgateway', AGENTGATEWAY_CONTROLLER);
  return out;
}

/** Returns the class infos by controller name for the enabled features (GetClassInfos). */
export function gatewayClassInfos(features: GatewayControllerFeatures): Map<string, GatewayClassInfo> {
  const infos: GatewayClassInfo[] = [
    { controller: features.controllerName, controllerLabel: 'istio.io-gateway-controller', template: 'kube-gateway', defaultServiceType: 'LoadBalancer', disableNameSuffix: false },
  ];
  if (features.multiNetworkGatewayAPI) infos.push({ controller: UNMANAGED_CONTROLLER, controllerLabel: '', template: '', defaultServiceType: '', disableNameSuffix: false });
  if (features.ambient) infos.push({ controller: MESH_CONTROLLER, controllerLabel: 'istio.io-mesh-controller', template: 'waypoint', defaultServiceType: 'ClusterIP', disableNameSuffix: true });
  if (features.agentgateway) infos.push({ controller: AGENTGATEWAY_CONTROLLER, controllerLabel: 'istio.io-gateway-controller', template: 'agentgateway', defaultServiceType: 'LoadBalancer', disableNameSuffix: true });
  if (features.ambient && features.ambientMultiNetwork) {
    infos.push({ controller: EAST_WEST_CONTROLLER, controllerLabel: 'istio.io-eastwest-controller', template: 'waypoint', defaultServiceType: 'LoadBalancer', disableNameSuffix: true });
  }
  return new Map(infos.map((i) => [i.controller, i]));
}

// ---------------------------------------------------------------------------------------------
// The template input (TemplateInput and derivedInput).

/** Everything the controller knows besides the Gateway: its istiod, the cluster, the injection configuration. */
export interface GatewayControllerContext {
  /** Injection template name -> text (`config.templates` of the injector ConfigMap). */
  templates: Record<string, string>;
  /** Injector values (the `values` key of the injector ConfigMap), as istiod holds them. */
  values: JsonObject;
  /** Mesh config, protobuf JSON; Istio's defaults when absent. */
  mesh?: JsonObject;
  /** istiod's revision ("" for the default revision). */
  revision?: string;
  /** Revision tags pointing at this istiod; `default` makes it handle Gateways without `istio.io/rev`. */
  tags?: string[];
  /** Whether this istiod's revision is the default revision (the istiod-default-validator webhook names it). */
  defaultRevision?: boolean;
  /** Whether a `default` tag exists that points at another revision. */
  otherDefaultTag?: boolean;
  /** istiod's namespace, where class-default ConfigMaps live. */
  systemNamespace?: string;
  /** istiod's cluster ID (CLUSTER_ID, default "Kubernetes"). */
  clusterId?: string;
  /** The API server's version as major*100+minor digits joined (1.28 -> 128), as kube.GetVersionAsInt. */
  kubeVersion?: number;
  /** COMPLIANCE_POLICY. */
  compliancePolicy?: string;
  features?: Partial<GatewayControllerFeatures>;
  /** GatewayClass name -> controllerName of the GatewayClass objects in the cluster. */
  gatewayClasses?: Record<string, string>;
  /** The Gateway's Namespace (its OpenShift UID/group annotations decide the proxy's IDs). */
  namespace?: { metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> } };
  configMaps?: ConfigMapResource[];
  proxyConfigs?: ProxyConfigResource[];
  existing?: ExistingObject[];
  /** Listeners of the ListenerSets attached to (and accepted by) the Gateway. */
  listenerSetListeners?: GatewayListener[];
}

/** TemplateInput as plain data (its Go field names). */
export interface GatewayTemplateInput {
  Gateway: GatewayResource;
  GatewayClass: string;
  DeploymentName: string;
  ServiceAccount: string;
  Ports: { name: string; port: number; appProtocol: string }[];
  ServiceType: string;
  ClusterID: string;
  KubeVersion: number;
  Revision: string;
  NativeSidecars: boolean;
  ProxyUID: number;
  ProxyGID: number;
  CompliancePolicy: string;
  InfrastructureLabels: Record<string, string>;
  InfrastructureAnnotations: Record<string, string>;
  GatewayNameLabel: string;
  IsEastWestGateway: boolean;
  ControllerLabel: string;
}

const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';
const DATAPLANE_MODE = 'istio.io/dataplane-mode';
const NETWORK_LABEL = 'topology.istio.io/network';
const UID_RANGE = 'openshift.io/sa.scc.uid-range';
const SUPPLEMENTAL_GROUPS = 'openshift.io/sa.scc.supplemental-groups';

function obj(v: unknown): JsonObject {
  return isObject(v as Json) ? (v as JsonObject) : {};
}

/** An OpenShift ID block, "start/size" or "start-end"; its last ID, or undefined when malformed. */
function blockEnd(text: string): number | undefined {
  const m = /^\s*(\d+)\s*([/-])\s*(\d+)/.exec(text);
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = Number(m[3]);
  return m[2] === '/' ? a + b - 1 : b;
}

/** The proxy's UID and GID: 1337, or on OpenShift the top of the namespace's ranges (inject.GetProxyIDs). */
export function proxyIds(namespace?: { metadata: { annotations?: Record<string, string> } }): { uid: number; gid: number } {
  const notes = namespace?.metadata.annotations ?? {};
  let uid = 1337;
  let gid = 1337;
  const range = notes[UID_RANGE];
  if (range) uid = blockEnd(range) ?? uid;
  const groups = notes[SUPPLEMENTAL_GROUPS] || range;
  if (groups) {
    const ends = groups.split(',').map(blockEnd);
    if (ends.every((e) => e !== undefined) && ends.length > 0) gid = ends[0]!;
  }
  return { uid, gid };
}

function withoutGatewayApiKeys(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('gateway.networking.k8s.io/')));
}

/** Infrastructure labels or annotations: `spec.infrastructure`'s when given, else (when copying is on) the Gateway's own. */
function infrastructureMetadata(gw: GatewayResource, which: 'labels' | 'annotations', copy: boolean): Record<string, string> {
  const infra = gw.spec.infrastructure?.[which];
  if (infra) return withoutGatewayApiKeys(infra);
  if (!copy) return {};
  return { ...(gw.metadata[which] ?? {}) };
}

/** Service ports for the Gateway: the status port, then one per listener port (first listener wins). */
export function gatewayServicePorts(gw: GatewayResource, extra: readonly GatewayListener[] = []): GatewayTemplateInput['Ports'] {
  const ports: GatewayTemplateInput['Ports'] = [{ name: 'status-port', port: 15021, appProtocol: 'tcp' }];
  const seen = new Set<number>();
  [...(gw.spec.listeners ?? []), ...extra].forEach((l, i) => {
    if (seen.has(l.port)) return;
    seen.add(l.port);
    // Listener names allow dots and 253 characters; Service port names neither.
    let name = l.name.replaceAll('.', '-').slice(0, 63);
    if (name === '') name = `${l.protocol.toLowerCase()}-${i}`;
    ports.push({ name, port: l.port, appProtocol: l.protocol.toLowerCase() });
  });
  return ports;
}

/**
 * Returns the TemplateInput istiod builds for a Gateway of a class (configureIstioGateway): names
 * from the `gateway.istio.io/name-override` and `gateway.istio.io/service-account` annotations or
 * `<gateway>[-<class>]`, Service ports from the listeners, the Service type, the proxy's IDs, and
 * the infrastructure labels with the controller's overrides (ambient opt-out, network label).
 */
export function gatewayTemplateInput(gw: GatewayResource, info: GatewayClassInfo, ctx: GatewayControllerContext): GatewayTemplateInput {
  const features = { ...defaultGatewayFeatures(), ...ctx.features };
  const annotations = gw.metadata.annotations ?? {};
  const defaultName = info.disableNameSuffix ? gw.metadata.name : `${gw.metadata.name}-${gw.spec.gatewayClassName}`;
  const ids = proxyIds(ctx.namespace);
  const labels = infrastructureMetadata(gw, 'labels', features.copyLabelsAnnotations);
  const className = gw.spec.gatewayClassName;
  const isWaypoint = className.includes('waypoint');
  const isEastWest = className.includes('east-west');
  if (features.ambient && !isWaypoint && !isEastWest && !(DATAPLANE_MODE in (gw.metadata.labels ?? {})) && !(DATAPLANE_MODE in labels)) {
    // Gateways opt out of ambient redirection unless they ask for it.
    labels[DATAPLANE_MODE] = 'none';
  }
  const network = String(obj(ctx.values.global).network ?? '');
  if (network !== '' && (isWaypoint || isEastWest) && !(NETWORK_LABEL in (gw.metadata.labels ?? {}))) labels[NETWORK_LABEL] = network;
  return {
    Gateway: gw,
    GatewayClass: className,
    DeploymentName: annotations['gateway.istio.io/name-override'] || defaultName,
    ServiceAccount: annotations['gateway.istio.io/service-account'] || defaultName,
    Ports: gatewayServicePorts(gw, ctx.listenerSetListeners),
    ServiceType: annotations['networking.istio.io/service-type'] ?? info.defaultServiceType,
    ClusterID: ctx.clusterId ?? 'Kubernetes',
    KubeVersion: ctx.kubeVersion ?? -1,
    Revision: ctx.revision ?? '',
    NativeSidecars: features.nativeSidecars,
    ProxyUID: ids.uid,
    ProxyGID: ids.gid,
    CompliancePolicy: ctx.compliancePolicy ?? '',
    InfrastructureLabels: labels,
    InfrastructureAnnotations: infrastructureMetadata(gw, 'annotations', features.copyLabelsAnnotations),
    GatewayNameLabel: GATEWAY_NAME_LABEL,
    IsEastWestGateway: features.ambient && features.ambientMultiNetwork && info.controller === EAST_WEST_CONTROLLER,
    ControllerLabel: info.controllerLabel,
  };
}

/** The ProxyConfig fields a ProxyConfig resource carries over to the mesh's ProxyConfig. */
function proxyConfigFromResource(pc: ProxyConfigResource): JsonObject {
  const out: JsonObject = {};
  if (pc.spec.concurrency !== undefined) out.concurrency = pc.spec.concurrency;
  if (pc.spec.environmentVariables) out.proxyMetadata = pc.spec.environmentVariables;
  if (pc.spec.image) out.image = pc.spec.image;
  return out;
}

/**
 * Returns the effective ProxyConfig of a workload (protobuf JSON), lowest precedence first: Istio's
 * defaults, the mesh's `defaultConfig`, the root namespace's selector-less ProxyConfig, the
 * workload namespace's selector-less one, the first one whose selector matches the labels
 * (model.ProxyConfigs.EffectiveProxyConfig).
 */
export function effectiveProxyConfig(mesh: JsonObject, namespace: string, labels: Record<string, string>, resources: readonly ProxyConfigResource[] = []): JsonObject {
  let pc = mergeProto(defaultProxyConfig(), obj(mesh.defaultConfig));
  const root = String(mesh.rootNamespace ?? 'istio-system');
  const selectorless = (ns: string) => resources.find((r) => r.metadata.namespace === ns && Object.keys(r.spec.selector?.matchLabels ?? {}).length === 0);
  const global = selectorless(root);
  if (global) pc = mergeProto(pc, proxyConfigFromResource(global));
  if (namespace !== root) {
    const local = selectorless(namespace);
    if (local) pc = mergeProto(pc, proxyConfigFromResource(local));
  }
  const workload = resources.find((r) => {
    if (r.metadata.namespace !== namespace) return false;
    const match = Object.entries(r.spec.selector?.matchLabels ?? {});
    return match.length > 0 && match.every(([k, v]) => labels[k] === v);
  });
  if (workload) pc = mergeProto(pc, proxyConfigFromResource(workload));
  return pc;
}

// Go values ------------------------------------------------------------------------------------

function goStr(s: string | undefined): GoValue {
  return s ?? '';
}

function goStrPtr(s: string | undefined): GoValue {
  return new GoPtr(ptrTo(T.string), s === undefined ? null : s);
}

function goStringMap(m: Record<string, string> | undefined): GoValue {
  return new GoMap(TMapString, m === undefined ? null : new Map(Object.entries(m)));
}

function goStruct(type: GoType, values: Record<string, GoValue>): GoStruct {
  return new GoStruct(type, (type.fields ?? []).map((f) => (f.name in values ? values[f.name]! : zeroOf(f.type))));
}

function gatewayValue(gw: GatewayResource | null | undefined): GoValue {
  if (!gw) return new GoPtr(GatewayPtrType, null);
  const spec = gw.spec;
  const infra = spec.infrastructure;
  const ref = infra?.parametersRef;
  const gwStruct = goStruct(GatewayPtrType.elem!, {
    TypeMeta: goStruct(TypeMetaType, { Kind: goStr(gw.kind), APIVersion: goStr(gw.apiVersion) }),
    ObjectMeta: goStruct(ObjectMetaType, {
      Name: gw.metadata.name,
      Namespace: gw.metadata.namespace,
      UID: goStr(gw.metadata.uid),
      Labels: goStringMap(gw.metadata.labels),
      Annotations: goStringMap(gw.metadata.annotations),
    }),
    Spec: goStruct(GatewaySpecType, {
      GatewayClassName: spec.gatewayClassName,
      Listeners: new GoSlice(sliceOf(ListenerType), spec.listeners === undefined ? null : spec.listeners.map((l) => goStruct(ListenerType, {
        Name: l.name, Hostname: goStrPtr(l.hostname), Port: new GoNum(T.int32, l.port), Protocol: l.protocol,
      }))),
      Addresses: new GoSlice(sliceOf(GatewayAddressType), spec.addresses === undefined ? null : spec.addresses.map((a) => goStruct(GatewayAddressType, {
        Type: goStrPtr(a.type), Value: a.value,
      }))),
      Infrastructure: new GoPtr(ptrTo(GatewayInfrastructureType), infra === undefined ? null : goStruct(GatewayInfrastructureType, {
        Labels: goStringMap(infra.labels),
        Annotations: goStringMap(infra.annotations),
        ParametersRef: new GoPtr(ptrTo(LocalParametersReferenceType), ref === undefined ? null : goStruct(LocalParametersReferenceType, {
          Group: ref.group, Kind: ref.kind, Name: ref.name,
        })),
      })),
    }),
  });
  return new GoPtr(GatewayPtrType, gwStruct);
}

/** derivedInput as plain data: the TemplateInput fields and what the injection configuration adds, by Go field name. */
export interface GatewayTemplateDataJson extends GatewayTemplateInput {
  ProxyImage: string;
  AgentgatewayImage: string;
  /** Protobuf JSON. */
  ProxyConfig: JsonObject;
  /** Protobuf JSON. */
  MeshConfig: JsonObject;
  /** The injector values map. */
  Values: JsonObject;
}

/**
 * Returns derivedInput as plain data for a TemplateInput: the proxy image (global hub, tag and
 * variant, the ProxyConfig's image type, the `sidecar.istio.io/proxyImageType` annotation), the
 * agentgateway image (the `gateway.istio.io/agentgatewayImage` annotation as its type), the
 * ProxyConfig, the mesh config and the values.
 */
export function gatewayTemplateDataJson(input: GatewayTemplateInput, extra: { values: JsonObject; mesh: JsonObject; proxyConfig: JsonObject }): GatewayTemplateDataJson {
  const annotations = input.Gateway.metadata.annotations ?? {};
  return {
    ...input,
    ProxyImage: imageReference(extra.values, proxyImageName(extra.values), extra.proxyConfig, annotations['sidecar.istio.io/proxyImageType']),
    AgentgatewayImage: imageReference(extra.values, 'agentgateway', extra.proxyConfig, annotations['gateway.istio.io/agentgatewayImage']),
    ProxyConfig: extra.proxyConfig,
    MeshConfig: extra.mesh,
    Values: extra.values,
  };
}

/**
 * Returns the Go value istiod executes gateway templates over (gatewaycommon.derivedInput, with
 * TemplateInput and the Gateway embedded) for its plain-data form. Throws DataError when the
 * ProxyConfig or mesh config has wrong JSON types.
 */
export function gatewayTemplateData(data: GatewayTemplateDataJson): unknown {
  const templateInput = goStruct(GatewayTemplateInputType, {
    Gateway: gatewayValue(data.Gateway),
    GatewayClass: data.GatewayClass,
    DeploymentName: data.DeploymentName,
    ServiceAccount: data.ServiceAccount,
    Ports: new GoSlice(sliceOf(ServicePortType), data.Ports.map((p) => goStruct(ServicePortType, {
      Name: p.name, AppProtocol: goStrPtr(p.appProtocol), Port: new GoNum(T.int32, p.port),
    }))),
    ServiceType: data.ServiceType,
    ClusterID: data.ClusterID,
    KubeVersion: data.KubeVersion,
    Revision: data.Revision,
    NativeSidecars: data.NativeSidecars,
    ProxyUID: new GoNum(T.int64, data.ProxyUID),
    ProxyGID: new GoNum(T.int64, data.ProxyGID),
    CompliancePolicy: data.CompliancePolicy,
    InfrastructureLabels: goStringMap(data.InfrastructureLabels),
    InfrastructureAnnotations: goStringMap(data.InfrastructureAnnotations),
    GatewayNameLabel: data.GatewayNameLabel,
    IsEastWestGateway: data.IsEastWestGateway,
    ControllerLabel: data.ControllerLabel,
  });
  return goStruct(GatewayTemplateDataType, {
    TemplateInput: templateInput,
    ProxyImage: data.ProxyImage,
    AgentgatewayImage: data.AgentgatewayImage,
    ProxyConfig: proxyConfigValue(data.ProxyConfig) as GoValue,
    MeshConfig: meshConfigValue(data.MeshConfig) as GoValue,
    Values: fromJsonValue(data.Values),
  });
}


// ---------------------------------------------------------------------------------------------
// Rendering and applying.

/** The annotation in which istiod 1.30.3 records, on each Gateway it manages, the version of its controller. */
export const CONTROLLER_VERSION_ANNOTATION = 'gateway.istio.io/controller-version';
/** The controller version istiod 1.30.3 writes (1.18 and later); higher numbers belong to newer controllers. */
export const CONTROLLER_VERSION = 5;

/** What the controller did for one Gateway. */
export interface GatewayDeploymentResult {
  /** Why nothing was written, when nothing was: unknown class, not this revision, unmanaged, newer owner. */
  skipped?: string;
  /** The objects written, in order: the Gateway's version annotation (a status patch) first when needed, then each applied object. */
  writes: JsonObject[];
  /** A rendering or applying error; writes before it stay. */
  error?: string;
}

/** Whether the controller deploys for the Gateway's addresses: none, or exactly one IP address (gateway.IsManaged). */
export function isManagedGateway(gw: GatewayResource): boolean {
  const addresses = gw.spec.addresses ?? [];
  if (addresses.length === 0) return true;
  if (addresses.length > 1) return false;
  const t = addresses[0]!.type;
  return t === undefined || t === 'IPAddress';
}

/**
 * Whether this istiod handles the Gateway (revisions.TagWatcher.IsMine): the Gateway's
 * `istio.io/rev` label, else its namespace's (a Gateway whose namespace is unknown is handled),
 * names this revision or one of its tags; an empty choice is handled by the `default` tag, or by
 * the default revision when no `default` tag points elsewhere.
 */
function isMine(gw: GatewayResource, ctx: GatewayControllerContext): boolean {
  let selected = gw.metadata.labels?.['istio.io/rev'];
  if (selected === undefined) {
    if (!ctx.namespace) return true;
    selected = ctx.namespace.metadata.labels?.['istio.io/rev'] ?? '';
  }
  const mine = new Set([ctx.revision ?? '', ...(ctx.tags ?? [])]);
  return mine.has(selected) || (selected === '' && (mine.has('default') || (ctx.defaultRevision === true && ctx.otherDefaultTag !== true)));
}

/** Resolves the Gateway's class to its info: a GatewayClass object first, then the built-in classes. */
export function resolveGatewayClass(gw: GatewayResource, ctx: GatewayControllerContext): GatewayClassInfo | undefined {
  const features = { ...defaultGatewayFeatures(), ...ctx.features };
  const name = gw.spec.gatewayClassName;
  const controller = ctx.gatewayClasses?.[name] ?? builtinGatewayClasses(features).get(name);
  return controller === undefined ? undefined : gatewayClassInfos(features).get(controller);
}

const OVERLAY_KEYS: Readonly<Record<string, string>> = {
  Deployment: 'deployment',
  Service: 'service',
  ServiceAccount: 'serviceAccount',
  HorizontalPodAutoscaler: 'horizontalPodAutoscaler',
  PodDisruptionBudget: 'podDisruptionBudget',
};
/** Kinds rendered only when an overlay asks for them. */
const OPTIONAL_KINDS = new Set(['HorizontalPodAutoscaler', 'PodDisruptionBudget']);
const APPLIED_KINDS = new Set(['Deployment', 'DaemonSet', 'Service', 'ServiceAccount', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']);

/**
 * List merge keys per overlaid kind (the Kubernetes types' patchMergeKey tags): a Deployment's pod
 * template merges as a Pod; a Service's `ports` merge by `port`; a ServiceAccount's `secrets` by name.
 */
function mergeKeysFor(kind: string): Readonly<Record<string, string>> {
  switch (kind) {
    case 'Service':
      return { ports: 'port', ownerReferences: 'uid' };
    case 'ServiceAccount':
      return { secrets: 'name', imagePullSecrets: 'name', ownerReferences: 'uid' };
    case 'Deployment':
      return POD_MERGE_KEYS;
    default:
      return { ownerReferences: 'uid' };
  }
}

function metaOf(o: JsonObject): JsonObject {
  return obj(o.metadata);
}

const IDENTITY_FIELDS = ['name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

/** Applies the overlays to one rendered object; undefined when the object is optional and no overlay names it. Throws on illegal overlays. */
function applyOverlays(object: JsonObject, overlays: readonly Record<string, string>[]): JsonObject | undefined {
  const kind = String(object.kind ?? '');
  const key = OVERLAY_KEYS[kind];
  if (!key) throw new Error(`unknown overlay kind "${kind}"`);
  let out = object;
  let applied = false;
  for (const overlay of overlays) {
    for (const k of Object.keys(overlay)) {
      if (!Object.values(OVERLAY_KEYS).includes(k)) throw new Error(`unsupported overlay "${k}" (supported: ${Object.values(OVERLAY_KEYS).sort().join(' ')})`);
    }
    const text = overlay[key];
    if (text === undefined) continue;
    const patch = parseAllDocuments(text, { version: '1.1' })[0]?.toJS() as unknown;
    out = strategicMerge(out, isObject(patch as Json) ? (patch as JsonObject) : {}, mergeKeysFor(kind));
    applied = true;
  }
  if (!applied && OPTIONAL_KINDS.has(kind)) return undefined;
  const before = metaOf(object);
  const after = metaOf(out);
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  if (!IDENTITY_FIELDS.every((f) => same(before[f], after[f])) || !same(before.ownerReferences, after.ownerReferences)
    || !same(before.finalizers, after.finalizers) || before.managedFields !== undefined || after.managedFields !== undefined) {
    throw new Error('illegal metadata change');
  }
  return out;
}

/** The overlays for a Gateway: the class-defaults ConfigMap (oldest), then the parametersRef ConfigMap. Throws when the reference is bad. */
function overlaysFor(gw: GatewayResource, ctx: GatewayControllerContext): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  const maps = ctx.configMaps ?? [];
  const system = ctx.systemNamespace ?? '';
  const classDefaults = maps
    .filter((m) => (system === '' || m.metadata.namespace === system) && m.metadata.labels?.['gateway.istio.io/defaults-for-class'] === gw.spec.gatewayClassName)
    .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name));
  if (classDefaults[0]) out.push(classDefaults[0].data ?? {});
  const ref = gw.spec.infrastructure?.parametersRef;
  if (ref) {
    if (ref.kind !== 'ConfigMap' || ref.group !== '') throw new Error(`invalid parameters: unknown infrastructure parameters type ${ref.group}/${ref.kind}`);
    const cm = maps.find((m) => m.metadata.namespace === gw.metadata.namespace && m.metadata.name === ref.name);
    if (!cm) throw new Error(`parametersRef targeting configmap "${gw.metadata.namespace}/${ref.name}", but configmap does not exist`);
    out.push(cm.data ?? {});
  }
  return out;
}

/**
 * Returns the template data (plain form) istiod builds for a TemplateInput in a context: the
 * effective ProxyConfig of the Gateway's pods (selected by the gateway-name label), the mesh
 * config (Istio's defaults when the context has none) and the values.
 */
export function gatewayTemplateDataFor(input: GatewayTemplateInput, ctx: GatewayControllerContext): GatewayTemplateDataJson {
  const mesh = ctx.mesh ?? defaultMeshConfig();
  const proxyConfig = effectiveProxyConfig(mesh, input.Gateway.metadata.namespace, { [GATEWAY_NAME_LABEL]: input.Gateway.metadata.name }, ctx.proxyConfigs);
  return gatewayTemplateDataJson(input, { values: ctx.values, mesh, proxyConfig });
}

/** Splits template output into documents at `---` lines, dropping empty ones (yml.SplitString). */
function splitDocuments(text: string): string[] {
  return text.split(/\n---/).map((d) => d.trim()).filter((d) => d !== '');
}

/**
 * Renders the class's template for the Gateway and returns the objects after overlays, in
 * template order. Throws when the template is missing, fails, or an overlay is illegal (istiod
 * logs these and writes nothing).
 */
export function renderGatewayObjects(templateName: string, input: GatewayTemplateInput, ctx: GatewayControllerContext, compiled?: Template): JsonObject[] {
  const text = ctx.templates[templateName];
  if (text === undefined && !compiled) throw new Error(`no "${templateName}" template defined`);
  const template = compiled ?? parseTemplate(text!, templateName);
  const overlays = overlaysFor(input.Gateway, ctx);
  const printed = template.execute(gatewayTemplateData(gatewayTemplateDataFor(input, ctx)));
  const out: JsonObject[] = [];
  for (const doc of splitDocuments(printed)) {
    const parsed = parseAllDocuments(doc, { version: '1.1' })[0];
    if (parsed && parsed.errors.length > 0) throw new Error(parsed.errors[0]!.message);
    const value = parsed?.toJS() as unknown;
    if (!isObject(value as Json)) throw new Error('failed to find kind: rendered document is not a map');
    const result = applyOverlays(value as JsonObject, overlays);
    if (result) out.push(result);
  }
  return out;
}

/**
 * Returns what istiod's gateway deployment controller writes for a Gateway: the
 * controller-version annotation on the Gateway (when it is missing or older), then every object
 * the class's template renders, after overlays, labelled `gateway.istio.io/managed` with the
 * controller's name. Objects that exist without that label are left alone; an existing Deployment
 * selecting on the pre-1.24 `istio.io/gateway-name` label keeps its selector. Rendering errors
 * end the run with `error` set and the writes so far.
 */
export function reconcileGateway(gw: GatewayResource, ctx: GatewayControllerContext): GatewayDeploymentResult {
  const info = resolveGatewayClass(gw, ctx);
  if (!info) return { skipped: `unknown controller for class "${gw.spec.gatewayClassName}"`, writes: [] };
  if (!isMine(gw, ctx)) return { skipped: 'the Gateway is for another revision', writes: [] };
  if (info.template === '') return { skipped: 'the class deploys nothing', writes: [] };
  if (!isManagedGateway(gw)) return { skipped: 'the Gateway points at an existing deployment (addresses)', writes: [] };
  const writes: JsonObject[] = [];
  const current = gw.metadata.annotations?.[CONTROLLER_VERSION_ANNOTATION];
  if (current !== undefined) {
    const n = /^[+-]?\d+$/.test(current) ? Number(current) : NaN;
    if (Number.isNaN(n) || n > CONTROLLER_VERSION) return { skipped: `managed by controller version ${current}`, writes };
  }
  if (current === undefined || Number(current) < CONTROLLER_VERSION) {
    writes.push({
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway',
      metadata: { annotations: { [CONTROLLER_VERSION_ANNOTATION]: String(CONTROLLER_VERSION) } },
    });
  }
  const input = gatewayTemplateInput(gw, info, ctx);
  let objects: JsonObject[];
  try {
    objects = renderGatewayObjects(info.template, input, ctx);
  } catch (e) {
    return { writes, error: `error rendering templates: ${(e as Error).message}` };
  }
  for (const o of objects) {
    const applied = applyObject(info.controller, o, input, ctx);
    if (typeof applied === 'string') return { writes, error: `apply failed: ${applied}` };
    if (applied) writes.push(applied);
  }
  return { writes };
}

/** The object as server-side applied, undefined when an unmanaged object of that name exists, or an error text. */
function applyObject(controller: string, object: JsonObject, input: GatewayTemplateInput, ctx: GatewayControllerContext): JsonObject | undefined | string {
  const kind = String(object.kind ?? '');
  const meta = metaOf(object);
  if (!APPLIED_KINDS.has(kind)) return `unexpected object kind "${kind}"`;
  const gwNamespace = input.Gateway.metadata.namespace;
  if (meta.namespace !== gwNamespace) return `object namespace "${String(meta.namespace ?? '')}" does not match gateway namespace "${gwNamespace}"`;
  const name = String(meta.name ?? '');
  if (name !== input.DeploymentName && name !== input.ServiceAccount && !name.startsWith(input.Gateway.metadata.name)) {
    return `object name "${name}" does not match expected pattern`;
  }
  const out = structuredClone(object);
  const outMeta = metaOf(out);
  outMeta.labels = { ...obj(outMeta.labels), 'gateway.istio.io/managed': controller.replaceAll('/', '-') };
  out.metadata = outMeta;
  const existing = (ctx.existing ?? []).find((e) => e.kind === kind && e.metadata.name === name && e.metadata.namespace === gwNamespace);
  if (existing) {
    if (!('gateway.istio.io/managed' in (existing.metadata.labels ?? {}))) return undefined;
    if (existing.metadata.resourceVersion) outMeta.resourceVersion = existing.metadata.resourceVersion;
    const selector = obj(existing.spec?.selector);
    const oldLabel = obj(selector.matchLabels)['istio.io/gateway-name'];
    if (kind === 'Deployment' && typeof oldLabel === 'string' && oldLabel !== '') {
      // A Deployment's selector is immutable: keep the one a pre-1.24 istiod created.
      const spec = obj(out.spec);
      spec.selector = existing.spec!.selector!;
      const podMeta = obj(obj(spec.template).metadata);
      podMeta.labels = { ...obj(podMeta.labels), 'istio.io/gateway-name': existing.spec?.template?.metadata?.labels?.['istio.io/gateway-name'] ?? '' };
    }
  }
  return out;
}
