/**
 * The IngressGateways and EgressGateways components: one Envoy gateway per enabled list entry
 * (per Istio 1.30.3 gateways/istio-ingress and istio-egress charts, reference delta 2.4 and 2.5).
 */
import { ConfigValueError } from '../../errors.js';
import { isObject, type Json, type JsonObject, type K8sObject } from '../../manifest/objects.js';
import { mergeOverlay } from '../tree.js';
import { chartInput, valuesWithChartOverlay } from '../chart-values.js';
import { cleanResources } from './pilot.js';
import { chartLabels, imageRef, ownedLabels, stringMap, truthy, val, valMap, valStr, valTrue, type ChartName, type RenderContext } from '../context.js';

/** Which of the two gateway kinds. */
export type GatewayKind = 'ingress' | 'egress';

const KINDS: Record<GatewayKind, { component: string; chart: ChartName; defaultName: string; certPrefix: string }> = {
  ingress: { component: 'IngressGateways', chart: 'istio-ingress', defaultName: 'istio-ingressgateway', certPrefix: 'ingressgateway' },
  egress: { component: 'EgressGateways', chart: 'istio-egress', defaultName: 'istio-egressgateway', certPrefix: 'egressgateway' },
};

/**
 * Returns the context with the gateway charts' overlay for the configuration (profile, compatibility version,
 * platform: e.g. the ambient profile's distroless variant and HBONE proxy metadata, the preview profile's DNS
 * capture) under the profile's and the user's values, as the istio-ingress and istio-egress charts apply it.
 */
function withChartOverlay(ctx: RenderContext): RenderContext {
  const values = valuesWithChartOverlay(ctx.assets.charts, ctx.config.values, chartInput(ctx.config));
  return values === ctx.config.values ? ctx : { ...ctx, config: { ...ctx.config, values } };
}

/** One gateway entry of `components.ingressGateways[]` / `egressGateways[]`, resolved. */
export interface GatewaySpec {
  kind: GatewayKind;
  name: string;
  /** Index of the gateway's entry in its `components.*Gateways` list. */
  index: number;
  namespace: string;
  /** The gateway's values: the chart values of its kind with name, labels and ports from the component. */
  values: JsonObject;
  /** Image hub: `global.hub` (the gateway charts use it even when the entry names a hub of its own). */
  hub: string;
  /** Image tag: the entry's `tag`, else the gateway values' `tag`, else `global.tag`. */
  tag: string;
  /** The entry's `k8s` settings, applied after rendering. */
  k8s: JsonObject;
}

/**
 * Returns the enabled gateways of one kind. An entry is enabled unless `enabled: false`;
 * `values.gateways.<name>.enabled`, when set, overrides it (istioctl's alternative enablement path).
 */
