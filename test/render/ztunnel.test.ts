/**
 * The Ztunnel component against Istio 1.30.3: the facts below were checked field for field against the ztunnel
 * chart rendered by Helm's engine with the values istioctl hands it, and against istioctl's own goldens
 * (operator/cmd/mesh/testdata/manifest-generate/output/ztunnel*.golden.yaml: profile ambient with k8s
 * resources and tolerations).
 */
import { describe, expect, it } from 'vitest';
import { loadAssets } from '../../src/cli/assets.js';
import { resolveConfiguration, type ConfigRequest } from '../../src/render/config.js';
import { renderManifests } from '../../src/render/render.js';
import type { JsonObject, K8sObject } from '../../src/manifest/objects.js';
import { run, testDeps } from '../helpers.js';

const assets = await loadAssets(testDeps().deps);

/** The Ztunnel component's objects. */
function ztunnel(sets: string[], request: ConfigRequest = {}): K8sObject[] {
  const rendering = renderManifests(resolveConfiguration(assets, { ...request, sets }), assets);
  return rendering.objects.filter((o) => o.component === 'Ztunnel').map((o) => o.object);
}

function find(objects: K8sObject[], kind: string, name = 'ztunnel'): any {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered (have ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')})`);
  return o;
}

const daemonSet = (objects: K8sObject[], name = 'ztunnel') => find(objects, 'DaemonSet', name);
const proxy = (objects: K8sObject[], name = 'ztunnel') => daemonSet(objects, name).spec.template.spec.containers[0];
function env(objects: K8sObject[], name = 'ztunnel'): Record<string, string | undefined> {
  return Object.fromEntries((proxy(objects, name).env as JsonObject[]).map((e) => [e.name as string, e.value as string | undefined]));
}
const kinds = (objects: K8sObject[]) => objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();

const CHART_LABELS = {
  'app.kubernetes.io/instance': 'istio', 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/part-of': 'istio',
  'app.kubernetes.io/version': '1.30.3', 'helm.sh/chart': 'ztunnel-1.30.3',
};

describe('ztunnel with the chart defaults (components.ztunnel.enabled=true)', () => {
  const objects = ztunnel(['components.ztunnel.enabled=true']);

  it('renders the ServiceAccount and the DaemonSet, nothing else', () => {
    expect(kinds(objects)).toStrictEqual(['DaemonSet/istio-system/ztunnel', 'ServiceAccount/istio-system/ztunnel']);
    expect(find(objects, 'ServiceAccount').metadata).toStrictEqual({
      name: 'ztunnel', namespace: 'istio-system', labels: { 'app.kubernetes.io/name': 'ztunnel', ...CHART_LABELS }, annotations: {},
    });
  });

  it('renders the DaemonSet as the chart does', () => {
    const ds = daemonSet(objects);
    expect(ds.metadata.annotations).toStrictEqual({});
    expect(ds.spec.updateStrategy).toStrictEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(ds.spec.selector).toStrictEqual({ matchLabels: { app: 'ztunnel' } });
    expect(ds.spec.template.metadata.labels).toStrictEqual({
      'sidecar.istio.io/inject': 'false', 'istio.io/dataplane-mode': 'none', app: 'ztunnel', 'app.kubernetes.io/name': 'ztunnel', ...CHART_LABELS,
    });
    expect(ds.spec.template.metadata.annotations).toStrictEqual({ 'sidecar.istio.io/inject': 'false', 'prometheus.io/port': '15020', 'prometheus.io/scrape': 'true' });
    const pod = ds.spec.template.spec;
    expect(pod.nodeSelector).toStrictEqual({ 'kubernetes.io/os': 'linux' });
    expect(pod.serviceAccountName).toBe('ztunnel');
    expect(pod.priorityClassName).toBe('system-node-critical');
    expect(pod.terminationGracePeriodSeconds).toBe(30);
    expect(pod.tolerations).toStrictEqual([
      { effect: 'NoSchedule', operator: 'Exists' }, { key: 'CriticalAddonsOnly', operator: 'Exists' }, { effect: 'NoExecute', operator: 'Exists' },
    ]);
    expect(pod.volumes.map((v: JsonObject) => v.name)).toStrictEqual(['istio-token', 'istiod-ca-cert', 'cni-ztunnel-sock-dir', 'tmp']);
    expect(pod.volumes[0].projected.sources[0].serviceAccountToken).toStrictEqual({ path: 'istio-token', expirationSeconds: 43200, audience: 'istio-ca' });
    expect(pod.volumes[1].configMap).toStrictEqual({ name: 'istio-ca-root-cert' });
    expect(pod.volumes[2].hostPath).toStrictEqual({ path: '/var/run/ztunnel', type: 'DirectoryOrCreate' });
  });

  it('runs the ztunnel image as the chart runs it', () => {
    const c = proxy(objects);
    expect(c.name).toBe('istio-proxy');
    expect(c.image).toBe('docker.io/istio/ztunnel:1.30.3');
    expect(c.imagePullPolicy).toBeUndefined();
    expect(c.args).toStrictEqual(['proxy', 'ztunnel']);
    expect(c.ports).toStrictEqual([{ containerPort: 15020, name: 'ztunnel-stats', protocol: 'TCP' }]);
    expect(c.resources).toStrictEqual({ requests: { cpu: '200m', memory: '512Mi' } });
    expect(c.readinessProbe).toStrictEqual({ httpGet: { port: 15021, path: '/healthz/ready' } });
    expect(c.securityContext).toStrictEqual({
      allowPrivilegeEscalation: true, privileged: false, capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'SYS_ADMIN', 'NET_RAW'] },
      readOnlyRootFilesystem: true, runAsGroup: 1337, runAsNonRoot: false, runAsUser: 0,
    });
    expect(c.volumeMounts.map((m: JsonObject) => m.mountPath)).toStrictEqual(['/var/run/secrets/istio', '/var/run/secrets/tokens', '/var/run/ztunnel', '/tmp']);
  });

  it('sets the environment in the chart\'s order', () => {
    expect((proxy(objects).env as JsonObject[]).map((e) => e.name)).toStrictEqual([
      'CA_ADDRESS', 'XDS_ADDRESS', 'RUST_LOG', 'RUST_BACKTRACE', 'ISTIO_META_CLUSTER_ID', 'INPOD_ENABLED', 'TERMINATION_GRACE_PERIOD_SECONDS',
      'POD_NAME', 'POD_NAMESPACE', 'NODE_NAME', 'INSTANCE_IP', 'SERVICE_ACCOUNT', 'ZTUNNEL_CPU_LIMIT',
    ]);
    expect(env(objects)).toMatchObject({
      CA_ADDRESS: 'istiod.istio-system.svc:15012', XDS_ADDRESS: 'istiod.istio-system.svc:15012', RUST_LOG: 'info', RUST_BACKTRACE: '1',
      ISTIO_META_CLUSTER_ID: 'Kubernetes', INPOD_ENABLED: 'true', TERMINATION_GRACE_PERIOD_SECONDS: '30',
    });
    expect((proxy(objects).env as JsonObject[]).at(-1)).toStrictEqual({ name: 'ZTUNNEL_CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1' } } });
  });

  it('is not rendered by the default profile', () => {
    expect(ztunnel([])).toStrictEqual([]);
  });
});

