/**
 * The Go types istiod's gateway deployment controller executes its templates over
 * (pilot/pkg/config/kube/gatewaycommon at Istio 1.30.3): `derivedInput` embeds `TemplateInput`,
 * which embeds `*gateway.Gateway` (sigs.k8s.io/gateway-api apis/v1), which embeds `TypeMeta` and
 * `ObjectMeta`. Templates rely on that embedding: `.Name`, `.Namespace` and `.UID` are the
 * Gateway's metadata fields promoted through two levels, `.Spec.Addresses` is the Gateway's spec.
 * Only the fields the shipped templates (and reasonable user templates) read are declared; field
 * order and JSON tags follow the upstream types.
 */

import { MeshConfigType, ObjectMetaType, ProxyConfigPtrType, TypeMetaType } from './istio-types.js';
import { type GoField, type GoMethod, type GoType, T, TMapAny, TMapString, ptrTo, sliceOf } from './values.js';

/** [name, type, json tag, embedded] of one struct field. */
type FieldSpec = readonly [name: string, type: GoType, json?: string, embedded?: boolean];

function declare(str: string, specs: readonly FieldSpec[]): GoType {
  const fields: GoField[] = specs.map(([name, type, tag, embedded]) => {
    const base = { name, type, exported: /^[A-Z]/.test(name), ...(embedded ? { embedded: true } : {}) };
    const [jsonName, ...opts] = (tag ?? '').split(',');
    // An embedded struct without a JSON name (`json:",inline"` included) is inlined by encoding/json.
    if (tag === undefined || (embedded && jsonName === '')) return base;
    return { ...base, json: { name: jsonName || name, omitEmpty: opts.includes('omitempty') } };
  });
  return { kind: 'struct', str, named: true, fields, methods: new Map<string, GoMethod>() };
}

const TStringPtr = ptrTo(T.string);

/** gateway.GatewaySpecAddress: `type` is a *AddressType (a named string). */
export const GatewayAddressType = declare('v1.GatewaySpecAddress', [
  ['Type', TStringPtr, 'type,omitempty'],
  ['Value', T.string, 'value'],
]);

/** gateway.Listener, without its TLS and AllowedRoutes parts. */
export const ListenerType = declare('v1.Listener', [
  ['Name', T.string, 'name'],
  ['Hostname', TStringPtr, 'hostname,omitempty'],
  ['Port', T.int32, 'port'],
  ['Protocol', T.string, 'protocol'],
]);

/** gateway.LocalParametersReference. */
export const LocalParametersReferenceType = declare('v1.LocalParametersReference', [
  ['Group', T.string, 'group'],
  ['Kind', T.string, 'kind'],
  ['Name', T.string, 'name'],
]);

/** gateway.GatewayInfrastructure. */
export const GatewayInfrastructureType = declare('v1.GatewayInfrastructure', [
  ['Labels', TMapString, 'labels,omitempty'],
  ['Annotations', TMapString, 'annotations,omitempty'],
  ['ParametersRef', ptrTo(LocalParametersReferenceType), 'parametersRef,omitempty'],
]);

/** gateway.GatewaySpec. */
export const GatewaySpecType = declare('v1.GatewaySpec', [
  ['GatewayClassName', T.string, 'gatewayClassName'],
  ['Listeners', sliceOf(ListenerType), 'listeners'],
  ['Addresses', sliceOf(GatewayAddressType), 'addresses,omitempty'],
  ['Infrastructure', ptrTo(GatewayInfrastructureType), 'infrastructure,omitempty'],
]);

/** gateway.Gateway: TypeMeta and ObjectMeta embedded, as in the API type. */
export const GatewayType = declare('v1.Gateway', [
  ['TypeMeta', TypeMetaType, ',inline', true],
  ['ObjectMeta', ObjectMetaType, 'metadata,omitempty', true],
  ['Spec', GatewaySpecType, 'spec'],
]);

/** *gateway.Gateway. */
export const GatewayPtrType = ptrTo(GatewayType);

/** corev1.ServicePort, without targetPort. */
export const ServicePortType = declare('v1.ServicePort', [
  ['Name', T.string, 'name,omitempty'],
  ['Protocol', T.string, 'protocol,omitempty'],
  ['AppProtocol', TStringPtr, 'appProtocol,omitempty'],
  ['Port', T.int32, 'port'],
  ['NodePort', T.int32, 'nodePort,omitempty'],
]);

/** gatewaycommon.TemplateInput: what the controller knows about one Gateway. */
export const GatewayTemplateInputType = declare('gatewaycommon.TemplateInput', [
  ['Gateway', GatewayPtrType, undefined, true],
  ['GatewayClass', T.string],
  ['DeploymentName', T.string],
  ['ServiceAccount', T.string],
  ['Ports', sliceOf(ServicePortType)],
  ['ServiceType', T.string],
  ['ClusterID', T.string],
  ['KubeVersion', T.int],
  ['Revision', T.string],
  ['NativeSidecars', T.bool],
  ['ProxyUID', T.int64],
  ['ProxyGID', T.int64],
  ['CompliancePolicy', T.string],
  ['InfrastructureLabels', TMapString],
  ['InfrastructureAnnotations', TMapString],
  ['GatewayNameLabel', T.string],
  ['IsEastWestGateway', T.bool],
  ['ControllerLabel', T.string],
]);

/** gatewaycommon.derivedInput: TemplateInput plus what the injection configuration adds. */
export const GatewayTemplateDataType = declare('gatewaycommon.derivedInput', [
  ['TemplateInput', GatewayTemplateInputType, undefined, true],
  ['ProxyImage', T.string],
  ['AgentgatewayImage', T.string],
  ['ProxyConfig', ProxyConfigPtrType],
  ['MeshConfig', ptrTo(MeshConfigType)],
  ['Values', TMapAny],
]);
