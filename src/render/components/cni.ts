/**
 * The Cni component: the istio-cni node agent DaemonSet and what it needs, as istioctl 1.30.3 renders Istio
 * 1.30.3's istio-cni chart (templates clusterrole.yaml, clusterrolebinding.yaml, configmap-cni.yaml,
 * daemonset.yaml, network-attachment-definition.yaml, networkpolicy.yaml, resourcequota.yaml,
 * serviceaccount.yaml; istioctl's component table names it `Cni`, DaemonSet `istio-cni-node`, container
 * `install-cni`).
 *
 * The values are the chart's (chart-values.ts): istioctl hands the chart all of `spec.values`; the chart merges
 * its defaults, the profile/compatibility/platform overlays and those values, then copies `cni` onto its top
 * level, so `values.cni.X` is read as `X` while `global` keeps its place. Object names do not change with the
 * revision (only the NetworkPolicy's does); the revision shows in the `istio.io/rev` label.
 */
import { isObject, type Json, type JsonObject, type K8sObject } from '../../manifest/objects.js';
import { formatFloat } from '../../inject/gotmpl/format.js';
import { fromJsonValue } from '../../inject/gotmpl/json.js';
import { toYaml } from '../../inject/gotmpl/yaml.js';
import { chartInput, chartValues } from '../chart-values.js';
import { chartLabels, stringMap, truthy, type RenderContext } from '../context.js';

/** The chart's fixed name (`name` in its _helpers.tpl): the ServiceAccount, roles and ConfigMap prefix. */
const NAME = 'istio-cni';
/** The DaemonSet istioctl's `k8s` settings patch (operator/pkg/component/component.go `ResourceName`). */
export const CNI_DAEMONSET = 'istio-cni-node';
/** The container istioctl's container-level `k8s` settings patch (`ContainerName`). */
export const CNI_CONTAINER = 'install-cni';

const CHART_LABELS = chartLabels('cni');

function map(v: Json | undefined): JsonObject {
  return isObject(v) ? v : {};
}

/**
 * Returns a value as a template action prints it (`{{ .Values.x }}`, `quote`): Go's `%v` of JSON data, so
 * numbers print as float64 (`5000`, `1e+06`), booleans as `true`/`false`, strings verbatim.
 */
function goText(v: Json | undefined): string {
  if (typeof v === 'number') return formatFloat(v, 'g', -1);
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

const YAML_NULL = new Set(['', '~', 'null', 'Null', 'NULL']);
const YAML_TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const YAML_FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);

/**
 * Returns the value of an unquoted template action (`path: {{ .Values.cniConfDir }}`) as istioctl reads the
 * rendered YAML back (go-yaml v2 plain scalars): null for nothing or `null`, YAML 1.1 booleans, decimal
 * numbers, else the text.
 */
function plain(v: Json | undefined): Json {
  const text = goText(v);
  if (YAML_NULL.has(text)) return null;
  if (YAML_TRUE.has(text)) return true;
  if (YAML_FALSE.has(text)) return false;
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  return text;
}

/** Returns Helm's `toYaml` of a value: sigs.k8s.io/yaml's text without its last newline. */
function helmToYaml(v: Json | undefined): string {
  return toYaml(fromJsonValue(v ?? null)).replace(/\n$/, '');
}

/**
 * Returns the values the istio-cni chart's templates see for the context's configuration (chart-values.ts), the
 * settings detected for the cluster included (on GKE: platform gke, no resource quota). Throws ConfigValueError for
 * a profile, compatibility version or platform the chart has no overlay for.
 */
export function cniValues(ctx: RenderContext): JsonObject {
  return chartValues(ctx.assets.charts, 'istio-cni', chartInput(ctx.config)).merged;
}

/** Returns the objects of the Cni component in the context's namespace (the component's), in no particular order. */
export function renderCni(ctx: RenderContext): K8sObject[] {
  return renderCniObjects(cniValues(ctx), ctx.ns, ctx.kubernetesGitVersion !== undefined ? { kubernetesGitVersion: ctx.kubernetesGitVersion } : {});
}

/** Where the node agent runs and what the chart needs from Kubernetes for it. */
export interface CniRenderOptions {
  /**
   * The cluster's Kubernetes git version, when known: with `cniBinDir` empty (the gke platform's overlay) the
   * chart takes `/home/kubernetes/bin` on a version containing `-gke`, else `/opt/cni/bin`.
   */
  kubernetesGitVersion?: string;
}

