/**
 * The Pilot component: istiod and everything it needs (per Istio 1.30.3 istio-discovery chart,
 * default values; facts in reference/istio-1.30.3-delta.md section 2).
 */
import { isObject, type Json, type JsonObject, type K8sObject } from '../../manifest/objects.js';
import { sortKeys } from '../../manifest/serialize.js';
import { emitYaml, emitYamlBlock } from '../../manifest/emit.js';
import { mergeOverlay } from '../tree.js';
import { chartLabels, imageRef, ownedLabels, stringMap, truthy, val, valMap, valStr, valTrue, type RenderContext } from '../context.js';
import { injectorValues, istiodChartValues, type IstiodValues } from '../istiod-values.js';
import { revisionStablePolicy } from './stable-policy.js';
import { chartInput } from '../chart-values.js';
import { gatewayControllerRules, istiodClusterRules, istiodNamespaceRules, readerClusterRules } from './rbac.js';

const RBAC = 'rbac.authorization.k8s.io';

/**
 * Returns true when the values put istiod in remote mode (no local control plane): `istiodRemote.enabled`, unless
 * the cluster is also the config cluster or keeps a local injector istiod (`istiodRemote.enabledLocalInjectorIstiod`).
 */
export function isRemote(ctx: RenderContext): boolean {
  return valTrue(ctx, 'istiodRemote.enabled') && !valTrue(ctx, 'global.configCluster') && !valTrue(ctx, 'istiodRemote.enabledLocalInjectorIstiod');
}

/**
 * Returns the context the Pilot component renders in: its values are the istiod chart's (see istiod-values.ts:
 * the chart's defaults and profile overlays under istioctl's values, with `pilot.*` also at the top), so
 * `pilot.X` reads what the chart's templates read as `.Values.X`. One meshctl rule is kept: an install namespace
 * other than istio-system is also the istio namespace unless the values name one.
 */
export function withChartValues(ctx: RenderContext): RenderContext {
  const { merged } = chartValues(ctx);
  return { ...ctx, config: { ...ctx.config, values: { ...ctx.config.values, ...merged, pilot: merged } } };
}

/** Returns the objects of the Pilot component, in no particular order (the caller sorts). */
export function renderPilot(ctx: RenderContext): K8sObject[] {
  const out: K8sObject[] = [];
  const remote = isRemote(ctx);
  const mcs = valStr(ctx, 'pilot.env.MCS_API_GROUP', 'multicluster.x-k8s.io');
  const istiodName = `istiod${ctx.suffix}`;
  const istiodLabels = { app: 'istiod', release: 'istio', 'app.kubernetes.io/name': 'istiod', ...chartLabels('istiod') };
  // Cluster-scoped names carry the component's namespace; the service accounts, the namespaced role and the
  // bindings' subjects live in global.istioNamespace (the install namespace unless set apart), as in the chart.
  const istioNamespace = valStr(ctx, 'global.istioNamespace', ctx.ns);

  // Reader RBAC exists in every mode; a remote cluster's reader also manages webhooks.
  if (val(ctx, 'global.enableReaderRBAC') !== false) {
    const name = `istio-reader-clusterrole${ctx.suffix}-${ctx.ns}`;
    const labels = { app: 'istio-reader', release: 'istio', 'app.kubernetes.io/name': 'istio-reader', ...chartLabels('istiod') };
    out.push(clusterRole(name, labels, readerClusterRules(valTrue(ctx, 'istiodRemote.enabled'), mcs)));
    out.push(clusterRoleBinding(name, labels, name, 'istio-reader-service-account', istioNamespace));
  }

  if (!remote) {
    const saAnnotations = stringMap(valMap(ctx, 'pilot.serviceAccountAnnotations'));
    out.push({
      apiVersion: 'v1', kind: 'ServiceAccount',
      metadata: { name: istiodName, namespace: istioNamespace, labels: istiodLabels, ...(Object.keys(saAnnotations).length ? { annotations: saAnnotations } : {}) },
      ...imagePullSecrets(ctx),
    });
    const pilotEnv = valMap(ctx, 'pilot.env');
    const certProvider = valStr(ctx, 'global.pilotCertProvider', 'istiod');
    const csr = truthy(pilotEnv.EXTERNAL_CA) || !['istiod', 'custom', 'none'].includes(certProvider);
    const crName = `istiod-clusterrole${ctx.suffix}-${ctx.ns}`;
    out.push(clusterRole(crName, istiodLabels, istiodClusterRules({
      enableAnalysis: valTrue(ctx, 'global.istiod.enableAnalysis'),
      taint: valTrue(ctx, 'pilot.taint.enabled'),
      certSigners: csr ? (val(ctx, 'global.certSigners') as string[] | undefined ?? []) : null,
      clusterTrustBundle: String(pilotEnv.ENABLE_CLUSTER_TRUST_BUNDLE_API) === 'true',
      mcsApiGroup: mcs,
    })));
    out.push(clusterRoleBinding(crName, istiodLabels, crName, istiodName, istioNamespace));
    if (String(pilotEnv.PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER) !== 'false') {
      const gwName = `istiod-gateway-controller${ctx.suffix}-${ctx.ns}`;
      out.push(clusterRole(gwName, istiodLabels, gatewayControllerRules()));
      out.push(clusterRoleBinding(gwName, istiodLabels, gwName, istiodName, istioNamespace));
    }
    out.push({ apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name: istiodName, namespace: istioNamespace, labels: istiodLabels }, rules: istiodNamespaceRules() });
    out.push({
      apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: istiodName, namespace: istioNamespace, labels: istiodLabels },
      roleRef: { apiGroup: RBAC, kind: 'Role', name: istiodName },
      subjects: [{ kind: 'ServiceAccount', name: istiodName, namespace: istioNamespace }],
    });
  }

  if (valTrue(ctx, 'pilot.configMap')) out.push(meshConfigMap(ctx));
  if (!valTrue(ctx, 'global.omitSidecarInjectorConfigMap')) out.push(injectorConfigMap(ctx));
  out.push(valuesConfigMap(ctx));
  // Unlike the workload, the network policy is rendered for a remote cluster too.
  if (valTrue(ctx, 'global.networkPolicy.enabled')) out.push(istiodNetworkPolicy(ctx));

  if (!remote) {
    out.push(istiodDeployment(ctx));
    out.push(istiodService(ctx));
    const jwks = jwksConfigMap(ctx);
    if (jwks) out.push(jwks);
    const hpa = istiodAutoscaler(ctx);
    if (hpa) out.push(hpa);
    const pdb = istiodDisruptionBudget(ctx);
    if (pdb) out.push(pdb);
  }
  out.push(...remoteIstiodObjects(ctx));
  if (!valTrue(ctx, 'global.operatorManageWebhooks')) out.push(injectorWebhook(ctx), ...revisionTagWebhooks(ctx));
  out.push(...revisionTagServices(ctx), ...gatewayClassConfigMaps(ctx));
  if (!remote && valTrue(ctx, 'global.configValidation')) out.push(validatingWebhook(ctx));
  if (!remote && valTrue(ctx, 'experimental.stableValidationPolicy') && ['all', 'namespace'].includes(valStr(ctx, 'global.resourceScope', 'all'))) {
    out.push(...revisionStablePolicy(ctx.rev, istioNamespace));
  }
  return out;
}