export function enabledGateways(ctx: RenderContext, kind: GatewayKind): GatewaySpec[] {
  // The chart's overlays matter, and are checked, only when the chart renders: for an enabled gateway.
  let charted: RenderContext | undefined;
  const info = KINDS[kind];
  const list = ctx.config.spec.components && isObject(ctx.config.spec.components)
    ? ctx.config.spec.components[kind === 'ingress' ? 'ingressGateways' : 'egressGateways'] : undefined;
  const out: GatewaySpec[] = [];
  const listName = `components.${kind === 'ingress' ? 'ingressGateways' : 'egressGateways'}`;
  const seen = new Map<string, number>();
  for (const [index, entry] of (Array.isArray(list) ? list : []).entries()) {
    if (!isObject(entry)) continue;
    const name = typeof entry.name === 'string' && entry.name ? entry.name : info.defaultName;
    const alt = val(ctx, `gateways.${name}.enabled`);
    const enabled = typeof alt === 'boolean' ? alt : entry.enabled !== false;
    if (!enabled) continue;
    // Two entries that resolve to one gateway would render every object of it twice (an entry
    // without a name is the default gateway): refuse rather than let the second silently win.
    const namespace = typeof entry.namespace === 'string' && entry.namespace ? entry.namespace : ctx.ns;
    const first = seen.get(`${namespace}/${name}`);
    if (first !== undefined) {
      const named = typeof entry.name === 'string' && entry.name !== '';
      throw new ConfigValueError(`${listName}[${first}] and ${listName}[${index}] are both gateway "${name}" in namespace "${namespace}"` +
        `${named ? '' : ' (an entry without a name is the default gateway)'}: give each gateway its own name`,
      [listName.split('.')[0]!, listName.split('.')[1]!, index, ...(named ? ['name'] : [])]);
    }
    seen.set(`${namespace}/${name}`, index);
    const chart = (charted ??= withChartOverlay(ctx));
    // Custom gateways start from the chart values of their kind, as istioctl renders them from the same chart.
    let values = mergeOverlay(valMap(chart, `gateways.${info.defaultName}`), name === info.defaultName ? {} : valMap(chart, `gateways.${name}`)) as JsonObject;
    values = { ...values, name };
    // The entry's label map is merged over the chart's gateway labels (app: istio-ingressgateway, istio:
    // ingressgateway unless the values change them), so a gateway without labels of its own carries the default
    // gateway's and its Service selects those pods too, as with istioctl.
    values.labels = mergeOverlay(isObject(values.labels) ? values.labels : {}, isObject(entry.label) ? entry.label : {}) as JsonObject;
    const k8s = isObject(entry.k8s) ? entry.k8s : {};
    if (isObject(k8s.service) && Array.isArray(k8s.service.ports)) values.ports = k8s.service.ports;
    out.push({
      kind, name, index, values,
      namespace,
      hub: valStr(chart, 'global.hub'),
      tag: truthy(entry.tag ?? null) ? String(entry.tag) : truthy(values.tag ?? null) ? String(values.tag) : valStr(chart, 'global.tag'),
      k8s,
    });
  }
  return out;
}

function gv(gw: GatewaySpec, key: string): Json | undefined {
  return gw.values[key];
}