/**
 * Returns the objects of the istio-cni chart rendered from `values` (the chart's merged values, `cniValues`)
 * into `namespace` (the component's namespace), as Istio 1.30.3's chart renders them with release name `istio`:
 * with `global.resourceScope` `all` or `namespace` the ServiceAccount, ConfigMap `istio-cni-config`, DaemonSet
 * `istio-cni-node`, ResourceQuota `istio-cni-resource-quota` (when `resourceQuotas.enabled`) and, for provider
 * `multus`, the NetworkAttachmentDefinition `istio-cni` in namespace `default`; with `all` or `cluster` the
 * ClusterRole and ClusterRoleBinding `istio-cni`, the repair ones (`repair.enabled`) and the ambient ones
 * (`ambient.enabled`); and, whatever the scope, the NetworkPolicy when `global.networkPolicy.enabled`.
 */
export function renderCniObjects(values: JsonObject, namespace: string, options: CniRenderOptions = {}): K8sObject[] {
  const v = values;
  const global = map(v.global);
  const scope = global.resourceScope;
  const namespaced = scope === 'all' || scope === 'namespace';
  const clusterScoped = scope === 'all' || scope === 'cluster';
  const revision = goText(v.revision);
  const owned = {
    release: 'istio',
    'istio.io/rev': revision || 'default',
    'install.operator.istio.io/owning-resource': truthy(v.ownerName) ? goText(v.ownerName) : 'unknown',
    'operator.istio.io/component': 'Cni',
    'app.kubernetes.io/name': NAME,
    ...CHART_LABELS,
  };
  const appLabels = { app: NAME, ...owned };
  const repairLabels = { 'k8s-app': `${NAME}-repair`, ...owned };
  const ambient = truthy(map(v.ambient).enabled);
  const repair = map(v.repair);
  const out: K8sObject[] = [];

  if (clusterScoped) {
    const platform = truthy(v.platform) ? v.platform : global.platform;
    out.push(clusterRole(NAME, appLabels, [
      { apiGroups: [''], resources: ['pods', 'nodes', 'namespaces'], verbs: ['get', 'list', 'watch'] },
      ...(goText(platform) === 'openshift'
        ? [{ apiGroups: ['security.openshift.io'], resources: ['securitycontextconstraints'], resourceNames: ['privileged'], verbs: ['use'] }]
        : []),
    ]));
    out.push(clusterRoleBinding(NAME, NAME, appLabels, namespace));
    if (truthy(repair.enabled)) {
      // Repairing in place needs no extra rights; deleting or labelling broken pods does (first one set wins).
      const action = truthy(repair.repairPods) ? [] : truthy(repair.deletePods)
        ? [{ apiGroups: [''], resources: ['pods'], verbs: ['delete'] }]
        : truthy(repair.labelPods) ? [{ apiGroups: [''], resources: ['pods/status'], verbs: ['patch', 'update'] }] : [];
      out.push(clusterRole(`${NAME}-repair-role`, appLabels, [
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
        { apiGroups: [''], resources: ['pods'], verbs: ['watch', 'get', 'list'] },
        ...action,
      ]));
      out.push(clusterRoleBinding(`${NAME}-repair-rolebinding`, `${NAME}-repair-role`, repairLabels, namespace));
    }
    if (ambient) {
      out.push(clusterRole(`${NAME}-ambient`, appLabels, [
        { apiGroups: [''], resources: ['pods/status'], verbs: ['patch', 'update'] },
        { apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: [CNI_DAEMONSET], verbs: ['get'] },
      ]));
      out.push(clusterRoleBinding(`${NAME}-ambient`, `${NAME}-ambient`, repairLabels, namespace));
    }
  }

  if (namespaced) {
    out.push(configMap(v, namespace, appLabels));
    out.push(daemonSet(v, namespace, { 'k8s-app': CNI_DAEMONSET, ...owned }, options));
    if (v.provider === 'multus') {
      out.push({
        apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition',
        metadata: { name: NAME, namespace: 'default', labels: { 'operator.istio.io/component': 'Cni', 'app.kubernetes.io/name': NAME, ...CHART_LABELS } },
      });
    }
    if (truthy(map(v.resourceQuotas).enabled)) {
      out.push({
        apiVersion: 'v1', kind: 'ResourceQuota',
        metadata: { name: `${NAME}-resource-quota`, namespace, labels: { 'app.kubernetes.io/name': NAME, ...CHART_LABELS } },
        spec: {
          hard: { pods: goText(map(v.resourceQuotas).pods) },
          scopeSelector: { matchExpressions: [{ operator: 'In', scopeName: 'PriorityClass', values: ['system-node-critical'] }] },
        },
      });
    }
    const pullSecrets = Array.isArray(global.imagePullSecrets) ? global.imagePullSecrets : [];
    out.push({
      apiVersion: 'v1', kind: 'ServiceAccount',
      ...(pullSecrets.length ? { imagePullSecrets: pullSecrets.map((s) => ({ name: goText(s) })) } : {}),
      metadata: { name: NAME, namespace, labels: appLabels },
    });
  }

  if (truthy(global.networkPolicy) && truthy(map(global.networkPolicy).enabled)) {
    out.push({
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
      metadata: { name: revision ? `${NAME}-${revision}` : NAME, namespace, labels: { 'k8s-app': CNI_DAEMONSET, ...owned } },
      spec: {
        podSelector: { matchLabels: { 'k8s-app': CNI_DAEMONSET } },
        policyTypes: ['Ingress', 'Egress'],
        // Metrics and the readiness probe in; anything out (DNS and an API server whose address varies by distribution).
        ingress: [{ ports: [{ protocol: 'TCP', port: 15014 }] }, { ports: [{ protocol: 'TCP', port: 8000 }] }],
        egress: [{}],
      },
    });
  }
  return out;
}