function imagePullSecrets(ctx: RenderContext): JsonObject {
  const secrets = val(ctx, 'global.imagePullSecrets');
  return Array.isArray(secrets) && secrets.length ? { imagePullSecrets: secrets.map((name) => ({ name })) } : {};
}

function clusterRole(name: string, labels: Record<string, string>, rules: Json[]): K8sObject {
  return { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name, labels }, rules };
}

function clusterRoleBinding(name: string, labels: Record<string, string>, role: string, sa: string, ns: string): K8sObject {
  return {
    apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name, labels },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role },
    subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
  };
}

function pilotLabels(ctx: RenderContext): Record<string, string> {
  return { ...ownedLabels(ctx, 'Pilot'), release: 'istio', 'app.kubernetes.io/name': 'istiod', ...chartLabels('istiod') };
}

/** Address of the discovery service proxies connect to: `istiod[-rev].<ns>.svc:15012`. */
export function discoveryAddress(ctx: RenderContext): string {
  return `istiod${ctx.suffix}.${ctx.ns}.svc:15012`;
}

/**
 * Returns the mesh config istiod starts with: the chart-built defaults (discovery address,
 * Prometheus metrics provider, root namespace, trust domain) with the user's meshConfig merged over.
 */
export function effectiveMeshConfig(ctx: RenderContext): JsonObject {
  const user = valMap(ctx, 'meshConfig');
  const istioNamespace = valStr(ctx, 'global.istioNamespace', ctx.ns);
  const defaultConfig: JsonObject = {};
  const meshID = valStr(ctx, 'global.meshID');
  if (meshID) defaultConfig.meshId = meshID;
  const variant = valStr(ctx, 'global.proxy.variant') || valStr(ctx, 'global.variant');
  if (variant) defaultConfig.image = { imageType: variant };
  const tracing = tracingConfig(ctx, istioNamespace);
  if (tracing !== undefined) defaultConfig.tracing = tracing;
  defaultConfig.discoveryAddress = discoveryAddressFor(ctx);
  const base: JsonObject = { defaultConfig, rootNamespace: istioNamespace, trustDomain: 'cluster.local' };
  // Default telemetry providers unless the mesh config names its own (an empty map counts as none).
  const telemetryOn = val(ctx, 'telemetry.enabled') !== false && val(ctx, 'telemetry.v2.enabled') !== false;
  const prometheus = !truthy(user.defaultProviders) && telemetryOn && val(ctx, 'telemetry.v2.prometheus.enabled') !== false;
  const stackdriver = !truthy(user.defaultProviders) && telemetryOn && valTrue(ctx, 'telemetry.v2.stackdriver.enabled');
  if (prometheus || stackdriver) {
    base.defaultProviders = { metrics: [...(prometheus ? ['prometheus'] : []), ...(stackdriver ? ['stackdriver'] : [])] };
    if (stackdriver) (base.defaultProviders as JsonObject).accessLogging = ['stackdriver'];
  }
  return mergeOverlay(base, user) as JsonObject;
}

/**
 * Returns the proxies' tracing settings for `global.proxy.tracer` (lightstep, zipkin, datadog, stackdriver; none
 * for `none`), with the chart's defaults (per Istio 1.30.3 istio-discovery configmap.yaml).
 */
function tracingConfig(ctx: RenderContext, istioNamespace: string): Json | undefined {
  const tracer = valStr(ctx, 'global.proxy.tracer', 'none');
  const num = (path: string, fallback: number): Json => {
    const v = val(ctx, path);
    return truthy(v) ? v! : fallback;
  };
  switch (tracer) {
    case 'none': return undefined;
    case 'lightstep':
      return { lightstep: { address: val(ctx, 'global.tracer.lightstep.address') ?? null, accessToken: val(ctx, 'global.tracer.lightstep.accessToken') ?? null } };
    case 'zipkin': return { zipkin: { address: valStr(ctx, 'global.tracer.zipkin.address', `zipkin.${istioNamespace}:9411`) } };
    case 'datadog': return { datadog: { address: valStr(ctx, 'global.tracer.datadog.address', '$(HOST_IP):8126') } };
    case 'stackdriver':
      return {
        stackdriver: {
          debug: truthy(val(ctx, 'global.tracer.stackdriver.debug')),
          maxNumberOfAttributes: num('global.tracer.stackdriver.maxNumberOfAttributes', 200),
          maxNumberOfAnnotations: num('global.tracer.stackdriver.maxNumberOfAnnotations', 200),
          maxNumberOfMessageEvents: num('global.tracer.stackdriver.maxNumberOfMessageEvents', 200),
        },
      };
    default: return null; // an unknown tracer leaves the chart's `tracing:` key empty
  }
}