describe('profiles and platforms', () => {
  it('ambient: the distroless image and HBONE from the chart\'s ambient overlay', () => {
    const objects = ztunnel(['profile=ambient']);
    expect(kinds(objects)).toStrictEqual(['DaemonSet/istio-system/ztunnel', 'ServiceAccount/istio-system/ztunnel']);
    expect(proxy(objects).image).toBe('docker.io/istio/ztunnel:1.30.3-distroless');
    const names = (proxy(objects).env as JsonObject[]).map((e) => e.name);
    expect(names.slice(names.indexOf('SERVICE_ACCOUNT'))).toStrictEqual(['SERVICE_ACCOUNT', 'ISTIO_META_ENABLE_HBONE', 'ZTUNNEL_CPU_LIMIT']);
    expect(env(objects).ISTIO_META_ENABLE_HBONE).toBe('true');
  });

  it('openshift-ambient: kube-system, the privileged SCC through a ClusterRole, SELinux type spc_t; istiod stays in istio-system', () => {
    const objects = ztunnel(['profile=openshift-ambient']);
    expect(kinds(objects)).toStrictEqual([
      'ClusterRole//ztunnel', 'ClusterRoleBinding//ztunnel', 'DaemonSet/kube-system/ztunnel', 'ServiceAccount/kube-system/ztunnel',
    ]);
    const labels = { app: 'ztunnel', release: 'ztunnel', 'install.operator.istio.io/owning-resource': 'unknown', 'app.kubernetes.io/name': 'ztunnel', ...CHART_LABELS };
    expect(find(objects, 'ClusterRole')).toStrictEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'ztunnel', labels, annotations: {} },
      rules: [{ apiGroups: ['security.openshift.io'], resources: ['securitycontextconstraints'], resourceNames: ['privileged'], verbs: ['use'] }],
    });
    const binding = find(objects, 'ClusterRoleBinding');
    expect(binding.roleRef).toStrictEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'ztunnel' });
    expect(binding.subjects).toStrictEqual([{ kind: 'ServiceAccount', name: 'ztunnel', namespace: 'kube-system' }]);
    expect(proxy(objects).securityContext.seLinuxOptions).toStrictEqual({ type: 'spc_t' });
    expect(env(objects).CA_ADDRESS).toBe('istiod.istio-system.svc:15012');
  });

  it('gke: a ResourceQuota for system-node-critical pods in the ztunnel namespace', () => {
    const objects = ztunnel(['profile=ambient', 'values.global.platform=gke']);
    expect(find(objects, 'ResourceQuota')).toStrictEqual({
      apiVersion: 'v1', kind: 'ResourceQuota',
      metadata: { name: 'ztunnel', namespace: 'istio-system', labels: { 'app.kubernetes.io/name': 'ztunnel', ...CHART_LABELS } },
      spec: {
        hard: { pods: '5000' },
        scopeSelector: { matchExpressions: [{ operator: 'In', scopeName: 'PriorityClass', values: ['system-node-critical'] }] },
      },
    });
  });

  it('gke detected from the cluster\'s version (istioctl\'s cluster-specific settings) reaches the ztunnel chart too', () => {
    const objects = ztunnel([], { profile: 'ambient', kubernetesGitVersion: 'v1.33.5-gke.1201000' });
    expect(kinds(objects)).toStrictEqual(['DaemonSet/istio-system/ztunnel', 'ResourceQuota/istio-system/ztunnel', 'ServiceAccount/istio-system/ztunnel']);
  });

  it('k3s and minikube change only the cni chart\'s settings: ztunnel is rendered as for ambient', () => {
    const ambient = ztunnel(['profile=ambient']);
    expect(ztunnel(['profile=ambient', 'values.global.platform=k3s'])).toStrictEqual(ambient);
    expect(ztunnel(['profile=ambient', 'values.global.platform=minikube'])).toStrictEqual(ambient);
  });

  it('the demo overlay\'s ztunnel resources do not reach the chart (it reads resources, not ztunnel.resources)', () => {
    expect(proxy(ztunnel(['profile=demo', 'components.ztunnel.enabled=true'])).resources).toStrictEqual({ requests: { cpu: '200m', memory: '512Mi' } });
  });

  it('refuses a platform the chart has no overlay for, naming the flag', async () => {
    const r = await run(['manifest', 'generate', '--set', 'components.ztunnel.enabled=true', '--set', 'components.pilot.enabled=false', '--set', 'values.ztunnel.platform=nosuch']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('unknown platform "nosuch"');
  });
});

