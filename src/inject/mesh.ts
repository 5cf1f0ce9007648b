/**
 * Mesh config as the injector sees it: Istio's defaults with the `mesh` YAML of the `istio`
 * ConfigMap (or `--meshConfigFile`) on top, and the per-pod `proxy.istio.io/config` annotation.
 * Shapes are protobuf JSON (lowerCamel field names, enums as names, durations as "45s").
 */
import { isObject, type JsonObject } from '../manifest/objects.js';
import { parseYamlText } from '../manifest/yaml-docs.js';

/**
 * Istio 1.30's default proxy config (`mesh.DefaultProxyConfig()` in pkg/config/mesh) in protobuf
 * JSON. Fields equal to these are left out of the sidecar's PROXY_CONFIG.
 */
export function defaultProxyConfig(): JsonObject {
  return {
    configPath: './etc/istio/proxy',
    binaryPath: '/usr/local/bin/envoy',
    serviceCluster: 'istio-proxy',
    drainDuration: '45s',
    terminationDrainDuration: '5s',
    discoveryAddress: 'istiod.istio-system.svc:15012',
    proxyAdminPort: 15000,
    controlPlaneAuthPolicy: 'MUTUAL_TLS',
    statNameLength: 189,
    statusPort: 15020,
    interceptionMode: 'REDIRECT',
  };
}

/** The mesh-config defaults the injection reads (`mesh.DefaultMeshConfig()`, Istio 1.30), protobuf JSON. */
export function defaultMeshConfig(): JsonObject {
  return {
    proxyListenPort: 15001,
    proxyInboundListenPort: 15006,
    trustDomain: 'cluster.local',
    rootNamespace: 'istio-system',
    enablePrometheusMerge: true,
    inboundTrafficPolicy: { mode: 'PASSTHROUGH' },
    defaultConfig: defaultProxyConfig(),
  };
}

/**
 * Returns `base` with `overlay` merged in as protobuf's JSON merge does for these messages:
 * nested messages and maps merge key by key, scalars and lists replace.
 */
export function mergeProto(base: JsonObject, overlay: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const prev = out[key];
    out[key] = isObject(prev) && isObject(value) ? mergeProto(prev, value) : value;
  }
  return out;
}

/**
 * Returns the full mesh config for a `mesh` YAML text: the defaults with the text's fields on top
 * (`defaultConfig` merged field by field, as istiod's ApplyMeshConfig does). Throws an Error naming
 * `source` when the text is not a YAML map.
 */
export function meshConfigFromYaml(text: string, source: string): JsonObject {
  const parsed: unknown = text.trim() === '' ? {} : parseYamlText(text);
  if (parsed !== null && parsed !== undefined && !isObject(parsed)) throw new Error(`${source}: mesh config must be a YAML map`);
  return mergeProto(defaultMeshConfig(), (parsed ?? {}) as JsonObject);
}

/**
 * Returns the mesh config with a pod's `proxy.istio.io/config` annotation (ProxyConfig YAML or
 * JSON) merged over `defaultConfig`. Throws an Error when the annotation is not a YAML map.
 */
export function applyProxyConfigAnnotation(mesh: JsonObject, annotation: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = parseYamlText(annotation);
  } catch (e) {
    throw new Error(`invalid value for annotation 'proxy.istio.io/config': ${(e as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return mesh;
  if (!isObject(parsed)) throw new Error(`invalid value for annotation 'proxy.istio.io/config': expected a ProxyConfig map`);
  const current = isObject(mesh.defaultConfig) ? mesh.defaultConfig : {};
  return { ...mesh, defaultConfig: mergeProto(current, parsed) };
}

/** Returns "localhost" or "passthrough" from `inboundTrafficPolicy.mode` (istiod's InboundTrafficPolicyMode). */
export function inboundTrafficPolicyMode(mesh: JsonObject): string {
  const policy = mesh.inboundTrafficPolicy;
  return isObject(policy) && policy.mode === 'LOCALHOST' ? 'localhost' : 'passthrough';
}