/**
 * Returns the discovery address written into the mesh config: the local istiod's, or with
 * `global.remotePilotAddress` the Service that stands for the remote control plane (`istiod-remote` when a
 * local injector istiod keeps `istiod`), which carries no revision suffix.
 */
function discoveryAddressFor(ctx: RenderContext): string {
  if (!valStr(ctx, 'global.remotePilotAddress')) return discoveryAddress(ctx);
  const local = valTrue(ctx, 'istiodRemote.enabled') && valTrue(ctx, 'istiodRemote.enabledLocalInjectorIstiod');
  return `istiod${local ? '-remote' : ''}.${ctx.ns}.svc:15012`;
}

function yamlText(value: unknown): string {
  return emitYaml(value);
}

/**
 * Returns `value` as YAML without the final newline, as the chart writes its `|-` blocks; with it when the
 * document ends inside a block scalar, whose text would otherwise lose its last line break.
 */
function yamlBlock(value: unknown): string {
  return emitYamlBlock(value);
}

function meshConfigMap(ctx: RenderContext): K8sObject {
  const networks = valMap(ctx, 'global.meshNetworks');
  return {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: `istio${ctx.suffix}`, namespace: ctx.ns, labels: pilotLabels(ctx) },
    data: { mesh: yamlBlock(effectiveMeshConfig(ctx)), meshNetworks: yamlBlock({ networks }) },
  };
}

/**
 * Returns the istiod chart's values for the configuration. One meshctl rule is added to the merged values: an
 * install namespace other than istio-system is also the istio namespace unless the values name one (istioctl
 * would install into global.istioNamespace instead).
 */
function chartValues(ctx: RenderContext): IstiodValues {
  const values = istiodChartValues(ctx.assets.charts, chartInput(ctx.config));
  const global = values.merged.global;
  const userValues = ctx.config.userSpec.values;
  const userGlobal = isObject(userValues) && isObject(userValues.global) ? userValues.global : {};
  if (isObject(global) && userGlobal.istioNamespace === undefined && global.istioNamespace === 'istio-system' && ctx.config.namespace !== 'istio-system') {
    global.istioNamespace = ctx.config.namespace;
  }
  return values;
}

function injectorConfigMap(ctx: RenderContext): K8sObject {
  const hook = valMap(ctx, 'sidecarInjectorWebhook');
  const defaults = Array.isArray(hook.defaultTemplates) && hook.defaultTemplates.length ? hook.defaultTemplates : ['sidecar'];
  const userTemplates = isObject(hook.templates) ? hook.templates : {};
  const templates: JsonObject = {};
  for (const name of Object.keys(ctx.assets.injectionTemplates).sort()) templates[name] = ctx.assets.injectionTemplates[name]!;
  for (const [name, text] of Object.entries(userTemplates)) templates[name] = text;
  const config = {
    defaultTemplates: defaults,
    policy: valStr(ctx, 'global.proxy.autoInject', 'enabled'),
    alwaysInjectSelector: hook.alwaysInjectSelector ?? [],
    neverInjectSelector: hook.neverInjectSelector ?? [],
    // The chart lists the annotations under an `injectedAnnotations:` key, which stays null when there are none.
    injectedAnnotations: truthy(hook.injectedAnnotations) ? hook.injectedAnnotations! : null,
    // A template name istiod cannot resolve: an istiod older than the templates fails loudly instead of injecting wrongly.
    template: '{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}',
    templates,
  };
  return {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: `istio-sidecar-injector${ctx.suffix}`, namespace: ctx.ns, labels: pilotLabels(ctx) },
    data: { config: yamlText(config), values: JSON.stringify(sortKeys(injectorValues(chartValues(ctx).merged)), null, 2) },
  };
}

/** The `values` ConfigMap: what istioctl hands the istiod chart and what the chart renders with (see istiod-values.ts). */
function valuesConfigMap(ctx: RenderContext): K8sObject {
  const { original, merged } = chartValues(ctx);
  return {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: {
      name: `values${ctx.suffix}`, namespace: ctx.ns, labels: pilotLabels(ctx),
      // The annotation's text is the chart's (Istio 1.30.3 configmap-values.yaml): tools may match on it.
      annotations: { 'kubernetes.io/description': VALUES_CONFIGMAP_DESCRIPTION },
    },
    data: {
      'original-values': JSON.stringify(sortKeys(original), null, 2),
      'merged-values': JSON.stringify(sortKeys(merged), null, 2),
    },
  };
}

const VALUES_CONFIGMAP_DESCRIPTION = 'This ConfigMap contains the Helm values used during chart rendering. This ConfigMap is rendered for debugging purposes '
  + 'and external tooling; modifying these values has no effect.';

/** Returns the list at a values path (an empty list when unset or not a list). */
function listAt(ctx: RenderContext, path: string): Json[] {
  const v = val(ctx, path);
  return Array.isArray(v) ? v : [];
}

function fieldEnv(name: string, fieldPath: string, apiVersion = true): JsonObject {
  return { name, valueFrom: { fieldRef: apiVersion ? { apiVersion: 'v1', fieldPath } : { fieldPath } } };
}

function resourceEnv(name: string, resource: string): JsonObject {
  return { name, valueFrom: { resourceFieldRef: { resource, divisor: '1' } } };
}