/** Returns the objects of one gateway: ServiceAccount, SDS Role and RoleBinding, Deployment, Service, HPA and PDB when due. */
export function renderGateway(context: RenderContext, gw: GatewaySpec): K8sObject[] {
  const ctx = withChartOverlay(context);
  const info = KINDS[gw.kind];
  const gwLabels = stringMap(isObject(gw.values.labels) ? gw.values.labels : { app: gw.name });
  // The charts name every gateway after themselves in app.kubernetes.io/name, whatever the gateway is called.
  const common = { release: 'istio', ...ownedLabels(ctx, info.component), 'app.kubernetes.io/name': info.defaultName, ...chartLabels(info.chart) };
  const labels = { ...gwLabels, ...common };
  const saName = `${gw.name}-service-account`;
  const ns = gw.namespace;
  const out: K8sObject[] = [];

  const pullSecrets = val(ctx, 'global.imagePullSecrets');
  const saAnnotations = isObject(gw.values.serviceAccount) ? gw.values.serviceAccount.annotations : undefined;
  out.push({
    apiVersion: 'v1', kind: 'ServiceAccount',
    metadata: { name: saName, namespace: ns, labels, ...(truthy(saAnnotations) ? { annotations: stringMap(saAnnotations as JsonObject) } : {}) },
    ...(Array.isArray(pullSecrets) && pullSecrets.length ? { imagePullSecrets: pullSecrets.map((name) => ({ name })) } : {}),
  });
  out.push({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: `${gw.name}-sds`, namespace: ns, labels: common },
    rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'watch', 'list'] }],
  });
  out.push({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: `${gw.name}-sds`, namespace: ns, labels: common },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${gw.name}-sds` },
    subjects: [{ kind: 'ServiceAccount', name: saName }],
  });
  out.push(truthy(gv(gw, 'injectionTemplate') ?? null) ? injectedGatewayDeployment(ctx, gw, gwLabels, common) : gatewayDeployment(ctx, gw, gwLabels, labels));
  if (gv(gw, 'customService') !== true) out.push(gatewayService(gw, gwLabels, labels));
  if (valTrue(ctx, 'global.networkPolicy.enabled')) out.push(gatewayNetworkPolicy(ctx, gw, gwLabels));
  const autoscale = gv(gw, 'autoscaleEnabled') === true && truthy(gv(gw, 'autoscaleMin')) && truthy(gv(gw, 'autoscaleMax'));
  if (autoscale) {
    const cpu = isObject(gw.values.cpu) ? gw.values.cpu : {};
    out.push({
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: gw.name, namespace: ns, labels },
      spec: {
        maxReplicas: gv(gw, 'autoscaleMax') as number,
        minReplicas: gv(gw, 'autoscaleMin') as number,
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: gw.name },
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: (cpu.targetAverageUtilization as number | undefined) ?? 80 } } }],
      },
    });
  }
  const replicasForPdb = gv(gw, 'autoscaleEnabled') === true ? Number(gv(gw, 'autoscaleMin') ?? 1) : Number(gv(gw, 'replicaCount') ?? 1);
  if (replicasForPdb > 1 && val(ctx, 'global.defaultPodDisruptionBudget.enabled') !== false) {
    out.push({
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: gw.name, namespace: ns, labels },
      spec: { minAvailable: 1, selector: { matchLabels: gwLabels } },
    });
  }
  return out;
}

function ports(gw: GatewaySpec): JsonObject[] {
  const list = gv(gw, 'ports');
  return Array.isArray(list) ? list.filter(isObject) : [];
}

/** The pod's security context: none for a root gateway, no fixed user and group on OpenShift. */
function podSecurityContext(ctx: RenderContext, runAsRoot: boolean): JsonObject | undefined {
  if (runAsRoot) return undefined;
  return valStr(ctx, 'global.platform') === 'openshift' ? { runAsNonRoot: true } : { runAsUser: 1337, runAsGroup: 1337, runAsNonRoot: true };
}

/**
 * Returns the Deployment of a gateway with an `injectionTemplate`: a minimal pod (`image: auto`, the gateway's
 * own ports, env, volumes and scheduling) that the injection webhook completes from that template (per Istio
 * 1.30.3 gateways chart injected-deployment.yaml).
 */
function injectedGatewayDeployment(ctx: RenderContext, gw: GatewaySpec, gwLabels: Record<string, string>, common: Record<string, string>): K8sObject {
  const info = KINDS[gw.kind];
  const runAsRoot = gv(gw, 'runAsRoot') === true;
  const secretVolumes = (Array.isArray(gw.values.secretVolumes) ? gw.values.secretVolumes : []).filter(isObject);
  const configVolumes = (Array.isArray(gw.values.configVolumes) ? gw.values.configVolumes : []).filter(isObject);
  const env: JsonObject[] = runAsRoot ? [] : [{ name: 'ISTIO_META_UNPRIVILEGED_POD', value: 'true' }];
  for (const [k, v] of sortedEntries(isObject(gw.values.env) ? gw.values.env : {})) env.push({ name: k, value: String(v) });
  const container: JsonObject = {
    name: 'istio-proxy',
    image: 'auto',
    ports: [
      ...ports(gw).map((p) => ({ containerPort: (p.targetPort ?? p.port) as Json, protocol: (p.protocol as Json | undefined) ?? 'TCP' })),
      { containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' },
    ],
    ...(runAsRoot ? {} : { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: true } }),
    resources: cleanResources(truthy(gw.values.resources) ? gw.values.resources as JsonObject : valMap(ctx, 'global.defaultResources')),
    env,
    volumeMounts: [
      ...secretVolumes.map((v) => ({ name: v.name as Json, mountPath: v.mountPath as Json, readOnly: true })),
      ...configVolumes.filter((v) => truthy(v.mountPath)).map((v) => ({ name: v.name as Json, mountPath: v.mountPath as Json, readOnly: true })),
    ],
  };
  const pullPolicy = valStr(ctx, 'global.imagePullPolicy');
  if (pullPolicy) container.imagePullPolicy = pullPolicy;

  const podLabels: Record<string, string> = { ...gwLabels };
  if (gw.namespace === 'istio-system') Object.assign(podLabels, { heritage: 'Tiller', release: 'istio', chart: 'gateways' });
  Object.assign(podLabels, {
    'install.operator.istio.io/owning-resource': 'unknown',
    'operator.istio.io/component': info.component,
    'sidecar.istio.io/inject': 'true',
    ...(ctx.rev ? { 'istio.io/rev': ctx.rev } : {}),
    'service.istio.io/canonical-name': gw.name,
    'service.istio.io/canonical-revision': canonicalRevision(gwLabels, ctx.rev),
    'app.kubernetes.io/name': info.defaultName,
    ...chartLabels(info.chart),
  });
  const podAnnotations: Record<string, string> = {};
  if (val(ctx, 'meshConfig.enablePrometheusMerge') === true) {
    Object.assign(podAnnotations, { 'prometheus.io/port': '15020', 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/stats/prometheus' });
  }
  Object.assign(podAnnotations, { 'sidecar.istio.io/inject': 'true', 'inject.istio.io/templates': String(gv(gw, 'injectionTemplate')) });
  Object.assign(podAnnotations, stringMap(isObject(gw.values.podAnnotations) ? gw.values.podAnnotations : {}));

  const podSpec: JsonObject = {
    serviceAccountName: `${gw.name}-service-account`,
    containers: [container, ...(Array.isArray(gw.values.additionalContainers) ? gw.values.additionalContainers : [])],
    volumes: [
      ...secretVolumes.map((v) => ({ name: v.name as Json, secret: { secretName: v.secretName as Json, optional: true } })),
      ...configVolumes.map((v) => ({ name: v.name as Json, configMap: { name: v.configMapName as Json, optional: true } })),
    ],
    affinity: gatewayAffinity(ctx, gw),
  };
  const security = podSecurityContext(ctx, runAsRoot);
  if (security) podSpec.securityContext = security;
  const priorityClass = valStr(ctx, 'global.priorityClassName');
  if (priorityClass) podSpec.priorityClassName = priorityClass;
  const tolerations = truthy(gw.values.tolerations) ? gw.values.tolerations : val(ctx, 'global.defaultTolerations');
  if (truthy(tolerations)) podSpec.tolerations = tolerations as Json;

  const spec: JsonObject = {
    selector: { matchLabels: gwLabels },
    strategy: { rollingUpdate: { maxSurge: (gw.values.rollingMaxSurge as Json | undefined) ?? '100%', maxUnavailable: (gw.values.rollingMaxUnavailable as Json | undefined) ?? '25%' } },
    template: { metadata: { labels: podLabels, annotations: podAnnotations }, spec: podSpec },
  };
  if (gw.values.autoscaleEnabled !== true && truthy(gw.values.replicaCount)) spec.replicas = gw.values.replicaCount as number;
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: gw.name, namespace: gw.namespace, labels: { ...gwLabels, ...common } }, spec };
}

function gatewayDeployment(ctx: RenderContext, gw: GatewaySpec, gwLabels: Record<string, string>, labels: Record<string, string>): K8sObject {
  const info = KINDS[gw.kind];
  const ns = gw.namespace;
  const runAsRoot = gv(gw, 'runAsRoot') === true;
  const variant = valStr(ctx, 'global.proxy.variant') || valStr(ctx, 'global.variant');
  const proxyImage = valStr(ctx, 'global.proxy.image', 'proxyv2');

  const containerPorts: JsonObject[] = ports(gw).map((p) => ({ containerPort: (p.targetPort ?? p.port) as Json, protocol: (p.protocol as Json | undefined) ?? 'TCP' }));
  containerPorts.push({ containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' });

  const trustDomain = valStr(ctx, 'meshConfig.trustDomain', 'cluster.local');
  const env: JsonObject[] = [
    { name: 'PILOT_CERT_PROVIDER', value: valStr(ctx, 'global.pilotCertProvider', 'istiod') },
    { name: 'CA_ADDR', value: valStr(ctx, 'global.caAddress') || `istiod${ctx.suffix}.${valStr(ctx, 'global.istioNamespace', ctx.ns)}.svc:15012` },
    { name: 'NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
    { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
    { name: 'INSTANCE_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
    { name: 'HOST_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.hostIP' } } },
    { name: 'ISTIO_CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1' } } },
    { name: 'SERVICE_ACCOUNT', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
    { name: 'ISTIO_META_WORKLOAD_NAME', value: gw.name },
    { name: 'ISTIO_META_OWNER', value: `kubernetes://apis/apps/v1/namespaces/${ns}/deployments/${gw.name}` },
    { name: 'ISTIO_META_MESH_ID', value: valStr(ctx, 'global.meshID') || trustDomain },
    { name: 'TRUST_DOMAIN', value: trustDomain },
  ];
  if (!runAsRoot) env.push({ name: 'ISTIO_META_UNPRIVILEGED_POD', value: 'true' });
  const gwEnv = isObject(gw.values.env) ? gw.values.env : {};
  for (const [k, v] of sortedEntries(gwEnv)) env.push({ name: k, value: String(v) });
  for (const [k, v] of sortedEntries(valMap(ctx, 'meshConfig.defaultConfig.proxyMetadata'))) env.push({ name: k, value: String(v) });
  const network = valStr(ctx, 'global.network');
  if (network && gwEnv.ISTIO_META_NETWORK === undefined) env.push({ name: 'ISTIO_META_NETWORK', value: network });
  env.push(
    { name: 'ISTIO_META_CLUSTER_ID', value: valStr(ctx, 'global.multiCluster.clusterName', 'Kubernetes') },
    { name: 'ISTIO_META_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
  );

  const secretVolumes = (Array.isArray(gw.values.secretVolumes) ? gw.values.secretVolumes : []).filter(isObject);
  const configVolumes = (Array.isArray(gw.values.configVolumes) ? gw.values.configVolumes : []).filter(isObject);
  // The CA root is mounted only when istiod issues the certificates; mTLS certificates from a secret only on request.
  const istiodCA = valStr(ctx, 'global.pilotCertProvider') === 'istiod';
  const mtlsCerts = valTrue(ctx, 'global.mountMtlsCerts');
  const trustBundleName = valStr(ctx, 'global.trustBundleName');
  const stsPort = val(ctx, 'global.sts.servicePort');
  const container: JsonObject = {
    name: 'istio-proxy',
    image: imageRef(gw.hub, proxyImage, gw.tag, variant),
    ports: containerPorts,
    // Each logging flag only when its value is set (the values give all three by default).
    args: ['proxy', 'router', '--domain', `$(POD_NAMESPACE).svc.${valStr(ctx, 'global.proxy.clusterDomain', 'cluster.local')}`,
      ...flagIfSet('--proxyLogLevel', valStr(ctx, 'global.proxy.logLevel')),
      ...flagIfSet('--proxyComponentLogLevel', valStr(ctx, 'global.proxy.componentLogLevel')),
      ...flagIfSet('--log_output_level', valStr(ctx, 'global.logging.level')),
      ...(valTrue(ctx, 'global.logAsJson') ? ['--log_as_json'] : []),
      ...(truthy(stsPort) ? [`--stsPort=${String(stsPort)}`] : [])],
    // A gateway that runs as root gets no security context at all (the chart writes one only for non-root).
    ...(runAsRoot ? {} : { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: true } }),
    readinessProbe: { failureThreshold: 30, httpGet: { path: '/healthz/ready', port: 15021, scheme: 'HTTP' }, initialDelaySeconds: 1, periodSeconds: 2, successThreshold: 1, timeoutSeconds: 1 },
    resources: cleanResources(truthy(gw.values.resources) ? gw.values.resources as JsonObject : valMap(ctx, 'global.defaultResources')),
    env,
    volumeMounts: [
      { name: 'workload-socket', mountPath: '/var/run/secrets/workload-spiffe-uds' },
      { name: 'credential-socket', mountPath: '/var/run/secrets/credential-uds' },
      { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' },
      { name: 'istio-envoy', mountPath: '/etc/istio/proxy' },
      { name: 'config-volume', mountPath: '/etc/istio/config' },
      ...(istiodCA ? [{ name: 'istiod-ca-cert', mountPath: '/var/run/secrets/istio' }] : []),
      { name: 'istio-token', mountPath: '/var/run/secrets/tokens', readOnly: true },
      ...(mtlsCerts ? [{ name: 'istio-certs', mountPath: '/etc/certs', readOnly: true }] : []),
      { name: 'istio-data', mountPath: '/var/lib/istio/data' },
      { name: 'podinfo', mountPath: '/etc/istio/pod' },
      ...secretVolumes.map((s) => ({ name: s.name as Json, mountPath: s.mountPath as Json, readOnly: true })),
      ...configVolumes.filter((v) => truthy(v.mountPath)).map((v) => ({ name: v.name as Json, mountPath: v.mountPath as Json, readOnly: true })),
    ],
  };
  const pullPolicy = valStr(ctx, 'global.imagePullPolicy');
  if (pullPolicy) container.imagePullPolicy = pullPolicy;

  const podAnnotations: Record<string, string> = { 'istio.io/rev': ctx.revLabel };
  if (val(ctx, 'meshConfig.enablePrometheusMerge') === true) {
    Object.assign(podAnnotations, { 'prometheus.io/port': '15020', 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/stats/prometheus' });
  }
  podAnnotations['sidecar.istio.io/inject'] = 'false';
  Object.assign(podAnnotations, stringMap(isObject(gw.values.podAnnotations) ? gw.values.podAnnotations : {}));

  const podLabels: Record<string, string> = { ...gwLabels };
  if (ns === 'istio-system') Object.assign(podLabels, { heritage: 'Tiller', release: 'istio', chart: 'gateways' });
  Object.assign(podLabels, {
    'service.istio.io/canonical-name': gw.name,
    'service.istio.io/canonical-revision': canonicalRevision(gwLabels, ctx.rev),
    ...ownedLabels(ctx, info.component),
    'sidecar.istio.io/inject': 'false',
    'app.kubernetes.io/name': info.defaultName,
    'istio.io/dataplane-mode': 'none',
    ...chartLabels(info.chart),
  });

  const podSpec: JsonObject = {
    serviceAccountName: `${gw.name}-service-account`,
    containers: [container, ...(Array.isArray(gw.values.additionalContainers) ? gw.values.additionalContainers : [])],
    volumes: [
      { name: 'workload-socket', emptyDir: {} },
      { name: 'credential-socket', emptyDir: {} },
      { name: 'workload-certs', emptyDir: {} },
      ...(istiodCA ? [String(valMap(ctx, 'pilot.env').ENABLE_CLUSTER_TRUST_BUNDLE_API) === 'true'
        ? { name: 'istiod-ca-cert', projected: { sources: [{ clusterTrustBundle: { name: `istio.io:istiod-ca:${trustBundleName || 'root-cert'}`, path: 'root-cert.pem' } }] } }
        : { name: 'istiod-ca-cert', configMap: { name: trustBundleName || 'istio-ca-root-cert' } }] : []),
      { name: 'podinfo', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } }] } },
      { name: 'istio-envoy', emptyDir: {} },
      { name: 'istio-data', emptyDir: {} },
      { name: 'istio-token', projected: { sources: [{ serviceAccountToken: { path: 'istio-token', expirationSeconds: 43200, audience: valStr(ctx, 'global.sds.token.aud', 'istio-ca') } }] } },
      ...(mtlsCerts ? [{ name: 'istio-certs', secret: { secretName: `istio.${info.defaultName}-service-account`, optional: true } }] : []),
      { name: 'config-volume', configMap: { name: `istio${ctx.suffix}`, optional: true } },
      ...secretVolumes.map((s) => ({ name: s.name as Json, secret: { secretName: s.secretName as Json, optional: true } })),
      ...configVolumes.map((v) => ({ name: v.name as Json, configMap: { name: v.configMapName as Json, optional: true } })),
    ],
  };
  const security = podSecurityContext(ctx, runAsRoot);
  if (security) podSpec.securityContext = security;
  podSpec.affinity = gatewayAffinity(ctx, gw);
  const tolerations = truthy(gw.values.tolerations) ? gw.values.tolerations : val(ctx, 'global.defaultTolerations');
  if (truthy(tolerations)) podSpec.tolerations = tolerations as Json;
  const priorityClass = valStr(ctx, 'global.priorityClassName');
  if (priorityClass) podSpec.priorityClassName = priorityClass;

  const spec: JsonObject = {
    selector: { matchLabels: gwLabels },
    strategy: { rollingUpdate: { maxSurge: (gw.values.rollingMaxSurge as Json | undefined) ?? '100%', maxUnavailable: (gw.values.rollingMaxUnavailable as Json | undefined) ?? '25%' } },
    template: { metadata: { labels: podLabels, annotations: podAnnotations }, spec: podSpec },
  };
  if (gw.values.autoscaleEnabled !== true && truthy(gw.values.replicaCount)) spec.replicas = gw.values.replicaCount as number;
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: gw.name, namespace: ns, labels: { ...labels, 'istio.io/dataplane-mode': 'none' } },
    spec,
  };
}

