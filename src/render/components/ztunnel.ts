/**
 * The Ztunnel component: the ambient node proxy DaemonSet and what it needs (per Istio 1.30.3's ztunnel chart,
 * templates daemonset.yaml, serviceaccount.yaml, rbac.yaml, resourcequota.yaml and networkpolicy.yaml, rendered as
 * istioctl 1.30.3 renders it: operator/pkg/render/manifest.go).
 *
 * The values are the chart's (chart-values.ts): istioctl hands this chart `global`, the top-level values that
 * are not maps (`profile`, `revision`, `compatibilityVersion`, ...) and `values.ztunnel` (with the component's
 * `hub` and `tag`) unprefixed; the chart merges its defaults, the profile and platform overlays, then `global` at
 * its top level (so `global.hub`, `global.variant`, `global.logAsJson`, `global.multiCluster.clusterName`,
 * `global.istioNamespace` become `hub`, `variant`, ...), then what istioctl handed over, so `values.ztunnel.X`
 * beats `values.global.X`. Top-level maps such as `values.meshConfig` or `spec.meshConfig` do not reach it:
 * ztunnel reads `values.ztunnel.meshConfig.defaultConfig.proxyMetadata` (and the ambient overlay's).
 */
import { isObject, type Json, type JsonObject, type K8sObject } from '../../manifest/objects.js';
import { formatFloat } from '../../inject/gotmpl/format.js';
import { chartInput, chartValues } from '../chart-values.js';
import { chartLabels, stringMap, truthy, type RenderContext } from '../context.js';

function map(v: Json | undefined): JsonObject {
  return isObject(v) ? v : {};
}

/**
 * Returns the values the ztunnel chart's templates see for the context's configuration (chart-values.ts). One
 * meshctl rule is kept, as for istiod: an install namespace other than istio-system is also where ztunnel finds
 * istiod, unless the values name an istio namespace. Throws ConfigValueError for a profile, compatibility version or
 * platform the chart has no overlay for.
 */
export function ztunnelValues(ctx: RenderContext): JsonObject {
  const { merged } = chartValues(ctx.assets.charts, 'ztunnel', chartInput(ctx.config));
  const userValues = map(ctx.config.userSpec.values);
  const named = Object.hasOwn(map(userValues.global), 'istioNamespace') || Object.hasOwn(map(userValues.ztunnel), 'istioNamespace');
  if (!named && merged.istioNamespace === 'istio-system' && ctx.config.namespace !== 'istio-system') merged.istioNamespace = ctx.config.namespace;
  return merged;
}

/** The DaemonSet istioctl applies `components.ztunnel.k8s` to (operator/pkg/component/component.go `ResourceName`). */
export const ZTUNNEL_DAEMONSET = 'ztunnel';

/**
 * Returns a warning when `components.ztunnel.k8s` holds settings other than overlays while the rendered
 * DaemonSet has another name (`values.ztunnel.resourceName`): istioctl patches only the DaemonSet named
 * `ztunnel`, so those settings change nothing, silently upstream. Returns undefined otherwise.
 */
export function ztunnelK8sWarning(k8s: JsonObject, objects: readonly K8sObject[]): string | undefined {
  const settings = Object.keys(k8s).filter((k) => k !== 'overlays').sort();
  const ds = objects.find((o) => o.kind === 'DaemonSet');
  if (!settings.length || !ds || ds.metadata.name === ZTUNNEL_DAEMONSET) return undefined;
  return `components.ztunnel.k8s (${settings.join(', ')}) changes nothing: as istioctl, it applies to the DaemonSet named ${ZTUNNEL_DAEMONSET}, and values.ztunnel.resourceName names it ${ds.metadata.name}`;
}

/** Returns the objects of the Ztunnel component in the context's namespace (the component's), in no particular order. */
export function renderZtunnel(ctx: RenderContext): K8sObject[] {
  return renderZtunnelObjects(ztunnelValues(ctx), ctx.ns);
}

/**
 * Returns a value as Go's `%v` prints it in a template action: numbers as float64 (values are JSON data in
 * istioctl and Helm, so `1000000` prints `1e+06`), strings verbatim.
 */