/**
 * Returns a resources map with its empty values dropped, and `limits` / `requests` left out when nothing
 * remains (the charts' `istiod.resources` and `istio-ingress.resources` helpers).
 */
export function cleanResources(res: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key of ['limits', 'requests']) {
    const m = res[key];
    if (!isObject(m)) continue;
    const kept: JsonObject = {};
    for (const [k, v] of Object.entries(m)) if (v !== '' && v !== null) kept[k] = v;
    if (Object.keys(kept).length) out[key] = kept;
  }
  return out;
}

function istiodSelector(ctx: RenderContext): Record<string, string> {
  return ctx.rev ? { app: 'istiod', 'istio.io/rev': ctx.revLabel } : { istio: 'pilot' };
}

function istiodEnv(ctx: RenderContext): Json[] {
  const env: JsonObject[] = [
    { name: 'REVISION', value: ctx.revLabel },
    { name: 'PILOT_CERT_PROVIDER', value: valStr(ctx, 'global.pilotCertProvider', 'istiod') },
    fieldEnv('POD_NAME', 'metadata.name'),
    fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
    fieldEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    { name: 'KUBECONFIG', value: '/var/run/secrets/remote/config' },
  ];
  const userEnv = valMap(ctx, 'pilot.env');
  if (userEnv.CA_TRUSTED_NODE_ACCOUNTS === undefined) {
    const ztunnelNs = valStr(ctx, 'pilot.trustedZtunnelNamespace', ctx.ns);
    const ztunnelName = valStr(ctx, 'pilot.trustedZtunnelName', 'ztunnel');
    env.push({ name: 'CA_TRUSTED_NODE_ACCOUNTS', value: `${ztunnelNs}/${ztunnelName}` });
  }
  for (const key of Object.keys(userEnv).sort()) env.push({ name: key, value: String(userEnv[key]) });
  const envFrom = val(ctx, 'pilot.envVarFrom');
  if (Array.isArray(envFrom)) for (const e of envFrom) if (isObject(e)) env.push(e);
  const sampling = val(ctx, 'pilot.traceSampling');
  if (truthy(sampling)) env.push({ name: 'PILOT_TRACE_SAMPLING', value: String(sampling) });
  if (valTrue(ctx, 'pilot.taint.enabled')) {
    env.push({ name: 'PILOT_ENABLE_NODE_UNTAINT_CONTROLLERS', value: 'true' });
    env.push({ name: 'PILOT_NODE_UNTAINT_CONTROLLERS_TAINT_NAME', value: valStr(ctx, 'pilot.taint.name', 'cni.istio.io/not-ready') });
  }
  // An EXTERNAL_ISTIOD the user put in pilot.env is already listed above.
  if (valTrue(ctx, 'global.externalIstiod') && !truthy(userEnv.EXTERNAL_ISTIOD)) env.push({ name: 'EXTERNAL_ISTIOD', value: 'true' });
  const trustBundle = valStr(ctx, 'global.trustBundleName');
  if (trustBundle) env.push({ name: 'PILOT_CA_CERT_CONFIGMAP', value: trustBundle });
  const crl = valStr(ctx, 'pilot.crlConfigMapName');
  if (crl) env.push({ name: 'PILOT_CRL_CONFIGMAP', value: crl });
  env.push(
    { name: 'PILOT_ENABLE_ANALYSIS', value: String(valTrue(ctx, 'global.istiod.enableAnalysis')) },
    { name: 'CLUSTER_ID', value: valStr(ctx, 'global.multiCluster.clusterName', 'Kubernetes') },
    resourceEnv('GOMAXPROCS', 'limits.cpu'),
    { name: 'PLATFORM', value: valStr(ctx, 'global.platform') },
  );
  return env;
}