describe('revisions', () => {
  const objects = ztunnel(['profile=ambient', 'revision=canary']);

  it('keeps the names and marks the revision in annotations', () => {
    expect(kinds(objects)).toStrictEqual(['DaemonSet/istio-system/ztunnel', 'ServiceAccount/istio-system/ztunnel']);
    expect(daemonSet(objects).metadata.annotations).toStrictEqual({ 'istio.io/rev': 'canary' });
    expect(find(objects, 'ServiceAccount').metadata.annotations).toStrictEqual({ 'istio.io/rev': 'canary' });
    expect(daemonSet(objects).spec.template.metadata.annotations['istio.io/rev']).toBe('canary');
  });

  it('talks to the revision\'s istiod', () => {
    expect(env(objects).CA_ADDRESS).toBe('istiod-canary.istio-system.svc:15012');
    expect(env(objects).XDS_ADDRESS).toBe('istiod-canary.istio-system.svc:15012');
  });

  it('suffixes the NetworkPolicy with the revision', () => {
    const policy = find(ztunnel(['profile=ambient', 'revision=canary', 'values.global.networkPolicy.enabled=true']), 'NetworkPolicy', 'ztunnel-canary');
    expect(policy.metadata.labels).toStrictEqual({
      app: 'ztunnel', 'app.kubernetes.io/name': 'ztunnel', 'istio.io/rev': 'canary', 'install.operator.istio.io/owning-resource': 'unknown',
      'operator.istio.io/component': 'Ztunnel', release: 'istio', ...CHART_LABELS,
    });
    expect(policy.spec.podSelector).toStrictEqual({ matchLabels: { app: 'ztunnel' } });
    expect(policy.spec.ingress.flatMap((r: any) => r.ports.map((p: any) => `${p.protocol}/${p.port}`))).toStrictEqual([
      'TCP/15021', 'TCP/15020', 'TCP/15000', 'TCP/15008', 'TCP/15001', 'TCP/15006', 'TCP/15053', 'UDP/15053',
    ]);
    expect(policy.spec.egress).toStrictEqual([{}]);
  });
});