function goText(v: Json | undefined): string {
  if (typeof v === 'number') return formatFloat(v, 'g', -1);
  if (v === undefined || v === null) return '<nil>';
  return typeof v === 'string' ? v : typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

/** The five `app.kubernetes.io`/`helm.sh` labels of the chart (`istio.labels`), release `istio` as istioctl names it. */
const CHART_LABELS = chartLabels('ztunnel');

/** Returns the labels map of a `labels`-like value (`{}` when unset), as strings. */
function labelsOf(v: Json | undefined): Record<string, string> {
  return stringMap(map(v));
}

/**
 * Returns the objects of the Ztunnel component, rendered from `values` (the chart's values, `ztunnelChartValues`)
 * into `namespace` (the component's namespace): the DaemonSet and ServiceAccount (unless `resourceScope` is
 * `cluster`), a ResourceQuota when `resourceQuotas.enabled`, the OpenShift ClusterRole and ClusterRoleBinding
 * when `platform` is `openshift` (unless `resourceScope` is `namespace`), and a NetworkPolicy when
 * `global.networkPolicy.enabled`.
 */
export function renderZtunnelObjects(values: JsonObject, namespace: string): K8sObject[] {
  const v = values;
  const name = truthy(v.resourceName) ? goText(v.resourceName) : 'ztunnel';
  const revision = truthy(v.revision) ? goText(v.revision) : '';
  const scope = v.resourceScope;
  const namespaced = scope === 'all' || scope === 'namespace';
  const clusterScoped = scope === 'all' || scope === 'cluster';
  // The chart adds istio.io/rev to its `annotations` value when a revision is set, for every object that carries them.
  // Fresh maps per object: k8s settings and overlays patch objects in place.
  const annotations = () => (revision ? { ...labelsOf(v.annotations), 'istio.io/rev': revision } : labelsOf(v.annotations));
  const topLabels = () => ({ 'app.kubernetes.io/name': 'ztunnel', ...CHART_LABELS, ...labelsOf(v.labels) });
  const out: K8sObject[] = [];

  if (namespaced) {
    const pullSecrets = Array.isArray(v.imagePullSecrets) ? v.imagePullSecrets : [];
    out.push({
      apiVersion: 'v1', kind: 'ServiceAccount',
      ...(pullSecrets.length ? { imagePullSecrets: pullSecrets.map((s) => ({ name: goText(s) })) } : {}),
      metadata: { name, namespace, labels: topLabels(), annotations: annotations() },
    });
    out.push(daemonSet(v, name, namespace, revision, topLabels(), annotations()));
    if (truthy(map(v.resourceQuotas).enabled)) {
      out.push({
        apiVersion: 'v1', kind: 'ResourceQuota',
        metadata: { name, namespace, labels: topLabels() },
        spec: {
          hard: { pods: goText(map(v.resourceQuotas).pods) },
          scopeSelector: { matchExpressions: [{ operator: 'In', scopeName: 'PriorityClass', values: ['system-node-critical'] }] },
        },
      });
    }
  }
  if (clusterScoped && (truthy(v.platform) ? goText(v.platform) : '') === 'openshift') {
    const labels = () => ({
      app: 'ztunnel', release: name, 'install.operator.istio.io/owning-resource': truthy(v.ownerName) ? goText(v.ownerName) : 'unknown',
      'app.kubernetes.io/name': 'ztunnel', ...CHART_LABELS,
    });
    out.push({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole',
      metadata: { name, labels: labels(), annotations: annotations() },
      rules: [{ apiGroups: ['security.openshift.io'], resources: ['securitycontextconstraints'], resourceNames: ['privileged'], verbs: ['use'] }],
    });
    out.push({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding',
      metadata: { name, labels: labels(), annotations: annotations() },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    });
  }
  if (truthy(map(v.global).networkPolicy) && truthy(map(map(v.global).networkPolicy).enabled)) out.push(networkPolicy(v, name, namespace, revision));
  return out;
}

function daemonSet(v: JsonObject, name: string, namespace: string, revision: string, labels: Record<string, string>, annotations: Record<string, string>): K8sObject {
  const podSpec: JsonObject = {
    nodeSelector: { 'kubernetes.io/os': 'linux', ...map(v.nodeSelector) },
    ...(truthy(v.affinity) ? { affinity: v.affinity! } : {}),
    serviceAccountName: name,
    ...(truthy(v.tolerations) ? { tolerations: v.tolerations! } : {}),
    ...(truthy(v.dnsPolicy) ? { dnsPolicy: v.dnsPolicy! } : {}),
    ...(truthy(v.dnsConfig) ? { dnsConfig: v.dnsConfig! } : {}),
    containers: [container(v, revision)],
    priorityClassName: 'system-node-critical',
    terminationGracePeriodSeconds: v.terminationGracePeriodSeconds ?? null,
    volumes: volumes(v),
  };
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: { name, namespace, labels, annotations },
    spec: {
      ...(truthy(v.updateStrategy) ? { updateStrategy: v.updateStrategy! } : {}),
      selector: { matchLabels: { app: 'ztunnel' } },
      template: {
        metadata: {
          labels: {
            'sidecar.istio.io/inject': 'false', 'istio.io/dataplane-mode': 'none', app: 'ztunnel', 'app.kubernetes.io/name': 'ztunnel',
            ...CHART_LABELS, ...labelsOf(v.podLabels),
          },
          annotations: { 'sidecar.istio.io/inject': 'false', ...(revision ? { 'istio.io/rev': revision } : {}), ...labelsOf(v.podAnnotations) },
        },
        spec: podSpec,
      },
    },
  };
}