function istiodDeployment(ctx: RenderContext): K8sObject {
  const name = `istiod${ctx.suffix}`;
  const hub = valStr(ctx, 'pilot.hub') || valStr(ctx, 'global.hub');
  const tag = valStr(ctx, 'pilot.tag') || valStr(ctx, 'global.tag');
  const variant = valStr(ctx, 'pilot.variant') || valStr(ctx, 'global.variant');
  const args: string[] = ['discovery', '--monitoringAddr=:15014'];
  const level = valStr(ctx, 'global.logging.level');
  if (level) args.push(`--log_output_level=${level}`);
  if (valTrue(ctx, 'global.logAsJson')) args.push('--log_as_json');
  args.push('--domain', valStr(ctx, 'global.proxy.clusterDomain', 'cluster.local'));
  const cniNamespace = valStr(ctx, 'pilot.taint.namespace');
  if (cniNamespace) args.push(`--cniNamespace=${cniNamespace}`);
  args.push('--keepaliveMaxServerConnectionAge', valStr(ctx, 'pilot.keepaliveMaxServerConnectionAge', '30m'));
  const extraArgs = val(ctx, 'pilot.extraContainerArgs');
  if (Array.isArray(extraArgs)) args.push(...extraArgs.map(String));

  const jwksRootCA = valStr(ctx, 'pilot.jwksResolverExtraRootCA') !== '';
  const container: JsonObject = {
    name: 'discovery',
    image: imageRef(hub, valStr(ctx, 'pilot.image', 'pilot'), tag, variant),
    args,
    ports: [
      { containerPort: 8080, protocol: 'TCP', name: 'http-debug' },
      { containerPort: 15010, protocol: 'TCP', name: 'grpc-xds' },
      { containerPort: 15012, protocol: 'TCP', name: 'tls-xds' },
      { containerPort: 15017, protocol: 'TCP', name: 'https-webhooks' },
      { containerPort: 15014, protocol: 'TCP', name: 'http-monitoring' },
    ],
    readinessProbe: { httpGet: { path: '/ready', port: 8080 }, initialDelaySeconds: 1, periodSeconds: 3, timeoutSeconds: 5 },
    env: istiodEnv(ctx),
    resources: cleanResources(truthy(val(ctx, 'pilot.resources')) ? valMap(ctx, 'pilot.resources') : valMap(ctx, 'global.defaultResources')),
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      ...(truthy(val(ctx, 'pilot.seccompProfile')) ? { seccompProfile: valMap(ctx, 'pilot.seccompProfile') } : {}),
    },
    volumeMounts: [
      { name: 'istio-token', mountPath: '/var/run/secrets/tokens', readOnly: true },
      { name: 'local-certs', mountPath: '/var/run/secrets/istio-dns' },
      { name: 'cacerts', mountPath: '/etc/cacerts', readOnly: true },
      { name: 'istio-kubeconfig', mountPath: '/var/run/secrets/remote', readOnly: true },
      ...(jwksRootCA ? [{ name: 'extracacerts', mountPath: '/cacerts' }] : []),
      { name: 'istio-csr-dns-cert', mountPath: '/var/run/secrets/istiod/tls', readOnly: true },
      { name: 'istio-csr-ca-configmap', mountPath: '/var/run/secrets/istiod/ca', readOnly: true },
      ...listAt(ctx, 'pilot.volumeMounts'),
    ],
  };
  const pullPolicy = valStr(ctx, 'global.imagePullPolicy');
  if (pullPolicy) container.imagePullPolicy = pullPolicy;

  const clusterTrustBundle = String(valMap(ctx, 'pilot.env').ENABLE_CLUSTER_TRUST_BUNDLE_API) === 'true';
  const trustBundleName = valStr(ctx, 'global.trustBundleName');
  const podSpec: JsonObject = {
    serviceAccountName: name,
    tolerations: [{ key: 'cni.istio.io/not-ready', operator: 'Exists' }, ...((val(ctx, 'pilot.tolerations') as Json[] | undefined) ?? [])],
    containers: [container],
    volumes: [
      { name: 'local-certs', emptyDir: { medium: 'Memory' } },
      { name: 'istio-token', projected: { sources: [{ serviceAccountToken: { audience: valStr(ctx, 'global.sds.token.aud', 'istio-ca'), expirationSeconds: 43200, path: 'istio-token' } }] } },
      { name: 'cacerts', secret: { secretName: 'cacerts', optional: true } },
      { name: 'istio-kubeconfig', secret: { secretName: 'istio-kubeconfig', optional: true } },
      { name: 'istio-csr-dns-cert', secret: { secretName: 'istiod-tls', optional: true } },
      clusterTrustBundle
        ? { name: 'istio-csr-ca-configmap', projected: { sources: [{ clusterTrustBundle: { name: `istio.io:istiod-ca:${trustBundleName || 'root-cert'}`, path: 'root-cert.pem', optional: true } }] } }
        : { name: 'istio-csr-ca-configmap', configMap: { name: trustBundleName || 'istio-ca-root-cert', defaultMode: 420, optional: true } },
      ...(jwksRootCA ? [{ name: 'extracacerts', configMap: { name: `pilot-jwks-extra-cacerts${ctx.suffix}` } }] : []),
      ...listAt(ctx, 'pilot.volumes'),
    ],
  };
  const spread = val(ctx, 'pilot.topologySpreadConstraints');
  if (truthy(spread)) podSpec.topologySpreadConstraints = spread!;
  const initContainers = val(ctx, 'pilot.initContainers');
  if (truthy(initContainers)) podSpec.initContainers = initContainers!;
  const nodeSelector = valMap(ctx, 'pilot.nodeSelector');
  if (Object.keys(nodeSelector).length) podSpec.nodeSelector = nodeSelector;
  const priorityClass = valStr(ctx, 'global.priorityClassName');
  if (priorityClass) podSpec.priorityClassName = priorityClass;
  const affinity = val(ctx, 'pilot.affinity');
  if (truthy(affinity)) podSpec.affinity = affinity as Json;

  // istiod's own metrics are always scraped (unlike the gateways', which follow enablePrometheusMerge).
  const podAnnotations: Record<string, string> = { 'prometheus.io/port': '15014', 'prometheus.io/scrape': 'true', 'sidecar.istio.io/inject': 'false' };
  Object.assign(podAnnotations, stringMap(valMap(ctx, 'pilot.podAnnotations')));

  const spec: JsonObject = {
    strategy: { rollingUpdate: { maxSurge: valStr(ctx, 'pilot.rollingMaxSurge', '100%'), maxUnavailable: valStr(ctx, 'pilot.rollingMaxUnavailable', '25%') } },
    selector: { matchLabels: istiodSelector(ctx) },
    template: {
      metadata: {
        labels: {
          app: 'istiod', ...ownedLabels(ctx, 'Pilot'), 'sidecar.istio.io/inject': 'false', istio: ctx.rev ? 'istiod' : 'pilot',
          'istio.io/dataplane-mode': 'none', 'app.kubernetes.io/name': 'istiod', ...chartLabels('istiod'), ...stringMap(valMap(ctx, 'pilot.podLabels')),
        },
        annotations: podAnnotations,
      },
      spec: podSpec,
    },
  };
  if (!valTrue(ctx, 'pilot.autoscaleEnabled') && truthy(val(ctx, 'pilot.replicaCount'))) spec.replicas = val(ctx, 'pilot.replicaCount') as number;
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: {
      name, namespace: ctx.ns,
      labels: { app: 'istiod', ...ownedLabels(ctx, 'Pilot'), istio: 'pilot', release: 'istio', 'app.kubernetes.io/name': 'istiod', ...chartLabels('istiod'), ...stringMap(valMap(ctx, 'pilot.deploymentLabels')) },
      ...(truthy(val(ctx, 'pilot.deploymentAnnotations')) ? { annotations: stringMap(valMap(ctx, 'pilot.deploymentAnnotations')) } : {}),
    },
    spec,
  };
}