function gatewayService(gw: GatewaySpec, gwLabels: Record<string, string>, labels: Record<string, string>): K8sObject {
  const annotations = stringMap(isObject(gw.values.serviceAnnotations) ? gw.values.serviceAnnotations : {});
  const spec: JsonObject = {
    type: (gw.values.type as Json | undefined) ?? (gw.kind === 'ingress' ? 'LoadBalancer' : 'ClusterIP'),
    selector: gwLabels,
    // Each port entry is copied field by field, then `ingressPorts` add name and port (per Istio 1.30.3 service.yaml).
    ports: [
      ...ports(gw).map((p) => structuredClone(p)),
      ...(Array.isArray(gw.values.ingressPorts) ? gw.values.ingressPorts : []).filter(isObject).map((p) => ({ port: p.port ?? null, name: p.name ?? null })),
    ],
  };
  for (const key of ['loadBalancerIP', 'loadBalancerSourceRanges', 'externalTrafficPolicy', 'ipFamilyPolicy', 'ipFamilies'] as const) {
    const v = gw.values[key];
    if (truthy(v)) spec[key] = v as Json;
  }
  // The chart writes an `annotations:` key even with nothing under it, so istioctl prints `annotations: null`.
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: gw.name, namespace: gw.namespace, labels, annotations: (Object.keys(annotations).length ? annotations : null) as Record<string, string> },
    spec,
  };
}

