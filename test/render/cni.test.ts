import { describe, expect, it } from 'vitest';
import { loadAssets } from '../../src/cli/assets.js';
import { resolveConfiguration, type ConfigRequest } from '../../src/render/config.js';
import { renderManifests, type RenderOptions } from '../../src/render/render.js';
import type { JsonObject, K8sObject } from '../../src/manifest/objects.js';
import { configurationFrom } from '../../src/cli/render-options.js';
import { testDeps } from '../helpers.js';

// Facts of Istio 1.30.3's istio-cni chart as istioctl 1.30.3 renders it (manifests/charts/istio-cni, values built by
// operator/pkg/render/manifest.go), checked field for field against helm's engine rendering that chart with the
// values istioctl builds, for each configuration below; the DaemonSet also against istioctl's own manifest-generate
// test outputs (operator/cmd/mesh/testdata/manifest-generate: istio-cni, istio-cni_tolerations, component_hub_tag).

const assets = await loadAssets(testDeps().deps);
const CNI = 'components.cni.enabled=true';

function render(request: ConfigRequest, options: RenderOptions = {}): K8sObject[] {
  return renderManifests(resolveConfiguration(assets, request), assets, options).objects.filter((o) => o.component === 'Cni').map((o) => o.object);
}

function ids(objects: K8sObject[]): string[] {
  return objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
}