function istiodService(ctx: RenderContext): K8sObject {
  const annotations = stringMap(valMap(ctx, 'pilot.serviceAnnotations'));
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: {
      name: `istiod${ctx.suffix}`, namespace: ctx.ns,
      labels: { app: 'istiod', ...ownedLabels(ctx, 'Pilot'), istio: 'pilot', release: 'istio', 'app.kubernetes.io/name': 'istiod', ...chartLabels('istiod') },
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    spec: {
      ports: [
        { port: 15010, name: 'grpc-xds', protocol: 'TCP' },
        { port: 15012, name: 'https-dns', protocol: 'TCP' },
        { port: 443, name: 'https-webhook', targetPort: 15017, protocol: 'TCP' },
        { port: 15014, name: 'http-monitoring', protocol: 'TCP' },
      ],
      selector: ctx.rev ? { app: 'istiod', 'istio.io/rev': ctx.revLabel } : { app: 'istiod', istio: 'pilot' },
      ...serviceNetworking(ctx),
    },
  };
}

const IPV4 = /^([0-9]*\.){3}[0-9]*$/;
const IPV6 = /^([0-9a-fA-F]*:)+[0-9a-fA-F]*$/;

/**
 * Returns, for a remote cluster that knows its control plane's address (`istiodRemote.enabled` and
 * `global.remotePilotAddress`), the Service proxies and the injection webhook reach it through: an ExternalName
 * Service for a host name, or a Service backed by an EndpointSlice for an IP address (per Istio 1.30.3
 * remote-istiod-service.yaml and remote-istiod-endpointslices.yaml). With `istiodRemote.enabledLocalInjectorIstiod`
 * they are named `istiod[-rev]-remote`, leaving `istiod` to the local injector.
 */
function remoteIstiodObjects(ctx: RenderContext): K8sObject[] {
  const address = valStr(ctx, 'global.remotePilotAddress');
  if (!address || !valTrue(ctx, 'istiodRemote.enabled')) return [];
  const name = `istiod${ctx.suffix}${valTrue(ctx, 'istiodRemote.enabledLocalInjectorIstiod') ? '-remote' : ''}`;
  const isIP = IPV4.test(address) || IPV6.test(address);
  const spec: JsonObject = {
    ports: [{ port: 15012, name: 'tcp-istiod', protocol: 'TCP' }, { port: 443, targetPort: 15017, name: 'tcp-webhook', protocol: 'TCP' }],
  };
  if (!isIP) Object.assign(spec, { type: 'ExternalName', externalName: address });
  for (const key of ['ipFamilyPolicy', 'ipFamilies']) {
    const v = val(ctx, `global.${key}`);
    if (truthy(v)) spec[key] = v!;
  }
  const out: K8sObject[] = [{
    apiVersion: 'v1', kind: 'Service',
    metadata: { name, namespace: ctx.ns, labels: { 'istio.io/rev': ctx.revLabel, 'app.kubernetes.io/name': 'istiod', ...chartLabels('istiod') } },
    spec,
  }];
  if (isIP) {
    out.push({
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: {
        name, namespace: ctx.ns,
        labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/name': 'istiod', ...chartLabels('istiod') },
      },
      addressType: IPV4.test(address) ? 'IPv4' : 'IPv6',
      endpoints: [{ addresses: [address] }],
      ports: [{ port: 15012, name: 'tcp-istiod', protocol: 'TCP' }, { port: 15017, name: 'tcp-webhook', protocol: 'TCP' }],
    });
  }
  return out;
}

/** The istiod Service's optional `ipFamilyPolicy`, `ipFamilies` and `trafficDistribution` (per Istio 1.30.3 service.yaml). */
function serviceNetworking(ctx: RenderContext): JsonObject {
  const out: JsonObject = {};
  for (const key of ['ipFamilyPolicy', 'ipFamilies', 'trafficDistribution']) {
    const v = val(ctx, `pilot.${key}`);
    if (truthy(v)) out[key] = v!;
  }
  return out;
}

/** The ConfigMap with the extra root certificate istiod's JWKS resolver trusts, when one is set (per Istio 1.30.3 configmap-jwks.yaml). */
function jwksConfigMap(ctx: RenderContext): K8sObject | undefined {
  const pem = valStr(ctx, 'pilot.jwksResolverExtraRootCA');
  if (!pem) return undefined;
  const labels = { release: 'istio', ...ownedLabels(ctx, 'Pilot'), 'app.kubernetes.io/name': 'istiod', ...chartLabels('istiod') };
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `pilot-jwks-extra-cacerts${ctx.suffix}`, namespace: ctx.ns, labels }, data: { 'extra.pem': pem } };
}

function istiodAutoscaler(ctx: RenderContext): K8sObject | undefined {
  if (!valTrue(ctx, 'pilot.autoscaleEnabled') || !truthy(val(ctx, 'pilot.autoscaleMin')) || !truthy(val(ctx, 'pilot.autoscaleMax'))) return undefined;
  const name = `istiod${ctx.suffix}`;
  const spec: JsonObject = {
    maxReplicas: val(ctx, 'pilot.autoscaleMax') as number,
    minReplicas: val(ctx, 'pilot.autoscaleMin') as number,
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: (val(ctx, 'pilot.cpu.targetAverageUtilization') as number | undefined) ?? 80 } } }],
  };
  // A memory target adds a second metric (per Istio 1.30.3 istio-discovery autoscale.yaml).
  const memory = val(ctx, 'pilot.memory.targetAverageUtilization');
  if (truthy(memory)) (spec.metrics as Json[]).push({ type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: memory! } } });
  if (truthy(val(ctx, 'pilot.autoscaleBehavior'))) spec.behavior = val(ctx, 'pilot.autoscaleBehavior') as Json;
  return {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: ctx.ns, labels: { app: 'istiod', release: 'istio', ...ownedLabels(ctx, 'Pilot'), 'app.kubernetes.io/name': 'istiod', ...chartLabels('istiod') } },
    spec,
  };
}