function container(v: JsonObject, revision: string): JsonObject {
  const image = typeof v.image === 'string' && v.image.includes('/')
    ? v.image
    : `${goText(v.hub)}/${truthy(v.image) ? goText(v.image) : 'ztunnel'}:${goText(v.tag)}${truthy(v.variant) ? `-${goText(v.variant)}` : ''}`;
  const istiod = `istiod${revision ? `-${revision}` : ''}.${goText(v.istioNamespace)}.svc:15012`;
  const field = (envName: string, fieldPath: string): JsonObject => ({ name: envName, valueFrom: { fieldRef: { fieldPath } } });
  const crl = truthy(map(v.peerCaCrl).enabled);
  const env: JsonObject[] = [
    { name: 'CA_ADDRESS', value: truthy(v.caAddress) ? goText(v.caAddress) : istiod },
    { name: 'XDS_ADDRESS', value: truthy(v.xdsAddress) ? goText(v.xdsAddress) : istiod },
    ...(truthy(v.logAsJson) ? [{ name: 'LOG_FORMAT', value: 'json' }] : []),
    ...(truthy(v.network) ? [{ name: 'NETWORK', value: goText(v.network) }] : []),
    { name: 'RUST_LOG', value: goText(v.logLevel) },
    { name: 'RUST_BACKTRACE', value: '1' },
    { name: 'ISTIO_META_CLUSTER_ID', value: truthy(map(v.multiCluster).clusterName) ? goText(map(v.multiCluster).clusterName) : 'Kubernetes' },
    { name: 'INPOD_ENABLED', value: 'true' },
    { name: 'TERMINATION_GRACE_PERIOD_SECONDS', value: goText(v.terminationGracePeriodSeconds) },
    field('POD_NAME', 'metadata.name'),
    field('POD_NAMESPACE', 'metadata.namespace'),
    field('NODE_NAME', 'spec.nodeName'),
    field('INSTANCE_IP', 'status.podIP'),
    field('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
  ];
  // Template `range` over a map visits the keys in sorted order.
  const proxyMetadata = map(map(map(v.meshConfig).defaultConfig).proxyMetadata);
  for (const key of Object.keys(proxyMetadata).sort()) env.push({ name: key, value: goText(proxyMetadata[key]) });
  env.push({ name: 'ZTUNNEL_CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1' } } });
  const extraEnv = map(v.env);
  for (const key of Object.keys(extraEnv).sort()) env.push({ name: key, value: goText(extraEnv[key]) });
  if (crl) env.push({ name: 'CRL_PATH', value: '/var/run/secrets/istio/crl/ca-crl.pem' });

  const securityContext: JsonObject = {
    allowPrivilegeEscalation: true,
    privileged: false,
    capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'SYS_ADMIN', 'NET_RAW'] },
    readOnlyRootFilesystem: true,
    runAsGroup: 1337,
    runAsNonRoot: false,
    runAsUser: 0,
    ...(truthy(v.seLinuxOptions) ? { seLinuxOptions: v.seLinuxOptions! } : {}),
  };
  return {
    name: 'istio-proxy',
    image,
    ports: [{ containerPort: 15020, name: 'ztunnel-stats', protocol: 'TCP' }],
    resources: resources(v.resources),
    ...(truthy(v.imagePullPolicy) ? { imagePullPolicy: v.imagePullPolicy! } : {}),
    securityContext,
    readinessProbe: { httpGet: { port: 15021, path: '/healthz/ready' } },
    args: ['proxy', 'ztunnel'],
    env,
    volumeMounts: [
      { mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' },
      { mountPath: '/var/run/secrets/tokens', name: 'istio-token' },
      { mountPath: '/var/run/ztunnel', name: 'cni-ztunnel-sock-dir' },
      { mountPath: '/tmp', name: 'tmp' },
      ...(crl ? [{ mountPath: '/var/run/secrets/istio/crl', name: 'crl-volume', readOnly: true }] : []),
      ...(Array.isArray(v.volumeMounts) ? v.volumeMounts : []),
    ],
  };
}

