/**
 * The mesh config and mesh networks analysis runs with, as istiod and istioctl analyze build them:
 * Istio's defaults, with a mesh config YAML (`--meshConfigFile`, or the `mesh` key of the control
 * plane's `istio` ConfigMap) applied over them, and mesh networks from `--meshNetworksFile` or the
 * ConfigMap's `meshNetworks` key (empty by default). Shapes are protobuf JSON: lowerCamel field
 * names, enums as names, durations as strings such as "10s".
 */
import { DataError } from '../errors.js';
import { parseYamlDocuments, type SourceDocument } from '../manifest/yaml-docs.js';
import { assertValidMeshConfigDocument } from '../render/mesh-config-schema.js';
import { asList, asMap, type JsonMap, type Resource } from './resource.js';

/**
 * Returns Istio 1.30.3's default proxy config (`DefaultProxyConfig` in pkg/config/mesh/mesh.go),
 * protobuf JSON.
 */
export function defaultAnalysisProxyConfig(): JsonMap {
  return {
    configPath: './etc/istio/proxy',
    serviceCluster: 'istio-proxy',
    drainDuration: '45s',
    terminationDrainDuration: '5s',
    proxyAdminPort: 15000,
    controlPlaneAuthPolicy: 'MUTUAL_TLS',
    discoveryAddress: 'istiod.istio-system.svc:15012',
    binaryPath: '/usr/local/bin/envoy',
    statNameLength: 189,
    statusPort: 15020,
  };
}

/**
 * Returns Istio 1.30.3's default mesh config (`DefaultMeshConfig` in pkg/config/mesh/mesh.go),
 * protobuf JSON, a fresh object on every call.
 */
export function defaultAnalysisMeshConfig(): JsonMap {
  return {
    enableTracing: true,
    accessLogFile: '',
    accessLogEncoding: 'TEXT',
    accessLogFormat: '',
    enableEnvoyAccessLogService: false,
    protocolDetectionTimeout: '0s',
    ingressService: 'istio-ingressgateway',
    ingressControllerMode: 'STRICT',
    ingressClass: 'istio',
    trustDomain: 'cluster.local',
    trustDomainAliases: [],
    enableAutoMtls: true,
    outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
    inboundTrafficPolicy: { mode: 'PASSTHROUGH' },
    localityLbSetting: { enabled: true },
    certificates: [],
    defaultConfig: defaultAnalysisProxyConfig(),
    rootNamespace: 'istio-system',
    proxyListenPort: 15001,
    proxyInboundListenPort: 15006,
    connectTimeout: '10s',
    defaultServiceExportTo: ['*'],
    defaultVirtualServiceExportTo: ['*'],
    defaultDestinationRuleExportTo: ['*'],
    dnsRefreshRate: '60s',
    serviceSettings: [],
    enablePrometheusMerge: true,
    defaultProviders: {},
    extensionProviders: [
      { name: 'prometheus', prometheus: {} },
      { name: 'stackdriver', stackdriver: {} },
      { name: 'envoy', envoyFileAccessLog: { path: '/dev/stdout' } },
    ],
  };
}

/** Returns the default mesh networks: no networks (`DefaultMeshNetworks` in pkg/config/mesh). */
export function defaultMeshNetworks(): JsonMap {
  return { networks: {} };
}

/** protobuf JSON accepts a field's proto name (`ingress_service`) as well as its JSON name. */
function lowerCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Returns the map's entries with lowerCamel keys and without null values (jsonpb skips a null field). */
function normalized(map: JsonMap): [string, unknown][] {
  return Object.entries(map).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [lowerCamel(k), v]);
}

/** The extension provider kind is the one key besides `name`. */
function providerPayload(p: JsonMap): JsonMap {
  const out: JsonMap = {};
  for (const [k, v] of normalized(p)) if (k !== 'name') out[k] = v;
  return out;
}

/**
 * Returns `base` proxy config with `overlay` applied as Istio's MergeProxyConfig does: each field
 * given replaces the base's, except `proxyMetadata`, whose keys are merged, and `proxyHeaders`,
 * whose empty sub-fields keep the base's.
 */
export function mergeProxyConfig(base: JsonMap, overlay: JsonMap): JsonMap {
  const out: JsonMap = { ...base };
  for (const [k, v] of normalized(overlay)) {
    if (k === 'proxyMetadata') out[k] = { ...asMap(base.proxyMetadata), ...asMap(v) };
    else if (k === 'proxyHeaders' && base.proxyHeaders !== undefined) {
      const merged: JsonMap = { ...asMap(v) };
      for (const [hk, hv] of Object.entries(asMap(base.proxyHeaders))) if (merged[hk] === undefined) merged[hk] = hv;
      out[k] = merged;
    } else out[k] = v;
  }
  return out;
}