/**
 * Returns a gateway's NetworkPolicy (with `global.networkPolicy.enabled`): in, the status, metrics and Envoy stats
 * ports and each gateway port's target port; out, anything (per Istio 1.30.3 gateways chart networkpolicy.yaml).
 */
function gatewayNetworkPolicy(ctx: RenderContext, gw: GatewaySpec, gwLabels: Record<string, string>): K8sObject {
  const info = KINDS[gw.kind];
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
    metadata: {
      name: `${gw.name}${ctx.suffix}`, namespace: gw.namespace,
      labels: {
        app: gw.name, ...ownedLabels(ctx, info.component), istio: info.defaultName.replace(/^istio-/, ''), release: 'istio',
        'app.kubernetes.io/name': info.defaultName, ...chartLabels(info.chart),
      },
    },
    spec: {
      podSelector: { matchLabels: gwLabels },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        { ports: [{ protocol: 'TCP', port: 15021 }] },
        { ports: [{ protocol: 'TCP', port: 15020 }, { protocol: 'TCP', port: 15090 }] },
        ...ports(gw).map((p) => ({ ports: [{ protocol: (truthy(p.protocol ?? null) ? p.protocol : 'TCP') as Json, port: (truthy(p.targetPort ?? null) ? p.targetPort : p.port ?? null) as Json }] })),
      ],
      egress: [{}],
    },
  };
}