function istiodDisruptionBudget(ctx: RenderContext): K8sObject | undefined {
  if (!valTrue(ctx, 'global.defaultPodDisruptionBudget.enabled')) return undefined;
  const autoscale = valTrue(ctx, 'pilot.autoscaleEnabled');
  const many = autoscale ? Number(val(ctx, 'pilot.autoscaleMin') ?? 1) > 1 : Number(val(ctx, 'pilot.replicaCount') ?? 1) > 1;
  if (!many) return undefined;
  return {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget',
    metadata: {
      name: `istiod${ctx.suffix}`, namespace: ctx.ns,
      labels: { app: 'istiod', ...ownedLabels(ctx, 'Pilot'), istio: 'pilot', release: 'istio', 'app.kubernetes.io/name': 'istiod', ...chartLabels('istiod') },
    },
    // Unlike the Deployment's selector, the budget's always names app: istiod.
    spec: { ...disruptionBudgetSpec(ctx), selector: { matchLabels: { app: 'istiod', ...(ctx.rev ? { 'istio.io/rev': ctx.rev } : { istio: 'pilot' }) } } },
  };
}

/**
 * Returns the budget of istiod's PodDisruptionBudget from `pilot.pdb` (per Istio 1.30.3 poddisruptionbudget.yaml):
 * `minAvailable` (default 1) unless `maxUnavailable` is given, and `unhealthyPodEvictionPolicy` when set.
 */
function disruptionBudgetSpec(ctx: RenderContext): JsonObject {
  const pdb = valMap(ctx, 'pilot.pdb');
  const min = 'minAvailable' in pdb ? pdb.minAvailable : 1;
  const out: JsonObject = {};
  if (truthy(min) && !('maxUnavailable' in pdb)) out.minAvailable = min!;
  else if (truthy(pdb.maxUnavailable)) out.maxUnavailable = pdb.maxUnavailable!;
  if (truthy(pdb.unhealthyPodEvictionPolicy)) out.unhealthyPodEvictionPolicy = pdb.unhealthyPodEvictionPolicy!;
  return out;
}

const IGNORED_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage'];

function expr(key: string, operator: string, values?: string[]): JsonObject {
  return values ? { key, operator, values } : { key, operator };
}

/**
 * Returns the injection webhooks that send pods selecting `selector` (a revision or a revision tag) to this
 * istiod; with `forDefault` also those for pods and namespaces that name no revision (per Istio 1.30.3
 * mutatingwebhook.yaml and revision-tags-mwc.yaml).
 */
function injectionWebhooks(ctx: RenderContext, selector: string, forDefault: boolean): JsonObject[] {
  const url = valStr(ctx, 'istiodRemote.injectionURL');
  const path = valStr(ctx, 'istiodRemote.injectionPath', '/inject');
  const clientConfig: JsonObject = url ? { url } : { service: { name: `istiod${ctx.suffix}`, namespace: ctx.ns, path, port: 443 } };
  const caBundle = valStr(ctx, 'istiodRemote.injectionCABundle');
  if (caBundle) clientConfig.caBundle = caBundle;
  const common = (name: string, namespaceSelector: Json[], objectSelector: Json[]): JsonObject => ({
    name,
    clientConfig: structuredClone(clientConfig),
    sideEffects: 'None',
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
    failurePolicy: 'Fail',
    reinvocationPolicy: valStr(ctx, 'sidecarInjectorWebhook.reinvocationPolicy', 'Never'),
    admissionReviewVersions: ['v1'],
    namespaceSelector: { matchExpressions: namespaceSelector },
    objectSelector: { matchExpressions: objectSelector },
  });
  const notFalse = expr('sidecar.istio.io/inject', 'NotIn', ['false']);
  const webhooks: JsonObject[] = [
    common('rev.namespace.sidecar-injector.istio.io', [expr('istio.io/rev', 'In', [selector]), expr('istio-injection', 'DoesNotExist')], [notFalse]),
    common('rev.object.sidecar-injector.istio.io', [expr('istio.io/rev', 'DoesNotExist'), expr('istio-injection', 'DoesNotExist')], [notFalse, expr('istio.io/rev', 'In', [selector])]),
  ];
  if (forDefault) {
    webhooks.push(
      common('namespace.sidecar-injector.istio.io', [expr('istio-injection', 'In', ['enabled'])], [notFalse]),
      common('object.sidecar-injector.istio.io', [expr('istio-injection', 'DoesNotExist'), expr('istio.io/rev', 'DoesNotExist')],
        [expr('sidecar.istio.io/inject', 'In', ['true']), expr('istio.io/rev', 'DoesNotExist')]),
    );
    if (valTrue(ctx, 'sidecarInjectorWebhook.enableNamespacesByDefault')) {
      webhooks.push(common('auto.sidecar-injector.istio.io',
        [expr('istio-injection', 'DoesNotExist'), expr('istio.io/rev', 'DoesNotExist'), expr('kubernetes.io/metadata.name', 'NotIn', IGNORED_NAMESPACES)],
        [expr('sidecar.istio.io/inject', 'DoesNotExist'), expr('istio.io/rev', 'DoesNotExist')]));
    }
  }
  return webhooks;
}