function clusterRole(name: string, labels: Record<string, string>, rules: JsonObject[]): K8sObject {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels }, rules };
}

function clusterRoleBinding(name: string, role: string, labels: Record<string, string>, namespace: string): K8sObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding',
    metadata: { name, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ kind: 'ServiceAccount', name: NAME, namespace }],
  };
}

/** The agent's settings, read by the DaemonSet through `envFrom` (every value a string, as the chart quotes them). */
function configMap(v: JsonObject, namespace: string, labels: Record<string, string>): K8sObject {
  const ambient = map(v.ambient);
  const repair = map(v.repair);
  const data: Record<string, string> = {
    CURRENT_AGENT_VERSION: goText(truthy(v.tag) ? v.tag : map(v.global).tag),
    AMBIENT_ENABLED: goText(ambient.enabled),
    AMBIENT_ENABLEMENT_SELECTOR: helmToYaml(ambient.enablementSelectors),
    AMBIENT_DNS_CAPTURE: goText(ambient.dnsCapture),
    AMBIENT_IPV6: goText(ambient.ipv6),
    AMBIENT_RECONCILE_POD_RULES_ON_STARTUP: goText(ambient.reconcileIptablesOnStartup),
    ENABLE_AMBIENT_DETECTION_RETRY: goText(ambient.enableAmbientDetectionRetry),
    ...(truthy(v.cniConfFileName) ? { CNI_CONF_NAME: goText(v.cniConfFileName) } : {}),
    ISTIO_OWNED_CNI_CONFIG: goText(v.istioOwnedCNIConfig),
    ...(truthy(v.istioOwnedCNIConfig) ? { ISTIO_OWNED_CNI_CONF_FILENAME: goText(v.istioOwnedCNIConfigFileName) } : {}),
    CHAINED_CNI_PLUGIN: goText(v.chained),
    EXCLUDE_NAMESPACES: (Array.isArray(v.excludeNamespaces) ? v.excludeNamespaces : []).map(goText).join(','),
    REPAIR_ENABLED: goText(repair.enabled),
    REPAIR_LABEL_PODS: goText(repair.labelPods),
    REPAIR_DELETE_PODS: goText(repair.deletePods),
    REPAIR_REPAIR_PODS: goText(repair.repairPods),
    REPAIR_INIT_CONTAINER_NAME: goText(repair.initContainerName),
    REPAIR_BROKEN_POD_LABEL_KEY: goText(repair.brokenPodLabelKey),
    REPAIR_BROKEN_POD_LABEL_VALUE: goText(repair.brokenPodLabelValue),
    NATIVE_NFTABLES: goText(map(v.global).nativeNftables),
  };
  // Template `range` over a map visits the keys in sorted order.
  const env = map(v.env);
  for (const key of Object.keys(env).sort()) data[key] = goText(env[key]);
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${NAME}-config`, namespace, labels }, data };
}

function daemonSet(v: JsonObject, namespace: string, labels: Record<string, string>, options: CniRenderOptions): K8sObject {
  const ambient = map(v.ambient);
  const hostNetwork = truthy(ambient.enabled) && truthy(ambient.shareHostNetworkNamespace);
  const podSpec: JsonObject = {
    ...(hostNetwork ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    ...(truthy(v.affinity) ? { affinity: v.affinity! } : {}),
    ...(truthy(v.tolerations) ? { tolerations: v.tolerations! } : {}),
    priorityClassName: 'system-node-critical',
    serviceAccountName: NAME,
    terminationGracePeriodSeconds: v.terminationGracePeriodSeconds ?? null,
    containers: [container(v, hostNetwork)],
    volumes: volumes(v, options),
  };
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: { name: CNI_DAEMONSET, namespace, labels: { ...labels, ...stringMap(map(v.daemonSetLabels)) } },
    spec: {
      selector: { matchLabels: { 'k8s-app': CNI_DAEMONSET } },
      ...(truthy(v.updateStrategy) ? { updateStrategy: v.updateStrategy! } : {}),
      template: {
        metadata: {
          labels: {
            'k8s-app': CNI_DAEMONSET, 'sidecar.istio.io/inject': 'false', 'istio.io/dataplane-mode': 'none',
            'app.kubernetes.io/name': NAME, ...CHART_LABELS, ...stringMap(map(v.podLabels)),
          },
          annotations: {
            'sidecar.istio.io/inject': 'false',
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': '15014',
            'prometheus.io/path': '/metrics',
            // Kubernetes before 1.30 takes the AppArmor profile only from this annotation.
            ...(truthy(v.useAppArmorAnnotation) ? { 'container.apparmor.security.beta.kubernetes.io/install-cni': 'unconfined' } : {}),
            ...stringMap(map(v.podAnnotations)),
          },
        },
        spec: podSpec,
      },
    },
  };
}

function container(v: JsonObject, hostNetwork: boolean): JsonObject {
  const global = map(v.global);
  const ambient = truthy(map(v.ambient).enabled);
  const repairPods = truthy(map(v.repair).repairPods);
  const variant = truthy(v.variant) ? v.variant : global.variant;
  const image = typeof v.image === 'string' && v.image.includes('/')
    ? v.image
    : `${goText(truthy(v.hub) ? v.hub : global.hub)}/${truthy(v.image) ? goText(v.image) : 'install-cni'}:${goText(truthy(v.tag) ? v.tag : global.tag)}${truthy(variant) ? `-${goText(variant)}` : ''}`;
  const pullPolicy = truthy(v.pullPolicy) ? v.pullPolicy : global.imagePullPolicy;
  const logLevel = truthy(map(v.logging).level) ? map(v.logging).level : map(global.logging).level;
  const args = [
    ...(truthy(logLevel) ? [`--log_output_level=${goText(logLevel)}`] : []),
    ...(truthy(global.logAsJson) ? ['--log_as_json'] : []),
  ];
  const seLinux = map(v.seLinuxOptions);
  const securityContext: JsonObject = {
    ...(truthy(v.useAppArmorAnnotation) ? {} : { appArmorProfile: { type: 'Unconfined' } }),
    privileged: false,
    runAsGroup: 0,
    runAsUser: 0,
    runAsNonRoot: false,
    // The agent needs some node privileges, not all of `privileged`: network admin and raw sockets for
    // iptables/ipsets, ptrace and sys-admin to enter pod network namespaces, DAC override for host paths.
    capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW', 'SYS_PTRACE', 'SYS_ADMIN', 'DAC_OVERRIDE'] },
    // sprig's merge keeps the user's keys and fills an unset (or empty) `type` with spc_t.
    ...(truthy(seLinux) ? { seLinuxOptions: { ...seLinux, ...(truthy(seLinux.type) ? {} : { type: 'spc_t' }) } } : {}),
    ...(truthy(v.seccompProfile) ? { seccompProfile: v.seccompProfile! } : {}),
  };
  const field = (name: string, fieldPath: string, apiVersion?: string): JsonObject =>
    ({ name, valueFrom: { fieldRef: { ...(apiVersion ? { apiVersion } : {}), fieldPath } } });
  const limit = (name: string, resource: string): JsonObject => ({ name, valueFrom: { resourceFieldRef: { resource, divisor: '1' } } });
  const extraEnv = map(v.env);
  const env: JsonObject[] = [
    field('REPAIR_NODE_NAME', 'spec.nodeName'),
    { name: 'REPAIR_RUN_AS_DAEMON', value: 'true' },
    { name: 'REPAIR_SIDECAR_ANNOTATION', value: 'sidecar.istio.io/status' },
    ...(hostNetwork ? [] : [{ name: 'ALLOW_SWITCH_TO_HOST_NS', value: 'true' }]),
    field('NODE_NAME', 'spec.nodeName', 'v1'),
    limit('GOMEMLIMIT', 'limits.memory'),
    limit('GOMAXPROCS', 'limits.cpu'),
    field('POD_NAME', 'metadata.name'),
    field('POD_NAMESPACE', 'metadata.namespace'),
    ...Object.keys(extraEnv).sort().map((name) => ({ name, value: goText(extraEnv[name]) })),
  ];
  return {
    name: CNI_CONTAINER,
    image,
    ...(truthy(pullPolicy) ? { imagePullPolicy: pullPolicy! } : {}),
    ports: [{ containerPort: 15014, name: 'metrics', protocol: 'TCP' }],
    readinessProbe: { httpGet: { path: '/readyz', port: 8000 } },
    securityContext,
    command: ['install-cni'],
    // An empty `args:` in the template is YAML null.
    args: args.length ? args : null,
    envFrom: [{ configMapRef: { name: `${NAME}-config` } }],
    env,
    volumeMounts: [
      { mountPath: '/host/opt/cni/bin', name: 'cni-bin-dir' },
      ...(repairPods || ambient ? [{ mountPath: '/host/proc', name: 'cni-host-procfs', readOnly: true }] : []),
      { mountPath: '/host/etc/cni/net.d', name: 'cni-net-dir' },
      { mountPath: '/var/run/istio-cni', name: 'cni-socket-dir' },
      ...(ambient
        ? [{ mountPath: '/host/var/run/netns', mountPropagation: 'HostToContainer', name: 'cni-netns-dir' }, { mountPath: '/var/run/ztunnel', name: 'cni-ztunnel-sock-dir' }]
        : []),
    ],
    resources: resources(truthy(v.resources) ? v.resources : global.defaultResources),
  };
}

/**
 * Returns the container resources as the chart's `istio-cni.resources` helper writes them: `limits` and
 * `requests` with their set (non-empty) entries only, each left out when none is set; `null` when nothing is left.
 */
function resources(value: Json | undefined): Json {
  const out: JsonObject = {};
  for (const key of ['limits', 'requests']) {
    const entries = Object.entries(map(map(value)[key])).filter(([, x]) => truthy(x));
    if (entries.length) out[key] = Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, plain(x)]));
  }
  return Object.keys(out).length ? out : null;
}

function volumes(v: JsonObject, options: CniRenderOptions): JsonObject[] {
  const ambient = truthy(map(v.ambient).enabled);
  const repairPods = truthy(map(v.repair).repairPods);
  // An empty cniBinDir (the gke platform) leaves the choice to the cluster's version, as the chart does.
  const detected = (options.kubernetesGitVersion ?? '').includes('-gke') ? '/home/kubernetes/bin' : '/opt/cni/bin';
  return [
    { name: 'cni-bin-dir', hostPath: { path: truthy(v.cniBinDir) ? plain(v.cniBinDir) : detected } },
    ...(repairPods || ambient ? [{ name: 'cni-host-procfs', hostPath: { path: '/proc', type: 'Directory' } }] : []),
    ...(ambient ? [{ name: 'cni-ztunnel-sock-dir', hostPath: { path: '/var/run/ztunnel', type: 'DirectoryOrCreate' } }] : []),
    { name: 'cni-net-dir', hostPath: { path: plain(v.cniConfDir) } },
    { name: 'cni-socket-dir', hostPath: { path: '/var/run/istio-cni' } },
    { name: 'cni-netns-dir', hostPath: { path: plain(v.cniNetnsDir), type: 'DirectoryOrCreate' } },
  ];
}