/**
 * Returns the gateway pod's `service.istio.io/canonical-revision` label: the gateway labels'
 * `app.kubernetes.io/version`, else their `version`, else the revision, else `latest` (per Istio 1.30.3
 * gateways chart deployment.yaml).
 */
export function canonicalRevision(gwLabels: Record<string, string>, revision: string): string {
  return gwLabels['app.kubernetes.io/version'] || gwLabels.version || revision || 'latest';
}

/** Go's `int` conversion of a chart value as sprig's `int` does it: numbers truncate, numeric strings parse, anything else is 0. */
function toInt(v: Json | undefined): number {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'string' && /^[-+]?\d+$/.test(v.trim())) return Number.parseInt(v, 10);
  return 0;
}

function flagIfSet(flag: string, value: string): string[] {
  return value ? [`${flag}=${value}`] : [];
}

/** Map entries sorted by key, the order Go templates range over maps in. */
function sortedEntries(m: Json | undefined): [string, Json][] {
  return isObject(m) ? Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : [];
}

/**
 * Splits a comma-separated chart value as sprig's `split` does, in the order a template ranging over
 * its result sees the parts (keys `_0`, `_1`, ... sorted as strings, so `_10` comes before `_2`).
 */
function splitParts(v: Json | undefined): string[] {
  const parts = String(v).split(',');
  return parts.map((p, i) => [`_${i}`, p] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p);
}