function find(objects: K8sObject[], kind: string, name: string): any {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered: ${ids(objects).join(', ')}`);
  return o as unknown as JsonObject;
}

const daemonSet = (objects: K8sObject[]) => find(objects, 'DaemonSet', 'istio-cni-node');
const container = (objects: K8sObject[]) => daemonSet(objects).spec.template.spec.containers[0];
const configData = (objects: K8sObject[]) => find(objects, 'ConfigMap', 'istio-cni-config').data;
const volume = (objects: K8sObject[], name: string) => daemonSet(objects).spec.template.spec.volumes.find((v: any) => v.name === name);

const CHART_LABELS = {
  'app.kubernetes.io/instance': 'istio',
  'app.kubernetes.io/managed-by': 'Helm',
  'app.kubernetes.io/name': 'istio-cni',
  'app.kubernetes.io/part-of': 'istio',
  'app.kubernetes.io/version': '1.30.3',
  'helm.sh/chart': 'cni-1.30.3',
};
const OWNED = { release: 'istio', 'istio.io/rev': 'default', 'install.operator.istio.io/owning-resource': 'unknown', 'operator.istio.io/component': 'Cni', ...CHART_LABELS };

const ENABLEMENT_SELECTOR = [
  '- podSelector:',
  '    matchLabels:',
  '      istio.io/dataplane-mode: ambient',
  '- namespaceSelector:',
  '    matchLabels:',
  '      istio.io/dataplane-mode: ambient',
  '  podSelector:',
  '    matchExpressions:',
  '    - key: istio.io/dataplane-mode',
  '      operator: NotIn',
  '      values:',
  '      - none',
].join('\n');

describe('cni component, default profile with components.cni.enabled', () => {
  const objects = render({ sets: [CNI] });

  it('renders the chart objects of the sidecar (repair) mode, in the install namespace', () => {
    expect(ids(objects)).toStrictEqual([
      'ClusterRole /istio-cni',
      'ClusterRole /istio-cni-repair-role',
      'ClusterRoleBinding /istio-cni',
      'ClusterRoleBinding /istio-cni-repair-rolebinding',
      'ConfigMap istio-system/istio-cni-config',
      'DaemonSet istio-system/istio-cni-node',
      'ServiceAccount istio-system/istio-cni',
    ]);
  });

  it('labels objects as the chart does', () => {
    expect(daemonSet(objects).metadata.labels).toStrictEqual({ 'k8s-app': 'istio-cni-node', ...OWNED });
    expect(find(objects, 'ServiceAccount', 'istio-cni').metadata.labels).toStrictEqual({ app: 'istio-cni', ...OWNED });
    // The repair binding is labelled k8s-app=istio-cni-repair, not app=istio-cni.
    expect(find(objects, 'ClusterRoleBinding', 'istio-cni-repair-rolebinding').metadata.labels).toStrictEqual({ 'k8s-app': 'istio-cni-repair', ...OWNED });
  });

  it('grants the agent read access and the repair controller events and pod reads', () => {
    expect(find(objects, 'ClusterRole', 'istio-cni').rules).toStrictEqual([
      { apiGroups: [''], resources: ['pods', 'nodes', 'namespaces'], verbs: ['get', 'list', 'watch'] },
    ]);
    expect(find(objects, 'ClusterRole', 'istio-cni-repair-role').rules).toStrictEqual([
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['watch', 'get', 'list'] },
    ]);
    const binding = find(objects, 'ClusterRoleBinding', 'istio-cni-repair-rolebinding');
    expect(binding.roleRef).toStrictEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'istio-cni-repair-role' });
    expect(binding.subjects).toStrictEqual([{ kind: 'ServiceAccount', name: 'istio-cni', namespace: 'istio-system' }]);
  });

  it('configures the agent through istio-cni-config', () => {
    expect(configData(objects)).toStrictEqual({
      CURRENT_AGENT_VERSION: '1.30.3',
      AMBIENT_ENABLED: 'false',
      AMBIENT_ENABLEMENT_SELECTOR: ENABLEMENT_SELECTOR,
      AMBIENT_DNS_CAPTURE: 'true',
      AMBIENT_IPV6: 'true',
      AMBIENT_RECONCILE_POD_RULES_ON_STARTUP: 'true',
      ENABLE_AMBIENT_DETECTION_RETRY: 'false',
      ISTIO_OWNED_CNI_CONFIG: 'false',
      CHAINED_CNI_PLUGIN: 'true',
      EXCLUDE_NAMESPACES: 'kube-system',
      REPAIR_ENABLED: 'true',
      REPAIR_LABEL_PODS: 'false',
      REPAIR_DELETE_PODS: 'false',
      REPAIR_REPAIR_PODS: 'true',
      REPAIR_INIT_CONTAINER_NAME: 'istio-validation',
      REPAIR_BROKEN_POD_LABEL_KEY: 'cni.istio.io/uninitialized',
      REPAIR_BROKEN_POD_LABEL_VALUE: 'true',
      NATIVE_NFTABLES: 'false',
    });
  });

  it('runs the install-cni DaemonSet as the chart does', () => {
    const ds = daemonSet(objects);
    expect(ds.spec.selector).toStrictEqual({ matchLabels: { 'k8s-app': 'istio-cni-node' } });
    expect(ds.spec.updateStrategy).toStrictEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
    expect(ds.spec.template.metadata).toStrictEqual({
      labels: {
        'k8s-app': 'istio-cni-node', 'sidecar.istio.io/inject': 'false', 'istio.io/dataplane-mode': 'none',
        ...CHART_LABELS,
      },
      annotations: {
        'sidecar.istio.io/inject': 'false',
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '15014',
        'prometheus.io/path': '/metrics',
        'container.apparmor.security.beta.kubernetes.io/install-cni': 'unconfined',
      },
    });
    const { containers, volumes, ...pod } = ds.spec.template.spec;
    expect(pod).toStrictEqual({
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [
        { effect: 'NoSchedule', operator: 'Exists' },
        { key: 'CriticalAddonsOnly', operator: 'Exists' },
        { effect: 'NoExecute', operator: 'Exists' },
      ],
      priorityClassName: 'system-node-critical',
      serviceAccountName: 'istio-cni',
      terminationGracePeriodSeconds: 30,
    });
    expect(containers).toHaveLength(1);
    const field = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
    expect(containers[0]).toStrictEqual({
      name: 'install-cni',
      image: 'docker.io/istio/install-cni:1.30.3',
      ports: [{ containerPort: 15014, name: 'metrics', protocol: 'TCP' }],
      readinessProbe: { httpGet: { path: '/readyz', port: 8000 } },
      securityContext: {
        privileged: false, runAsGroup: 0, runAsUser: 0, runAsNonRoot: false,
        capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW', 'SYS_PTRACE', 'SYS_ADMIN', 'DAC_OVERRIDE'] },
      },
      command: ['install-cni'],
      args: ['--log_output_level=info'],
      envFrom: [{ configMapRef: { name: 'istio-cni-config' } }],
      env: [
        field('REPAIR_NODE_NAME', 'spec.nodeName'),
        { name: 'REPAIR_RUN_AS_DAEMON', value: 'true' },
        { name: 'REPAIR_SIDECAR_ANNOTATION', value: 'sidecar.istio.io/status' },
        { name: 'ALLOW_SWITCH_TO_HOST_NS', value: 'true' },
        { name: 'NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
        { name: 'GOMEMLIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1' } } },
        { name: 'GOMAXPROCS', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1' } } },
        field('POD_NAME', 'metadata.name'),
        field('POD_NAMESPACE', 'metadata.namespace'),
      ],
      volumeMounts: [
        { mountPath: '/host/opt/cni/bin', name: 'cni-bin-dir' },
        { mountPath: '/host/proc', name: 'cni-host-procfs', readOnly: true },
        { mountPath: '/host/etc/cni/net.d', name: 'cni-net-dir' },
        { mountPath: '/var/run/istio-cni', name: 'cni-socket-dir' },
      ],
      resources: { requests: { cpu: '100m', memory: '100Mi' } },
    });
    expect(volumes).toStrictEqual([
      { name: 'cni-bin-dir', hostPath: { path: '/opt/cni/bin' } },
      { name: 'cni-host-procfs', hostPath: { path: '/proc', type: 'Directory' } },
      { name: 'cni-net-dir', hostPath: { path: '/etc/cni/net.d' } },
      { name: 'cni-socket-dir', hostPath: { path: '/var/run/istio-cni' } },
      { name: 'cni-netns-dir', hostPath: { path: '/var/run/netns', type: 'DirectoryOrCreate' } },
    ]);
  });

  it('tells the injector that the CNI plugin is there (values.pilot.cni.enabled)', () => {
    const all = renderManifests(resolveConfiguration(assets, { sets: [CNI] }), assets).objects.map((o) => o.object);
    const injector = find(all, 'ConfigMap', 'istio-sidecar-injector');
    expect(JSON.parse(injector.data.values).pilot.cni.enabled).toBe(true);
  });
});

describe('cni component in the ambient profile', () => {
  const objects = render({ sets: ['profile=ambient'] });

  it('adds the ambient role and binding, with the DaemonSet named in the rule', () => {
    expect(ids(objects)).toStrictEqual([
      'ClusterRole /istio-cni',
      'ClusterRole /istio-cni-ambient',
      'ClusterRole /istio-cni-repair-role',
      'ClusterRoleBinding /istio-cni',
      'ClusterRoleBinding /istio-cni-ambient',
      'ClusterRoleBinding /istio-cni-repair-rolebinding',
      'ConfigMap istio-system/istio-cni-config',
      'DaemonSet istio-system/istio-cni-node',
      'ServiceAccount istio-system/istio-cni',
    ]);
    expect(find(objects, 'ClusterRole', 'istio-cni-ambient').rules).toStrictEqual([
      { apiGroups: [''], resources: ['pods/status'], verbs: ['patch', 'update'] },
      { apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: ['istio-cni-node'], verbs: ['get'] },
    ]);
    expect(find(objects, 'ClusterRoleBinding', 'istio-cni-ambient').metadata.labels['k8s-app']).toBe('istio-cni-repair');
  });

  it('enables ambient redirection, uses the distroless image and mounts the netns and ztunnel socket dirs', () => {
    expect(configData(objects).AMBIENT_ENABLED).toBe('true');
    expect(container(objects).image).toBe('docker.io/istio/install-cni:1.30.3-distroless');
    expect(container(objects).volumeMounts.slice(4)).toStrictEqual([
      { mountPath: '/host/var/run/netns', mountPropagation: 'HostToContainer', name: 'cni-netns-dir' },
      { mountPath: '/var/run/ztunnel', name: 'cni-ztunnel-sock-dir' },
    ]);
    expect(daemonSet(objects).spec.template.spec.volumes.map((v: any) => v.name)).toStrictEqual([
      'cni-bin-dir', 'cni-host-procfs', 'cni-ztunnel-sock-dir', 'cni-net-dir', 'cni-socket-dir', 'cni-netns-dir',
    ]);
    expect(volume(objects, 'cni-ztunnel-sock-dir').hostPath).toStrictEqual({ path: '/var/run/ztunnel', type: 'DirectoryOrCreate' });
  });

  it('shares the host network namespace when asked (compatibility with 1.25), dropping ALLOW_SWITCH_TO_HOST_NS', () => {
    const shared = render({ sets: ['profile=ambient', 'compatibilityVersion=1.25'] });
    expect(daemonSet(shared).spec.template.spec).toMatchObject({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' });
    expect(container(shared).env.map((e: any) => e.name)).not.toContain('ALLOW_SWITCH_TO_HOST_NS');
    expect(configData(shared).AMBIENT_RECONCILE_POD_RULES_ON_STARTUP).toBe('false');
  });
});

describe('cni component on OpenShift', () => {
  const objects = render({ sets: ['profile=openshift'] });

  it('runs in kube-system, non-chained, with Multus and the privileged SCC', () => {
    expect(ids(objects)).toStrictEqual([
      'ClusterRole /istio-cni',
      'ClusterRole /istio-cni-repair-role',
      'ClusterRoleBinding /istio-cni',
      'ClusterRoleBinding /istio-cni-repair-rolebinding',
      'ConfigMap kube-system/istio-cni-config',
      'DaemonSet kube-system/istio-cni-node',
      'NetworkAttachmentDefinition default/istio-cni',
      'ServiceAccount kube-system/istio-cni',
    ]);
    expect(find(objects, 'ClusterRole', 'istio-cni').rules[1]).toStrictEqual(
      { apiGroups: ['security.openshift.io'], resources: ['securitycontextconstraints'], resourceNames: ['privileged'], verbs: ['use'] },
    );
    expect(find(objects, 'ClusterRoleBinding', 'istio-cni').subjects[0].namespace).toBe('kube-system');
    expect(find(objects, 'NetworkAttachmentDefinition', 'istio-cni')).toStrictEqual({
      apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition',
      metadata: { name: 'istio-cni', namespace: 'default', labels: { 'operator.istio.io/component': 'Cni', ...CHART_LABELS } },
    });
    expect(configData(objects)).toMatchObject({ CHAINED_CNI_PLUGIN: 'false', CNI_CONF_NAME: 'istio-cni.conf' });
    expect(volume(objects, 'cni-bin-dir').hostPath.path).toBe('/var/lib/cni/bin');
    expect(volume(objects, 'cni-net-dir').hostPath.path).toBe('/etc/cni/multus/net.d');
    expect(container(objects).securityContext.seLinuxOptions).toStrictEqual({ type: 'spc_t' });
  });

  it('openshift-ambient adds the ambient objects in kube-system', () => {
    const ambient = render({ sets: ['profile=openshift-ambient'] });
    expect(find(ambient, 'ClusterRoleBinding', 'istio-cni-ambient').subjects[0].namespace).toBe('kube-system');
    expect(configData(ambient).AMBIENT_ENABLED).toBe('true');
    expect(daemonSet(ambient).metadata.namespace).toBe('kube-system');
  });
});

describe('cni component per platform (values.global.platform)', () => {
  const withPlatform = (platform: string, options: RenderOptions = {}) => render({ sets: [CNI, `values.global.platform=${platform}`] }, options);
  const dirs = (objects: K8sObject[]) => ({
    bin: volume(objects, 'cni-bin-dir').hostPath.path, conf: volume(objects, 'cni-net-dir').hostPath.path, netns: volume(objects, 'cni-netns-dir').hostPath.path,
  });

  it.each([
    ['k3d', { bin: '/bin', conf: '/var/lib/rancher/k3s/agent/etc/cni/net.d', netns: '/var/run/netns' }],
    ['k3s', { bin: '/var/lib/rancher/k3s/data/cni', conf: '/var/lib/rancher/k3s/agent/etc/cni/net.d', netns: '/var/run/netns' }],
    ['microk8s', { bin: '/var/snap/microk8s/current/opt/cni/bin', conf: '/var/snap/microk8s/current/args/cni-network', netns: '/var/run/netns' }],
    ['minikube', { bin: '/opt/cni/bin', conf: '/etc/cni/net.d', netns: '/var/run/docker/netns' }],
  ])('%s sets the host paths', (platform, expected) => {
    expect(dirs(withPlatform(platform))).toStrictEqual(expected);
  });

  it('gke adds a ResourceQuota for system-node-critical pods and takes the bin dir from the cluster version', () => {
    const objects = withPlatform('gke');
    expect(find(objects, 'ResourceQuota', 'istio-cni-resource-quota')).toStrictEqual({
      apiVersion: 'v1', kind: 'ResourceQuota',
      metadata: { name: 'istio-cni-resource-quota', namespace: 'istio-system', labels: CHART_LABELS },
      spec: {
        hard: { pods: '5000' },
        scopeSelector: { matchExpressions: [{ operator: 'In', scopeName: 'PriorityClass', values: ['system-node-critical'] }] },
      },
    });
    expect(dirs(objects).bin).toBe('/opt/cni/bin');
    expect(dirs(withPlatform('gke', { kubernetesGitVersion: 'v1.35.1-gke.200' })).bin).toBe('/home/kubernetes/bin');
    // An explicit cniBinDir wins over the detection.
    expect(dirs(render({ sets: [CNI, 'values.global.platform=gke', 'values.cni.cniBinDir=/x'] }, { kubernetesGitVersion: 'v1.35.1-gke.200' })).bin).toBe('/x');
  });

  it('refuses a platform the chart has no overlay for, as the chart does', () => {
    expect(() => render({ sets: [CNI, 'values.global.platform=eks'] })).toThrow(/unknown platform "eks"/);
  });
});

describe('cni component with a revision', () => {
  it('keeps the object names and labels them with the revision; the NetworkPolicy is named per revision', () => {
    const objects = render({ sets: [CNI, 'values.global.networkPolicy.enabled=true'], revision: 'canary' });
    expect(ids(objects)).toContain('DaemonSet istio-system/istio-cni-node');
    expect(ids(objects)).toContain('ClusterRole /istio-cni');
    expect(daemonSet(objects).metadata.labels['istio.io/rev']).toBe('canary');
    expect(find(objects, 'NetworkPolicy', 'istio-cni-canary')).toStrictEqual({
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
      metadata: { name: 'istio-cni-canary', namespace: 'istio-system', labels: { 'k8s-app': 'istio-cni-node', ...OWNED, 'istio.io/rev': 'canary' } },
      spec: {
        podSelector: { matchLabels: { 'k8s-app': 'istio-cni-node' } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ ports: [{ protocol: 'TCP', port: 15014 }] }, { ports: [{ protocol: 'TCP', port: 8000 }] }],
        egress: [{}],
      },
    });
    expect(ids(render({ sets: [CNI, 'values.global.networkPolicy.enabled=true'] }))).toContain('NetworkPolicy istio-system/istio-cni');
  });
});

describe('cni component values', () => {
  it('splits objects by values.global.resourceScope', () => {
    expect(ids(render({ sets: [CNI, 'values.global.resourceScope=namespace'] }))).toStrictEqual([
      'ConfigMap istio-system/istio-cni-config', 'DaemonSet istio-system/istio-cni-node', 'ServiceAccount istio-system/istio-cni',
    ]);
    expect(ids(render({ sets: [CNI, 'values.global.resourceScope=cluster'] }))).toStrictEqual([
      'ClusterRole /istio-cni', 'ClusterRole /istio-cni-repair-role', 'ClusterRoleBinding /istio-cni', 'ClusterRoleBinding /istio-cni-repair-rolebinding',
    ]);
  });

  it('gives the repair controller the rights its mode needs, and drops it when disabled', () => {
    const rules = (sets: string[]) => find(render({ sets: [CNI, ...sets] }), 'ClusterRole', 'istio-cni-repair-role').rules.slice(2);
    expect(rules(['values.cni.repair.repairPods=false', 'values.cni.repair.deletePods=true'])).toStrictEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['delete'] }]);
    expect(rules(['values.cni.repair.repairPods=false', 'values.cni.repair.labelPods=true'])).toStrictEqual([{ apiGroups: [''], resources: ['pods/status'], verbs: ['patch', 'update'] }]);
    const off = render({ sets: [CNI, 'values.cni.repair.enabled=false', 'values.cni.repair.repairPods=false'] });
    expect(ids(off)).not.toContain('ClusterRole /istio-cni-repair-role');
    expect(volume(off, 'cni-host-procfs')).toBeUndefined();
    expect(configData(off).REPAIR_ENABLED).toBe('false');
  });

  it('reads image, logging, env, labels and annotations from values.cni over values.global', () => {
    const objects = render({
      sets: [CNI, 'values.cni.hub=h.io/x', 'values.cni.tag=8.8', 'values.cni.variant=debug', 'values.cni.pullPolicy=Always', 'values.cni.logging.level=debug',
        'values.global.logAsJson=true', 'values.cni.env.FOO=bar', 'values.cni.podAnnotations.team=mesh', 'values.cni.podLabels.pl=v', 'values.cni.daemonSetLabels.dl=w',
        'values.cni.useAppArmorAnnotation=false', 'values.cni.seccompProfile.type=RuntimeDefault', 'values.global.imagePullSecrets[0]=sec1'],
    });
    const c = container(objects);
    expect(c.image).toBe('h.io/x/install-cni:8.8-debug');
    expect(c.imagePullPolicy).toBe('Always');
    expect(c.args).toStrictEqual(['--log_output_level=debug', '--log_as_json']);
    expect(c.env.at(-1)).toStrictEqual({ name: 'FOO', value: 'bar' });
    expect(configData(objects).FOO).toBe('bar');
    expect(configData(objects).CURRENT_AGENT_VERSION).toBe('8.8');
    expect(c.securityContext.appArmorProfile).toStrictEqual({ type: 'Unconfined' });
    expect(c.securityContext.seccompProfile).toStrictEqual({ type: 'RuntimeDefault' });
    const ds = daemonSet(objects);
    expect(ds.metadata.labels.dl).toBe('w');
    expect(ds.spec.template.metadata.labels.pl).toBe('v');
    expect(ds.spec.template.metadata.annotations.team).toBe('mesh');
    expect(ds.spec.template.metadata.annotations).not.toHaveProperty('container.apparmor.security.beta.kubernetes.io/install-cni');
    expect(find(objects, 'ServiceAccount', 'istio-cni').imagePullSecrets).toStrictEqual([{ name: 'sec1' }]);
  });

  it('builds the image from the component hub and tag and the global variant (istioctl test input component_hub_tag)', () => {
    const text = [
      'apiVersion: install.istio.io/v1alpha1', 'kind: IstioOperator', 'spec:', '  hub: istio-spec.hub', '  tag: istio-spec.tag',
      '  values:', '    global:', '      variant: global.variant', '  components:', '    cni:', '      enabled: true',
      '      hub: component.cni.hub', '      tag: v3.3.3', '',
    ].join('\n');
    expect(container(render({ files: [{ name: 'hub-tag.yaml', text }] })).image).toBe('component.cni.hub/install-cni:v3.3.3-global.variant');
  });

  it('takes the component hub and tag and a full image reference verbatim', () => {
    expect(container(render({ sets: [CNI, 'components.cni.hub=my.io/r', 'components.cni.tag=9.9'] })).image).toBe('my.io/r/install-cni:9.9');
    expect(container(render({ sets: [CNI, 'values.cni.image=my.reg/cni:1'] })).image).toBe('my.reg/cni:1');
  });

  it('fills an SELinux type of spc_t when options are given without one', () => {
    const objects = render({ sets: [CNI, 'unvalidatedValues.cni.seLinuxOptions.level=s0'] });
    expect(container(objects).securityContext.seLinuxOptions).toStrictEqual({ level: 's0', type: 'spc_t' });
  });

  it('writes only the set resource entries, and the global defaults when the chart has none', () => {
    expect(container(render({ sets: [CNI, 'values.cni.resources.limits.cpu=2000m', 'values.cni.resources.requests.memory='] })).resources)
      .toStrictEqual({ limits: { cpu: '2000m' }, requests: { cpu: '100m' } });
  });

  it('lists excluded namespaces and the istio-owned config file as the chart does', () => {
    const text = [
      'apiVersion: install.istio.io/v1alpha1', 'kind: IstioOperator', 'spec:', '  values:', '    cni:',
      '      excludeNamespaces: [a, b]', '      istioOwnedCNIConfig: true', '      istioOwnedCNIConfigFileName: 02-istio.conflist', '',
    ].join('\n');
    const data = configData(render({ files: [{ name: 'cni.yaml', text }], sets: [CNI] }));
    expect(data.EXCLUDE_NAMESPACES).toBe('a,b');
    expect(data.ISTIO_OWNED_CNI_CONFIG).toBe('true');
    expect(data.ISTIO_OWNED_CNI_CONF_FILENAME).toBe('02-istio.conflist');
  });
});

describe('cni component namespace and k8s settings', () => {
  const text = [
    'apiVersion: install.istio.io/v1alpha1',
    'kind: IstioOperator',
    'spec:',
    '  components:',
    '    cni:',
    '      enabled: true',
    '      namespace: kube-system',
    '      k8s:',
    '        resources:',
    '          limits:',
    '            cpu: 500m',
    '        nodeSelector:',
    '          pool: system',
    '        tolerations:',
    '        - operator: Exists',
    '        podAnnotations:',
    '          a: b',
    '        env:',
    '        - name: EXTRA',
    '          value: "1"',
    '        overlays:',
    '        - kind: DaemonSet',
    '          name: istio-cni-node',
    '          patches:',
    '          - path: spec.template.spec.hostPID',
    '            value: true',
    '',
  ].join('\n');
  const objects = render({ files: [{ name: 'cni.yaml', text }] });

  it('renders into the component namespace and binds the ServiceAccount there', () => {
    expect(daemonSet(objects).metadata.namespace).toBe('kube-system');
    expect(find(objects, 'ConfigMap', 'istio-cni-config').metadata.namespace).toBe('kube-system');
    expect(find(objects, 'ClusterRoleBinding', 'istio-cni').subjects[0].namespace).toBe('kube-system');
  });

  it('patches the istio-cni-node DaemonSet and its install-cni container', () => {
    const pod = daemonSet(objects).spec.template.spec;
    expect(pod.containers[0].resources).toStrictEqual({ limits: { cpu: '500m' }, requests: { cpu: '100m', memory: '100Mi' } });
    expect(pod.containers[0].env.map((e: any) => e.name)).toContain('EXTRA');
    expect(pod.nodeSelector).toStrictEqual({ 'kubernetes.io/os': 'linux', pool: 'system' });
    expect(pod.tolerations).toStrictEqual([{ operator: 'Exists' }]);
    expect(pod.hostPID).toBe(true);
    expect(daemonSet(objects).spec.template.metadata.annotations.a).toBe('b');
  });

  it('replaces the chart tolerations with k8s.tolerations (istioctl test input istio-cni_tolerations)', () => {
    const tolerations = [
      'apiVersion: install.istio.io/v1alpha1', 'kind: IstioOperator', 'spec:', '  components:', '    cni:', '      enabled: true',
      '      k8s:', '        tolerations:', '        - effect: NoSchedule', '          key: example-key', '          operator: Exists', '',
    ].join('\n');
    expect(daemonSet(render({ files: [{ name: 't.yaml', text: tolerations }] })).spec.template.spec.tolerations)
      .toStrictEqual([{ effect: 'NoSchedule', key: 'example-key', operator: 'Exists' }]);
  });

  it('is not rendered unless enabled', () => {
    expect(render({ sets: [] })).toStrictEqual([]);
    expect(render({ sets: ['profile=ambient', 'components.cni.enabled=false'] })).toStrictEqual([]);
  });

  it('is rendered, as istioctl does, for an entry that does not say enabled: false; the injector still reads enabled', () => {
    const request = { sets: ['components.cni.namespace=kube-system'] };
    expect(daemonSet(render(request)).metadata.namespace).toBe('kube-system');
    const all = renderManifests(resolveConfiguration(assets, request), assets).objects.map((o) => o.object);
    expect(JSON.parse(find(all, 'ConfigMap', 'istio-sidecar-injector').data.values).pilot.cni.enabled).toBe(false);
  });
});

describe('cni component on a GKE cluster (istioctl install with a -gke server version)', () => {
  it('runs in kube-system without a ResourceQuota and installs into the GKE CNI bin dir', async () => {
    const { rendering } = await configurationFrom(testDeps().deps, { set: [] }, undefined, {}, { kubernetesGitVersion: 'v1.35.1-gke.200' });
    const objects = rendering.objects.filter((o) => o.component === 'Cni').map((o) => o.object);
    expect(ids(objects)).toStrictEqual([
      'ClusterRole /istio-cni',
      'ClusterRole /istio-cni-repair-role',
      'ClusterRoleBinding /istio-cni',
      'ClusterRoleBinding /istio-cni-repair-rolebinding',
      'ConfigMap kube-system/istio-cni-config',
      'DaemonSet kube-system/istio-cni-node',
      'ServiceAccount kube-system/istio-cni',
    ]);
    expect(volume(objects, 'cni-bin-dir').hostPath.path).toBe('/home/kubernetes/bin');
  });

  it('leaves other clusters alone', async () => {
    const { rendering } = await configurationFrom(testDeps().deps, { set: [] }, undefined, {}, { kubernetesGitVersion: 'v1.35.1' });
    expect(rendering.objects.filter((o) => o.component === 'Cni')).toStrictEqual([]);
  });
});