describe('istioctl\'s value handling: global values at the chart\'s top level, values.ztunnel over them', () => {
  it('reads multicluster and network settings from global', () => {
    const e = env(ztunnel(['profile=ambient', 'values.global.multiCluster.clusterName=east', 'values.global.network=net1']));
    expect(e.ISTIO_META_CLUSTER_ID).toBe('east');
    expect(e.NETWORK).toBe('net1');
    const names = (proxy(ztunnel(['profile=ambient', 'values.global.network=net1'])).env as JsonObject[]).map((x) => x.name);
    expect(names.indexOf('NETWORK')).toBe(names.indexOf('RUST_LOG') - 1);
  });

  it('lets values.ztunnel win over global', () => {
    const e = env(ztunnel(['profile=ambient', 'values.global.multiCluster.clusterName=east', 'values.ztunnel.multiCluster.clusterName=west',
      'values.global.network=net1', 'values.ztunnel.network=net2', 'values.ztunnel.variant=']));
    expect(e.ISTIO_META_CLUSTER_ID).toBe('west');
    expect(e.NETWORK).toBe('net2');
  });

  it('takes hub, tag, variant, pull policy, pull secrets, JSON logs and the istio namespace from global', () => {
    const objects = ztunnel(['profile=ambient', 'values.global.hub=gcr.io/x', 'values.global.tag=1.2.3', 'values.global.variant=debug',
      'values.global.imagePullPolicy=Always', 'values.global.imagePullSecrets[0]=pull', 'values.global.logAsJson=true', 'values.global.istioNamespace=other']);
    expect(proxy(objects).image).toBe('gcr.io/x/ztunnel:1.2.3-debug');
    expect(proxy(objects).imagePullPolicy).toBe('Always');
    expect(find(objects, 'ServiceAccount').imagePullSecrets).toStrictEqual([{ name: 'pull' }]);
    expect(env(objects).LOG_FORMAT).toBe('json');
    expect(env(objects).CA_ADDRESS).toBe('istiod.other.svc:15012');
  });

  it('finds istiod in an install namespace other than istio-system, unless the values name one (meshctl\'s rule, as for istiod)', () => {
    expect(env(ztunnel(['profile=ambient', 'namespace=mesh'])).CA_ADDRESS).toBe('istiod.mesh.svc:15012');
    expect(env(ztunnel(['profile=ambient', 'namespace=mesh', 'values.global.istioNamespace=istio-system'])).CA_ADDRESS).toBe('istiod.istio-system.svc:15012');
  });

  it('takes the component\'s hub and tag over everything', () => {
    expect(proxy(ztunnel(['profile=ambient', 'components.ztunnel.hub=quay.io/h', 'components.ztunnel.tag=9.9', 'values.ztunnel.hub=no'])).image)
      .toBe('quay.io/h/ztunnel:9.9-distroless');
  });

  it('gives ztunnel its own proxy metadata: the top-level mesh config does not reach the chart', () => {
    const e = env(ztunnel(['profile=ambient', 'meshConfig.defaultConfig.proxyMetadata.TOP=1', 'values.ztunnel.meshConfig.defaultConfig.proxyMetadata.OWN=2']));
    expect(e.TOP).toBeUndefined();
    expect(e.OWN).toBe('2');
  });

  it('renders the chart\'s other values: name, log level, env, CRL, cluster trust bundle, quota, labels, DNS, addresses', () => {
    const objects = ztunnel(['profile=ambient', 'values.ztunnel.resourceName=zt', 'values.ztunnel.logLevel=debug', 'values.ztunnel.env.BIG=1000000',
      'values.ztunnel.env.ENABLE_CLUSTER_TRUST_BUNDLE_API=true', 'values.ztunnel.peerCaCrl.enabled=true', 'values.ztunnel.terminationGracePeriodSeconds=45',
      'values.ztunnel.resourceQuotas.enabled=true', 'values.ztunnel.labels.a=b', 'values.ztunnel.annotations.c=d', 'values.ztunnel.podLabels.e=f',
      'values.ztunnel.dnsPolicy=None', 'values.ztunnel.caAddress=ca:1', 'values.ztunnel.xdsAddress=xds:2']);
    expect(kinds(objects)).toStrictEqual(['DaemonSet/istio-system/zt', 'ResourceQuota/istio-system/zt', 'ServiceAccount/istio-system/zt']);
    const ds = daemonSet(objects, 'zt');
    expect(ds.metadata.labels.a).toBe('b');
    expect(ds.metadata.annotations).toStrictEqual({ c: 'd' });
    expect(ds.spec.template.metadata.labels.e).toBe('f');
    expect(ds.spec.template.spec.serviceAccountName).toBe('zt');
    expect(ds.spec.template.spec.dnsPolicy).toBe('None');
    expect(ds.spec.template.spec.terminationGracePeriodSeconds).toBe(45);
    // Values reach the chart as JSON numbers (float64), printed as Go prints them.
    expect(env(objects, 'zt')).toMatchObject({
      RUST_LOG: 'debug', BIG: '1e+06', ENABLE_CLUSTER_TRUST_BUNDLE_API: 'true', CRL_PATH: '/var/run/secrets/istio/crl/ca-crl.pem',
      TERMINATION_GRACE_PERIOD_SECONDS: '45', CA_ADDRESS: 'ca:1', XDS_ADDRESS: 'xds:2',
    });
    const volumes = ds.spec.template.spec.volumes;
    expect(volumes[1]).toStrictEqual({ name: 'istiod-ca-cert', projected: { sources: [{ clusterTrustBundle: { name: 'istio.io:istiod-ca:root-cert', path: 'root-cert.pem' } }] } });
    expect(volumes.at(-1)).toStrictEqual({ name: 'crl-volume', configMap: { name: 'istio-ca-crl', optional: true } });
    expect(proxy(objects, 'zt').volumeMounts.at(-1)).toStrictEqual({ mountPath: '/var/run/secrets/istio/crl', name: 'crl-volume', readOnly: true });
  });

  it('leaves out resources whose values are all empty, as the chart\'s helper does', () => {
    expect(proxy(ztunnel(['components.ztunnel.enabled=true', 'values.ztunnel.resources.requests.cpu=', 'values.ztunnel.resources.limits.memory=1Gi'])).resources)
      .toStrictEqual({ limits: { memory: '1Gi' }, requests: { memory: '512Mi' } });
  });

  it('renders by resourceScope: cluster-scoped objects only, or namespaced ones only', () => {
    expect(kinds(ztunnel(['profile=openshift-ambient', 'values.ztunnel.resourceScope=cluster']))).toStrictEqual(['ClusterRole//ztunnel', 'ClusterRoleBinding//ztunnel']);
    expect(kinds(ztunnel(['profile=openshift-ambient', 'values.global.resourceScope=namespace'])))
      .toStrictEqual(['DaemonSet/kube-system/ztunnel', 'ServiceAccount/kube-system/ztunnel']);
  });
});