/**
 * Returns the mesh config for a parsed mesh config map, as Istio's ApplyMeshConfigDefaults builds
 * it: top-level fields replace the defaults' whole (lists and nested messages alike), except
 * `defaultConfig` (merged by mergeProxyConfig), `defaultProviders` (field by field),
 * `extensionProviders` (a provider named like a default one replaces its settings, others are
 * appended) and `trustDomainAliases` (united with the defaults', sorted, without repeats).
 */
export function applyMeshConfig(overlay: JsonMap): JsonMap {
  const out = defaultAnalysisMeshConfig();
  for (const [key, value] of normalized(overlay)) {
    switch (key) {
      case 'defaultConfig':
        out.defaultConfig = mergeProxyConfig(asMap(out.defaultConfig), asMap(value));
        break;
      case 'defaultProviders':
        out.defaultProviders = { ...asMap(out.defaultProviders), ...Object.fromEntries(normalized(asMap(value))) };
        break;
      case 'extensionProviders': {
        const providers = asList(out.extensionProviders).map((p) => ({ ...asMap(p) }));
        for (const given of asList(value)) {
          const p = asMap(given);
          const existing = providers.find((e) => e.name === p.name);
          if (existing) {
            for (const k of Object.keys(existing)) if (k !== 'name') delete existing[k];
            Object.assign(existing, providerPayload(p));
          } else providers.push({ ...(p.name !== undefined ? { name: p.name } : {}), ...providerPayload(p) });
        }
        out.extensionProviders = providers;
        break;
      }
      case 'trustDomainAliases':
        out.trustDomainAliases = [...new Set([...asList(value), ...asList(out.trustDomainAliases)].map(String))].sort();
        break;
      default:
        out[key] = value;
    }
  }
  return out;
}

/** Returns the first YAML map in `text` (`{}` when empty) and its document. Throws DataError naming `file` otherwise. */
function yamlMap(text: string, file: string, what: string): { map: JsonMap; document?: SourceDocument } {
  const document = parseYamlDocuments(text, file).find((d) => d.data !== null && d.data !== undefined);
  if (!document) return { map: {} };
  const data = document.data;
  if (typeof data !== 'object' || Array.isArray(data)) throw new DataError(`${file}: ${what} must be a YAML map`);
  return { map: data as JsonMap, document };
}

/**
 * Returns the mesh config of a mesh config YAML text (`--meshConfigFile`, or the `istio`
 * ConfigMap's `mesh` key) with Istio's defaults applied. Throws DataError (with `file:line:column`
 * where known) when the text is not YAML or not a map.
 */
export function meshConfigFromText(text: string, file: string): JsonMap {
  return applyMeshConfig(yamlMap(text, file, 'mesh config').map);
}

/**
 * Returns the mesh config of a mesh config file the user gave (`--meshConfigFile`) as
 * meshConfigFromText does, after checking it against Istio's MeshConfig (validateMeshConfig:
 * unknown and removed fields, wrong types, bad enum values and durations). Throws DataError with
 * `file:line:column` for a file that does not parse or does not pass.
 */
export function meshConfigFromFile(text: string, file: string): JsonMap {
  const document = parseYamlDocuments(text, file).find((d) => d.data !== null && d.data !== undefined);
  if (document) assertValidMeshConfigDocument(document);
  return meshConfigFromText(text, file);
}

/**
 * Returns the mesh networks of a MeshNetworks YAML text (`--meshNetworksFile`, or the `istio`
 * ConfigMap's `meshNetworks` key): `{networks: {<name>: {endpoints: [...], gateways: [...]}}}`.
 * Throws DataError when the text is not YAML, not a map, or its `networks` is not a map.
 */
export function meshNetworksFromText(text: string, file: string): JsonMap {
  return meshNetworksDocument(text, file).meshNetworks;
}

/**
 * Returns the mesh networks of a MeshNetworks YAML text as meshNetworksFromText does, with the
 * document they were read from (absent for an empty text), so findings can point into the file.
 */
export function meshNetworksDocument(text: string, file: string): { meshNetworks: JsonMap; document?: SourceDocument } {
  const { map, document } = yamlMap(text, file, 'mesh networks');
  const networks = map.networks ?? {};
  if (typeof networks !== 'object' || networks === null || Array.isArray(networks)) {
    throw new DataError(`${file}: mesh networks: "networks" must be a map of network names to networks`);
  }
  return { meshNetworks: { ...map, networks }, ...(document ? { document } : {}) };
}

/**
 * Returns the mesh networks as a resource for findings about them: kind `MeshNetworks`, named
 * `meshnetworks` in the control plane namespace, as Istio's analysis names them; file-backed (so
 * findings get `file:line:column`) when `document` is given.
 */
export function meshNetworksResource(meshNetworks: JsonMap, istioNamespace: string, document?: SourceDocument): Resource {
  return {
    key: 'MeshNetworks', group: '', version: 'v1alpha1', kind: 'MeshNetworks', namespace: istioNamespace, name: 'meshnetworks',
    object: meshNetworks, ...(document ? { source: { document, base: [] } } : {}),
  };
}