/**
 * Returns the container resources as the chart's `ztunnel.resources` helper writes them: `limits` and `requests`
 * with their set (non-empty) entries only, each left out when none is set; `null` when `resources` is empty.
 */
function resources(value: Json | undefined): Json {
  if (!truthy(value) || !isObject(value)) return null;
  const out: JsonObject = {};
  for (const key of ['limits', 'requests']) {
    const entries = Object.entries(map(value[key])).filter(([, x]) => truthy(x));
    if (entries.length) out[key] = Object.fromEntries(entries);
  }
  return Object.keys(out).length ? out : null;
}

function volumes(v: JsonObject): Json[] {
  const trustBundle = truthy(v.trustBundleName) ? goText(v.trustBundleName) : '';
  const caCert: JsonObject = map(v.env).ENABLE_CLUSTER_TRUST_BUNDLE_API === true
    ? { name: 'istiod-ca-cert', projected: { sources: [{ clusterTrustBundle: { name: `istio.io:istiod-ca:${trustBundle || 'root-cert'}`, path: 'root-cert.pem' } }] } }
    : { name: 'istiod-ca-cert', configMap: { name: trustBundle || 'istio-ca-root-cert' } };
  return [
    { name: 'istio-token', projected: { sources: [{ serviceAccountToken: { path: 'istio-token', expirationSeconds: 43200, audience: 'istio-ca' } }] } },
    caCert,
    { name: 'cni-ztunnel-sock-dir', hostPath: { path: '/var/run/ztunnel', type: 'DirectoryOrCreate' } },
    { name: 'tmp', emptyDir: {} },
    ...(truthy(map(v.peerCaCrl).enabled) ? [{ name: 'crl-volume', configMap: { name: 'istio-ca-crl', optional: true } }] : []),
    ...(Array.isArray(v.volumes) ? v.volumes : []),
  ];
}

/** The ports the chart's NetworkPolicy admits: readiness, metrics, admin, HBONE, outbound, inbound plaintext, DNS (TCP and UDP). */
function networkPolicy(v: JsonObject, name: string, namespace: string, revision: string): K8sObject {
  const tcp = (port: number) => ({ ports: [{ protocol: 'TCP', port }] });
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
    metadata: {
      name: `${name}${revision ? `-${revision}` : ''}`, namespace,
      labels: {
        app: 'ztunnel', 'app.kubernetes.io/name': 'ztunnel', 'istio.io/rev': revision || 'default',
        'install.operator.istio.io/owning-resource': truthy(v.ownerName) ? goText(v.ownerName) : 'unknown',
        'operator.istio.io/component': 'Ztunnel', release: 'istio', ...CHART_LABELS,
      },
    },
    spec: {
      podSelector: { matchLabels: { app: 'ztunnel' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [tcp(15021), tcp(15020), tcp(15000), tcp(15008), tcp(15001), tcp(15006), { ports: [{ protocol: 'TCP', port: 15053 }, { protocol: 'UDP', port: 15053 }] }],
      egress: [{}],
    },
  };
}