function injectorWebhookConfiguration(ctx: RenderContext, name: string, extraLabels: Record<string, string>, webhooks: JsonObject[]): K8sObject {
  const annotations = stringMap(valMap(ctx, 'pilot.sidecarInjectorWebhookAnnotations'));
  return {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration',
    metadata: {
      name, labels: { ...extraLabels, ...ownedLabels(ctx, 'Pilot'), app: 'sidecar-injector', release: 'istio', 'app.kubernetes.io/name': 'istiod', ...chartLabels('istiod') },
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    webhooks,
  };
}

function injectorWebhook(ctx: RenderContext): K8sObject {
  const name = `istio-sidecar-injector${ctx.suffix}${ctx.ns === 'istio-system' ? '' : `-${ctx.ns}`}`;
  return injectorWebhookConfiguration(ctx, name, {}, injectionWebhooks(ctx, ctx.revLabel, !ctx.rev));
}

/**
 * Returns one ConfigMap per entry of `gatewayClasses` (class name -> kind -> overlay), holding the defaults istiod
 * applies to the resources it deploys for Gateways of that class, each kind's overlay as YAML text (per Istio
 * 1.30.3 gateway-class-configmap.yaml).
 */
function gatewayClassConfigMaps(ctx: RenderContext): K8sObject[] {
  return sortedKeys(valMap(ctx, 'gatewayClasses')).map((cls) => {
    const kinds = valMap(ctx, `gatewayClasses.${cls.replaceAll('.', '\\.')}`);
    const data: Record<string, string> = {};
    for (const kind of sortedKeys(kinds)) data[kind] = emitYaml(kinds[kind]);
    return {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: {
        name: `istio-${ctx.revLabel}-gatewayclass-${cls}`, namespace: ctx.ns,
        labels: { ...pilotLabels(ctx), 'gateway.istio.io/defaults-for-class': cls },
      },
      data,
    };
  });
}

function sortedKeys(m: JsonObject): string[] {
  return Object.keys(m).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Returns istiod's NetworkPolicy (with `global.networkPolicy.enabled`): in, the webhook port and the xDS,
 * debug and monitoring ports; out, anything (per Istio 1.30.3 istio-discovery networkpolicy.yaml).
 */
function istiodNetworkPolicy(ctx: RenderContext): K8sObject {
  const tcp = (port: number) => ({ protocol: 'TCP', port });
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
    metadata: {
      name: `istiod${ctx.suffix}`, namespace: ctx.ns,
      labels: { app: 'istiod', ...ownedLabels(ctx, 'Pilot'), istio: 'pilot', release: 'istio', 'app.kubernetes.io/name': 'istiod', ...chartLabels('istiod') },
    },
    spec: {
      podSelector: { matchLabels: { app: 'istiod', 'istio.io/rev': ctx.revLabel } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ ports: [tcp(15017)] }, { ports: [15010, 15011, 15012, 8080, 15014].map(tcp) }],
      egress: [{}],
    },
  };
}

/** The names in `revisionTags`, as strings. */
function revisionTags(ctx: RenderContext): string[] {
  const tags = val(ctx, 'revisionTags');
  return Array.isArray(tags) ? tags.map(String) : [];
}

/**
 * Returns, per revision tag, the injection webhook configuration `istio-revision-tag-<tag>` that sends pods of
 * the tag to this revision (the tag `default` also takes pods naming no revision; per Istio 1.30.3
 * revision-tags-mwc.yaml).
 */
function revisionTagWebhooks(ctx: RenderContext): K8sObject[] {
  return revisionTags(ctx).map((tag) => injectorWebhookConfiguration(ctx, `istio-revision-tag-${tag}${ctx.ns === 'istio-system' ? '' : `-${ctx.ns}`}`,
    { 'istio.io/tag': tag }, injectionWebhooks(ctx, tag, tag === 'default')));
}

/** Returns, per revision tag, the Service `istiod-revision-tag-<tag>` in front of this revision's istiod (per Istio 1.30.3 revision-tags-svc.yaml). */
function revisionTagServices(ctx: RenderContext): K8sObject[] {
  const annotations = stringMap(valMap(ctx, 'pilot.serviceAnnotations'));
  return revisionTags(ctx).map((tag) => {
    const service = istiodService(ctx);
    const spec = service.spec as JsonObject;
    delete spec.trafficDistribution;
    return {
      ...service,
      metadata: {
        name: `istiod-revision-tag-${tag}`, namespace: ctx.ns,
        labels: { ...(service.metadata.labels ?? {}), 'istio.io/tag': tag },
        ...(Object.keys(annotations).length ? { annotations } : {}),
      },
    };
  });
}

function validatingWebhook(ctx: RenderContext): K8sObject {
  const caBundle = valStr(ctx, 'base.validationCABundle');
  // A CA bundle means istiod will not patch the webhook, so it fails closed from the start.
  const policy = caBundle ? 'Fail' : valStr(ctx, 'base.validationFailurePolicy') || 'Ignore';
  const istioNamespace = valStr(ctx, 'global.istioNamespace', ctx.ns);
  const url = valStr(ctx, 'base.validationURL');
  const service: JsonObject = { name: `istiod${ctx.suffix}`, namespace: istioNamespace, path: '/validate' };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: `istio-validator${ctx.suffix}-${istioNamespace}`,
      labels: { app: 'istiod', release: 'istio', istio: 'istiod', 'istio.io/rev': ctx.revLabel, 'app.kubernetes.io/name': 'istiod', ...chartLabels('istiod') },
    },
    webhooks: [{
      name: 'rev.validation.istio.io',
      clientConfig: { ...(url ? { url } : { service }), ...(caBundle ? { caBundle } : {}) },
      rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['security.istio.io', 'networking.istio.io', 'telemetry.istio.io', 'extensions.istio.io'], apiVersions: ['*'], resources: ['*'] }],
      failurePolicy: policy,
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      objectSelector: { matchExpressions: [expr('istio.io/rev', 'In', [ctx.revLabel])] },
    }],
  };
}