function labelSelectorTerm(item: JsonObject): JsonObject {
  const expression: JsonObject = { key: item.key ?? null, operator: item.operator ?? null };
  if (truthy(item.values)) expression.values = splitParts(item.values);
  return { matchExpressions: [expression] };
}

/**
 * Returns the gateway pod's affinity (per Istio 1.30.3 gateways chart `_affinity.tpl`): node affinity is
 * always present, its required term built from `global.arch` weights above 0 and the gateway's
 * `nodeSelector` (else `global.defaultNodeSelector`) as `In` expressions, its preferred terms one per
 * weighted architecture; either is null when it has nothing, as the chart leaves the key empty.
 * `podAntiAffinityLabelSelector` / `podAntiAffinityTermLabelSelector` entries (`key`, `operator`,
 * comma-separated `values`, `topologyKey`, `namespaces`) add required and preferred (weight 100) pod
 * anti-affinity terms.
 */
function gatewayAffinity(ctx: RenderContext, gw: GatewaySpec): JsonObject {
  const arch = sortedEntries(val(ctx, 'global.arch')).filter(([, w]) => toInt(w) > 0);
  const nodeSelector = truthy(gw.values.nodeSelector) ? gw.values.nodeSelector : val(ctx, 'global.defaultNodeSelector');
  let required: Json = null;
  if (arch.length > 0 || truthy(nodeSelector)) {
    const expressions: JsonObject[] = [];
    if (arch.length > 0) expressions.push({ key: 'kubernetes.io/arch', operator: 'In', values: arch.map(([name]) => name) });
    for (const [key, value] of sortedEntries(nodeSelector)) expressions.push({ key, operator: 'In', values: [typeof value === 'string' ? value : JSON.stringify(value)] });
    required = { nodeSelectorTerms: [{ matchExpressions: expressions }] };
  }
  const preferred: Json = arch.length > 0
    ? arch.map(([name, w]) => ({ weight: toInt(w), preference: { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: [name] }] } }))
    : null;
  const affinity: JsonObject = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: required, preferredDuringSchedulingIgnoredDuringExecution: preferred } };

  const hard = (Array.isArray(gw.values.podAntiAffinityLabelSelector) ? gw.values.podAntiAffinityLabelSelector : []).filter(isObject);
  const soft = (Array.isArray(gw.values.podAntiAffinityTermLabelSelector) ? gw.values.podAntiAffinityTermLabelSelector : []).filter(isObject);
  if (hard.length > 0 || soft.length > 0) {
    const anti: JsonObject = {};
    if (hard.length > 0) {
      anti.requiredDuringSchedulingIgnoredDuringExecution = hard.map((item) => {
        const term: JsonObject = { labelSelector: labelSelectorTerm(item), topologyKey: item.topologyKey ?? null };
        if (truthy(item.namespaces)) term.namespaces = splitParts(item.namespaces);
        return term;
      });
    }
    if (soft.length > 0) {
      anti.preferredDuringSchedulingIgnoredDuringExecution = soft.map((item) => ({
        podAffinityTerm: { labelSelector: labelSelectorTerm(item), topologyKey: item.topologyKey ?? null },
        weight: 100,
      }));
    }
    affinity.podAntiAffinity = anti;
  }
  return affinity;
}