describe('k8s settings, as istioctl patches the DaemonSet', () => {
  it('merges resources and replaces tolerations (istioctl\'s ztunnel and ztunnel_tolerations goldens)', () => {
    const file = `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  profile: ambient
  components:
    ztunnel:
      enabled: true
      k8s:
        resources:
          requests: {cpu: 100m, memory: 100Mi}
          limits: {cpu: 200m, memory: 200Mi}
        tolerations:
        - {key: example-key, operator: Exists, effect: NoSchedule}
`;
    const objects = ztunnel([], { files: [{ name: 'z.yaml', text: file }] });
    expect(proxy(objects).resources).toStrictEqual({ limits: { cpu: '200m', memory: '200Mi' }, requests: { cpu: '100m', memory: '100Mi' } });
    expect(daemonSet(objects).spec.template.spec.tolerations).toStrictEqual([{ key: 'example-key', operator: 'Exists', effect: 'NoSchedule' }]);
  });

  it('applies env, node selector, pod annotations and overlays to the DaemonSet without touching the ServiceAccount', () => {
    const objects = ztunnel(['profile=ambient', 'components.ztunnel.k8s.env[0].name=EXTRA', 'components.ztunnel.k8s.env[0].value=x',
      'components.ztunnel.k8s.nodeSelector.pool=a', 'components.ztunnel.k8s.podAnnotations.p=q',
      'components.ztunnel.k8s.overlays[0].kind=DaemonSet', 'components.ztunnel.k8s.overlays[0].name=ztunnel',
      'components.ztunnel.k8s.overlays[0].patches[0].path=metadata.labels.patched', 'components.ztunnel.k8s.overlays[0].patches[0].value=yes']);
    expect(env(objects).EXTRA).toBe('x');
    expect(daemonSet(objects).spec.template.spec.nodeSelector).toStrictEqual({ 'kubernetes.io/os': 'linux', pool: 'a' });
    expect(daemonSet(objects).spec.template.metadata.annotations.p).toBe('q');
    expect(daemonSet(objects).metadata.labels.patched).toBe('yes');
    expect(find(objects, 'ServiceAccount').metadata.labels.patched).toBeUndefined();
  });

  it('patches only a DaemonSet named ztunnel, as istioctl does: with another resourceName the settings find nothing, and meshctl says so', async () => {
    const sets = ['profile=ambient', 'values.ztunnel.resourceName=zt', 'components.ztunnel.k8s.resources.requests.cpu=1'];
    expect(proxy(ztunnel(sets), 'zt').resources).toStrictEqual({ requests: { cpu: '200m', memory: '512Mi' } });
    const r = await run(['manifest', 'generate', ...sets.flatMap((s) => ['--set', s])]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('components.ztunnel.k8s (resources) changes nothing: as istioctl, it applies to the DaemonSet named ztunnel, and values.ztunnel.resourceName names it zt');
    expect((await run(['manifest', 'generate', '--set', 'profile=ambient', '--set', 'components.ztunnel.k8s.resources.requests.cpu=1'])).stderr).not.toContain('changes nothing');
  });
});

describe('manifest generate', () => {
  it('prints the ztunnel objects of the ambient profile with the component in its namespace', async () => {
    const r = await run(['manifest', 'generate', '--set', 'profile=ambient']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('image: docker.io/istio/ztunnel:1.30.3-distroless');
    expect(r.stdout).toMatch(/kind: DaemonSet\nmetadata:\n(?: {2}.*\n)*? {2}name: ztunnel\n {2}namespace: istio-system\n/);
  });
});
