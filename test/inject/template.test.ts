import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { executeGoTemplate, hasGo } from './go-template.js';
import { loadAssets } from '../../src/cli/assets.js';
import { resolveConfiguration } from '../../src/render/config.js';
import { renderManifests } from '../../src/render/render.js';
import { testDeps } from '../helpers.js';
import { defaultProxyConfig as istioProxyDefaults } from '../../src/inject/mesh.js';

/*
 * Executes manifests/injection/sidecar.tmpl with real Go text/template + sprig (the harness in
 * ./gotemplate) over the data istiod 1.30.3 builds for upstream's hello.yaml Deployment, and
 * checks the fragment against the Istio 1.30.3 injection facts (reference/istio-1.30.md §3.3,
 * istio-1.30.3-delta.md §2.10-2.11). The whole fragment is also kept as a golden file per case
 * under test/testdata/inject-template/; the explicit assertions are what keep a golden
 * regenerated from a wrong template from passing.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const goldenDir = '../testdata/inject-template';

// The templates and values come from the istio-sidecar-injector ConfigMap that `manifest generate`
// renders for the default profile: exactly what istiod would execute.
const injectorConfigMap = await (async () => {
  const assets = await loadAssets(testDeps().deps);
  const objects = renderManifests(resolveConfiguration(assets, {}), assets).objects.map((o) => o.object);
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'istio-sidecar-injector') as unknown as { data: { config: string; values: string } };
  return { config: parse(cm.data.config) as { templates: Record<string, string> }, values: JSON.parse(cm.data.values) as Record<string, unknown> };
})();
const sidecarTemplate = injectorConfigMap.config.templates.sidecar!;
const gatewayTemplate = injectorConfigMap.config.templates.gateway!;
const defaultValues = injectorConfigMap.values;

it('ships the template files unchanged in the rendered ConfigMap', () => {
  expect(sidecarTemplate).toBe(readFileSync(join(root, 'manifests/injection/sidecar.tmpl'), 'utf8'));
  expect(gatewayTemplate).toBe(readFileSync(join(root, 'manifests/injection/gateway.tmpl'), 'utf8'));
});

const goMissing = !hasGo();
const skipReason =
  'needs Go 1.25 or newer and the Go module proxy (sprig v3.3.0 comes from test/inject/gotemplate/go.mod); CI has both';
// CI sets MESHCTL_REQUIRE_GO so a missing toolchain fails the run instead of skipping these tests.
if (goMissing && process.env.MESHCTL_REQUIRE_GO) throw new Error(`MESHCTL_REQUIRE_GO is set but the Go harness cannot run: ${skipReason}`);
/** Test title, with the reason appended when the Go harness cannot run here. */
const title = (name: string): string => (goMissing ? `${name} [skipped: ${skipReason}]` : name);

/** mesh.DefaultProxyConfig() plus the chart's discoveryAddress, in protobuf JSON: what istiod passes as .ProxyConfig by default. */
const defaultProxyConfig = istioProxyDefaults();

type Data = Record<string, unknown> & {
  ObjectMeta: { labels?: Record<string, string>; annotations?: Record<string, string> };
  ProxyConfig: Record<string, unknown>;
  Values: Record<string, unknown> & { global: Record<string, unknown> & { proxy: Record<string, unknown> } };
};

/** SidecarTemplateData istiod builds for hello.yaml (kube-inject: no namespace, revision unset, 1337/1337). */
function helloData(): Data {
  const values = structuredClone(defaultValues) as Data['Values'];
  return {
    TypeMeta: { apiVersion: 'apps/v1', kind: 'Deployment' },
    DeploymentMeta: { Namespace: '', Name: 'hello' },
    ObjectMeta: { labels: { app: 'hello', tier: 'backend', track: 'stable' } },
    Spec: {
      containers: [
        {
          name: 'hello',
          image: 'fake.docker.io/google-samples/hello-go-gke:1.0',
          ports: [{ name: 'http', containerPort: 80 }],
        },
      ],
    },
    ProxyConfig: structuredClone(defaultProxyConfig),
    MeshConfig: {
      proxyListenPort: 15001,
      proxyInboundListenPort: 15006,
      trustDomain: 'cluster.local',
      rootNamespace: 'istio-system',
      enablePrometheusMerge: true,
      defaultConfig: structuredClone(defaultProxyConfig),
    },
    Values: values,
    Revision: '',
    NativeSidecars: false,
    ProxyImage: 'docker.io/istio/proxyv2:1.30.3',
    ProxyUID: 1337,
    ProxyGID: 1337,
    InboundTrafficPolicyMode: 'passthrough',
    CompliancePolicy: '',
  };
}

function withAnnotations(data: Data, annotations: Record<string, string>): Data {
  data.ObjectMeta.annotations = { ...data.ObjectMeta.annotations, ...annotations };
  return data;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Record<string, Record<string, string>>;
}
interface Container {
  name: string;
  image: string;
  args: string[];
  env?: EnvVar[];
  restartPolicy?: string;
  lifecycle?: Record<string, { exec: { command: string[] } }>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> } | null;
  securityContext: Record<string, unknown> & { capabilities: { add?: string[]; drop?: string[] } };
  readinessProbe?: Record<string, unknown>;
  startupProbe?: Record<string, unknown>;
  ports?: unknown[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Fragment {
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  spec: {
    initContainers: Container[];
    containers?: Container[];
    volumes: Record<string, unknown>[];
    imagePullSecrets?: { name: string }[];
  };
}

/** Executes a template (the sidecar one by default); returns the fragment as istiod's YAML parser reads it, after checking the TS parser agrees. */
async function render(data: Data, template = sidecarTemplate): Promise<Fragment> {
  const raw = await executeGoTemplate(template, data);
  const asGoReadsIt = JSON.parse(await executeGoTemplate(template, data, { output: 'json' })) as Fragment;
  expect(parse(raw)).toEqual(asGoReadsIt);
  return asGoReadsIt;
}

function golden(fragment: Fragment): string {
  return stringify(fragment, { lineWidth: 0 });
}

function container(list: Container[] | undefined, name: string): Container {
  const found = list?.find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name} in [${(list ?? []).map((c) => c.name).join(', ')}]`);
  return found;
}

function proxyOf(fragment: Fragment): Container {
  return fragment.spec.containers
    ? container(fragment.spec.containers, 'istio-proxy')
    : container(fragment.spec.initContainers, 'istio-proxy');
}

function envMap(c: Container): Map<string, EnvVar> {
  return new Map((c.env ?? []).map((e) => [e.name, e]));
}

/** The sidecar.istio.io/status lists istiod derives from the injected fragment. */
function statusLists(fragment: Fragment): { initContainers: string[]; containers: string[] | null; volumes: string[] } {
  return {
    initContainers: fragment.spec.initContainers.map((c) => c.name),
    containers: fragment.spec.containers ? fragment.spec.containers.map((c) => c.name) : null,
    volumes: fragment.spec.volumes.map((v) => v.name as string),
  };
}

const defaultIptablesArgs = [
  'istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT',
  '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020', '--log_output_level=default:info',
];

const proxyArgs = [
  'proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local',
  '--proxyLogLevel=warning', '--proxyComponentLogLevel=misc:error', '--log_output_level=default:info',
];

const envOrder = [
  'PILOT_CERT_PROVIDER', 'CA_ADDR', 'POD_NAME', 'POD_NAMESPACE', 'INSTANCE_IP', 'SERVICE_ACCOUNT', 'HOST_IP',
  'ISTIO_CPU_LIMIT', 'PROXY_CONFIG', 'ISTIO_META_POD_PORTS', 'ISTIO_META_APP_CONTAINERS', 'GOMEMLIMIT', 'GOMAXPROCS',
  'ISTIO_META_CLUSTER_ID', 'ISTIO_META_NODE_NAME', 'ISTIO_META_INTERCEPTION_MODE', 'ISTIO_META_WORKLOAD_NAME',
  'ISTIO_META_OWNER', 'ISTIO_META_MESH_ID', 'TRUST_DOMAIN',
];

const volumeNames = [
  'workload-socket', 'credential-socket', 'workload-certs', 'istio-envoy', 'istio-data',
  'istio-podinfo', 'istio-token', 'istiod-ca-cert', 'istio-ca-crl',
];

const mounts = [
  ['workload-socket', '/var/run/secrets/workload-spiffe-uds'],
  ['credential-socket', '/var/run/secrets/credential-uds'],
  ['workload-certs', '/var/run/secrets/workload-spiffe-credentials'],
  ['istiod-ca-cert', '/var/run/secrets/istio'],
  ['istio-ca-crl', '/var/run/secrets/istio/crl'],
  ['istio-data', '/var/lib/istio/data'],
  ['istio-envoy', '/etc/istio/proxy'],
  ['istio-token', '/var/run/secrets/tokens'],
  ['istio-podinfo', '/etc/istio/pod'],
].map(([name, mountPath]) => ({ name, mountPath }));

const defaultResources = { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2000m', memory: '1024Mi' } };

describe('sidecar injection template (Istio 1.30.3 facts, executed by Go text/template + sprig)', () => {
  it.skipIf(goMissing)(title('classic layout for hello.yaml'), async () => {
    const fragment = await render(helloData());

    expect(fragment.metadata.labels).toEqual({
      'security.istio.io/tlsMode': 'istio',
      'service.istio.io/canonical-name': 'hello',
      'service.istio.io/canonical-revision': 'latest',
    });
    expect(fragment.metadata.annotations).toEqual({
      'istio.io/rev': 'default',
      'kubectl.kubernetes.io/default-container': 'hello',
      'kubectl.kubernetes.io/default-logs-container': 'hello',
    });
    expect(statusLists(fragment)).toEqual({ initContainers: ['istio-init'], containers: ['istio-proxy'], volumes: volumeNames });

    const init = container(fragment.spec.initContainers, 'istio-init');
    expect(init.image).toBe('docker.io/istio/proxyv2:1.30.3');
    expect(init.args).toEqual(defaultIptablesArgs);
    expect(init.resources).toEqual(defaultResources);
    expect(init.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      readOnlyRootFilesystem: false,
      runAsGroup: 0,
      runAsNonRoot: false,
      runAsUser: 0,
    });
    expect(init.env).toBeUndefined();

    const proxy = proxyOf(fragment);
    expect(proxy.image).toBe('docker.io/istio/proxyv2:1.30.3');
    expect(proxy.restartPolicy).toBeUndefined();
    expect(proxy.lifecycle).toBeUndefined();
    expect(proxy.args).toEqual(proxyArgs);
    expect(proxy.ports).toEqual([{ containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' }]);
    expect((proxy.env ?? []).map((e) => e.name)).toEqual(envOrder);
    const env = envMap(proxy);
    expect(env.get('PILOT_CERT_PROVIDER')?.value).toBe('istiod');
    expect(env.get('CA_ADDR')?.value).toBe('istiod.istio-system.svc:15012');
    for (const [name, fieldPath] of [
      ['POD_NAME', 'metadata.name'], ['POD_NAMESPACE', 'metadata.namespace'], ['INSTANCE_IP', 'status.podIP'],
      ['SERVICE_ACCOUNT', 'spec.serviceAccountName'], ['HOST_IP', 'status.hostIP'], ['ISTIO_META_NODE_NAME', 'spec.nodeName'],
    ] as const) {
      expect(env.get(name)?.valueFrom).toEqual({ fieldRef: { fieldPath } });
    }
    expect(env.get('ISTIO_CPU_LIMIT')?.valueFrom).toEqual({ resourceFieldRef: { resource: 'limits.cpu', divisor: '1' } });
    expect(env.get('GOMEMLIMIT')?.valueFrom).toEqual({ resourceFieldRef: { resource: 'limits.memory', divisor: '1' } });
    expect(env.get('GOMAXPROCS')?.valueFrom).toEqual({ resourceFieldRef: { resource: 'limits.cpu', divisor: '1' } });
    expect(env.get('PROXY_CONFIG')?.value).toBe('{}\n');
    expect(env.get('ISTIO_META_POD_PORTS')?.value).toBe('[\n    {"name":"http","containerPort":80}\n]');
    expect(env.get('ISTIO_META_APP_CONTAINERS')?.value).toBe('hello');
    expect(env.get('ISTIO_META_CLUSTER_ID')?.value).toBe('Kubernetes');
    expect(env.get('ISTIO_META_INTERCEPTION_MODE')?.value).toBe('REDIRECT');
    expect(env.get('ISTIO_META_WORKLOAD_NAME')?.value).toBe('hello');
    expect(env.get('ISTIO_META_OWNER')?.value).toBe('kubernetes://apis/apps/v1/namespaces/default/deployments/hello');
    expect(env.get('ISTIO_META_MESH_ID')?.value).toBe('cluster.local');
    expect(env.get('TRUST_DOMAIN')?.value).toBe('cluster.local');

    const probe = { httpGet: { path: '/healthz/ready', port: 15021 }, initialDelaySeconds: 0, timeoutSeconds: 3 };
    expect(proxy.readinessProbe).toEqual({ ...probe, periodSeconds: 15, failureThreshold: 4 });
    expect(proxy.startupProbe).toEqual({ ...probe, periodSeconds: 1, failureThreshold: 600 });
    expect(proxy.resources).toEqual(defaultResources);
    expect(proxy.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsGroup: 1337,
      runAsNonRoot: true,
      runAsUser: 1337,
    });
    expect(proxy.volumeMounts).toEqual(mounts);

    expect(fragment.spec.volumes).toEqual([
      { name: 'workload-socket', emptyDir: null },
      { name: 'credential-socket', emptyDir: null },
      { name: 'workload-certs', emptyDir: null },
      { name: 'istio-envoy', emptyDir: { medium: 'Memory' } },
      { name: 'istio-data', emptyDir: {} },
      {
        name: 'istio-podinfo',
        downwardAPI: {
          items: [
            { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
            { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
          ],
        },
      },
      {
        name: 'istio-token',
        projected: { sources: [{ serviceAccountToken: { path: 'istio-token', expirationSeconds: 43200, audience: 'istio-ca' } }] },
      },
      { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } },
      { name: 'istio-ca-crl', configMap: { name: 'istio-ca-crl', optional: true } },
    ]);
    expect(fragment.spec.imagePullSecrets).toBeUndefined();

    // The whole fragment, kept for review; the assertions above are what pin the facts.
    await expect(golden(fragment)).toMatchFileSnapshot(`${goldenDir}/hello-classic.yaml`);
  });

  it.skipIf(goMissing)(title('native layout: istio-proxy is the second init container'), async () => {
    const data = helloData();
    data.NativeSidecars = true;
    const fragment = await render(data);

    expect(statusLists(fragment)).toEqual({ initContainers: ['istio-init', 'istio-proxy'], containers: null, volumes: volumeNames });
    expect(fragment.spec.containers).toBeUndefined();
    const proxy = proxyOf(fragment);
    expect(proxy.restartPolicy).toBe('Always');
    expect(proxy.lifecycle).toEqual({
      preStop: { exec: { command: ['pilot-agent', 'request', '--debug-port=15020', 'POST', 'drain'] } },
    });
    expect((proxy.env ?? []).map((e) => e.name)).toEqual(envOrder);
    expect(proxy.startupProbe).toMatchObject({ periodSeconds: 1, failureThreshold: 600 });
    expect(container(fragment.spec.initContainers, 'istio-init').args).toEqual(defaultIptablesArgs);

    // The pod annotation wins over istiod's choice, both ways.
    const forcedClassic = await render(withAnnotations(structuredClone(data), { 'sidecar.istio.io/nativeSidecar': 'false' }));
    expect(statusLists(forcedClassic).containers).toEqual(['istio-proxy']);
    const forcedNative = await render(withAnnotations(helloData(), { 'sidecar.istio.io/nativeSidecar': 'true' }));
    expect(statusLists(forcedNative).initContainers).toEqual(['istio-init', 'istio-proxy']);

    // The whole fragment, kept for review; the assertions above are what pin the facts.
    await expect(golden(fragment)).toMatchFileSnapshot(`${goldenDir}/hello-native.yaml`);
  });

  it.skipIf(goMissing)(title('traffic annotations shape the istio-iptables arguments'), async () => {
    const data = withAnnotations(helloData(), {
      'traffic.sidecar.istio.io/includeOutboundIPRanges': '10.96.0.0/12,192.168.0.0/16',
      'traffic.sidecar.istio.io/excludeOutboundPorts': '3306,6379',
      'traffic.sidecar.istio.io/excludeInboundPorts': '9090',
    });
    const fragment = await render(data);

    expect(container(fragment.spec.initContainers, 'istio-init').args).toEqual([
      'istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT',
      '-i', '10.96.0.0/12,192.168.0.0/16', '-x', '', '-b', '*', '-d', '15090,15021,9090,15020',
      '-o', '3306,6379', '--log_output_level=default:info',
    ]);
    // The template itself adds no traffic annotations without CNI.
    expect(Object.keys(fragment.metadata.annotations).filter((k) => k.startsWith('traffic.'))).toEqual([]);

    const outboundPorts = await render(withAnnotations(helloData(), { 'traffic.sidecar.istio.io/includeOutboundPorts': '443' }));
    expect(container(outboundPorts.spec.initContainers, 'istio-init').args).toEqual([
      ...defaultIptablesArgs.slice(0, -1), '-q', '443', '--log_output_level=default:info',
    ]);

    // The whole fragment, kept for review; the assertions above are what pin the facts.
    await expect(golden(fragment)).toMatchFileSnapshot(`${goldenDir}/traffic-annotations.yaml`);
  });

  it.skipIf(goMissing)(title('sidecar.istio.io/proxyCPU replaces the default resources'), async () => {
    const fragment = await render(withAnnotations(helloData(), { 'sidecar.istio.io/proxyCPU': '200m' }));

    expect(proxyOf(fragment).resources).toEqual({ requests: { cpu: '200m' } });
    expect(container(fragment.spec.initContainers, 'istio-init').resources).toEqual({ requests: { cpu: '200m' } });

    const all = await render(withAnnotations(helloData(), {
      'sidecar.istio.io/proxyCPU': '200m',
      'sidecar.istio.io/proxyMemory': '256Mi',
      'sidecar.istio.io/proxyCPULimit': '1',
      'sidecar.istio.io/proxyMemoryLimit': '512Mi',
    }));
    expect(proxyOf(all).resources).toEqual({ requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } });

    // The whole fragment, kept for review; the assertions above are what pin the facts.
    await expect(golden(fragment)).toMatchFileSnapshot(`${goldenDir}/proxy-cpu.yaml`);
  });

  it.skipIf(goMissing)(title('holdApplicationUntilProxyStarts adds the postStart wait in the classic layout'), async () => {
    const data = helloData();
    data.Values.global.proxy.holdApplicationUntilProxyStarts = true;
    const fragment = await render(data);

    const proxy = proxyOf(fragment);
    expect(statusLists(fragment).containers).toEqual(['istio-proxy']);
    expect(proxy.lifecycle).toEqual({ postStart: { exec: { command: ['pilot-agent', 'wait'] } } });

    // The mesh-config form behaves the same and shows up in PROXY_CONFIG.
    const viaMesh = helloData();
    viaMesh.ProxyConfig.holdApplicationUntilProxyStarts = true;
    const meshProxy = proxyOf(await render(viaMesh));
    expect(meshProxy.lifecycle).toEqual({ postStart: { exec: { command: ['pilot-agent', 'wait'] } } });
    expect(envMap(meshProxy).get('PROXY_CONFIG')?.value).toBe('{"holdApplicationUntilProxyStarts":true}\n');

    // Native sidecars need no hook: they keep the drain preStop instead.
    data.NativeSidecars = true;
    expect(proxyOf(await render(data)).lifecycle).toEqual({
      preStop: { exec: { command: ['pilot-agent', 'request', '--debug-port=15020', 'POST', 'drain'] } },
    });

    // The whole fragment, kept for review; the assertions above are what pin the facts.
    await expect(golden(fragment)).toMatchFileSnapshot(`${goldenDir}/hold-application.yaml`);
  });

  it.skipIf(goMissing)(title('revision canary'), async () => {
    const data = helloData();
    data.Revision = 'canary';
    data.Values.revision = 'canary';
    const fragment = await render(data);

    expect(fragment.metadata.annotations['istio.io/rev']).toBe('canary');
    expect(envMap(proxyOf(fragment)).get('CA_ADDR')?.value).toBe('istiod-canary.istio-system.svc:15012');

    // The whole fragment, kept for review; the assertions above are what pin the facts.
    await expect(golden(fragment)).toMatchFileSnapshot(`${goldenDir}/revision-canary.yaml`);
  });

  it.skipIf(goMissing)(title('CNI: istio-validation and the traffic annotations'), async () => {
    const data = helloData();
    (data.Values.pilot as { cni: { enabled: boolean } }).cni.enabled = true;
    const fragment = await render(data);

    expect(statusLists(fragment).initContainers).toEqual(['istio-validation']);
    const validation = container(fragment.spec.initContainers, 'istio-validation');
    expect(validation.args).toEqual([...defaultIptablesArgs, '--run-validation', '--skip-rule-apply']);
    expect(validation.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsGroup: 1337,
      runAsNonRoot: true,
      runAsUser: 1337,
    });
    expect(fragment.metadata.annotations).toMatchObject({
      'sidecar.istio.io/interceptionMode': 'REDIRECT',
      'traffic.sidecar.istio.io/includeOutboundIPRanges': '*',
      'traffic.sidecar.istio.io/includeInboundPorts': '*',
      'traffic.sidecar.istio.io/excludeInboundPorts': '15020',
    });
    expect(fragment.metadata.annotations).not.toHaveProperty('traffic.sidecar.istio.io/excludeOutboundIPRanges');

    // The whole fragment, kept for review; the assertions above are what pin the facts.
    await expect(golden(fragment)).toMatchFileSnapshot(`${goldenDir}/cni.yaml`);
  });

  it.skipIf(goMissing)(title('labels, image pull secrets, mesh ID and network from values and the pod'), async () => {
    const data = helloData();
    data.ObjectMeta.labels = {
      'app.kubernetes.io/name': `${'x'.repeat(62)}-tail`,
      'app.kubernetes.io/version': 'v2',
      'security.istio.io/tlsMode': 'disabled',
    };
    data.Values.global.imagePullSecrets = ['registry-a', 'registry-b'];
    data.Values.global.meshID = 'mesh1';
    data.Values.global.network = 'net1';
    const fragment = await render(data);

    expect(fragment.metadata.labels).toEqual({
      'security.istio.io/tlsMode': 'disabled',
      // trunc 63, then a single trailing "-" trimmed (1.30.3; master trims more).
      'service.istio.io/canonical-name': 'x'.repeat(62),
      'service.istio.io/canonical-revision': 'v2',
    });
    expect(fragment.spec.imagePullSecrets).toEqual([{ name: 'registry-a' }, { name: 'registry-b' }]);
    const env = envMap(proxyOf(fragment));
    expect(env.get('ISTIO_META_MESH_ID')?.value).toBe('mesh1');
    expect(env.get('ISTIO_META_NETWORK')?.value).toBe('net1');
    expect([...env.keys()].indexOf('ISTIO_META_NETWORK')).toBe([...env.keys()].indexOf('ISTIO_META_INTERCEPTION_MODE') + 1);
  });

  it.skipIf(goMissing)(title('gateway template: the proxy is the pod\'s only container, as a router'), async () => {
    // A Deployment from the `gateway` Helm chart: inject.istio.io/templates: gateway, image: auto.
    const data = helloData();
    data.DeploymentMeta = { Namespace: 'istio-ingress', Name: 'istio-ingressgateway' };
    data.ObjectMeta = {
      labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' },
      annotations: { 'inject.istio.io/templates': 'gateway' },
    };
    data.Spec = { containers: [{ name: 'istio-proxy', image: 'auto' }] };
    const fragment = await render(data, gatewayTemplate);

    expect((fragment.spec as { initContainers?: unknown }).initContainers).toBeUndefined();
    expect(fragment.spec.containers?.map((c) => c.name)).toEqual(['istio-proxy']);
    const proxy = proxyOf(fragment);
    expect(proxy.image).toBe('docker.io/istio/proxyv2:1.30.3');
    expect(proxy.args.slice(0, 2)).toEqual(['proxy', 'router']);
    const names = (proxy.env ?? []).map((e) => e.name);
    // 1.30.3 keeps GOMAXPROCS in the gateway template too (delta §0.2), right after GOMEMLIMIT.
    expect(names.indexOf('GOMAXPROCS')).toBe(names.indexOf('GOMEMLIMIT') + 1);
    expect(envMap(proxy).get('ISTIO_META_OWNER')?.value)
      .toBe('kubernetes://apis/apps/v1/namespaces/istio-ingress/deployments/istio-ingressgateway');
    expect(fragment.metadata.annotations).toEqual({ 'istio.io/rev': 'default' });
    expect((fragment.spec as { securityContext?: unknown }).securityContext).toEqual({
      sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }],
    });
    // Istio 1.30.3's gateway template: owner, then mesh ID, then trust domain; the two credential
    // volumes are emptyDirs while the workload socket's source stays open.
    expect(names.slice(names.indexOf('ISTIO_META_WORKLOAD_NAME'))).toEqual(['ISTIO_META_WORKLOAD_NAME', 'ISTIO_META_OWNER', 'ISTIO_META_MESH_ID', 'TRUST_DOMAIN']);
    const volumes = fragment.spec.volumes;
    expect(volumes.slice(0, 3)).toEqual([{ name: 'workload-socket', emptyDir: null }, { name: 'credential-socket', emptyDir: {} }, { name: 'workload-certs', emptyDir: {} }]);

    await expect(golden(fragment)).toMatchFileSnapshot(`${goldenDir}/gateway.yaml`);
  });

  it.skipIf(goMissing)(title('gateway template: workload name from the workload, a custom bootstrap mounted, no 63-character cut'), async () => {
    const data = helloData();
    const long = 'gw-'.repeat(30);
    data.DeploymentMeta = { Namespace: 'istio-ingress', Name: 'istio-ingressgateway' };
    data.ObjectMeta = {
      labels: { app: long, 'service.istio.io/workload-name': 'chosen-by-label' },
      annotations: { 'inject.istio.io/templates': 'gateway', 'sidecar.istio.io/bootstrapOverride': 'my-bootstrap' },
    };
    data.Spec = { containers: [{ name: 'istio-proxy', image: 'auto' }] };
    const fragment = await render(data, gatewayTemplate);
    const proxy = proxyOf(fragment);
    expect(envMap(proxy).get('ISTIO_META_WORKLOAD_NAME')?.value).toBe('istio-ingressgateway');
    expect(envMap(proxy).get('ISTIO_BOOTSTRAP_OVERRIDE')?.value).toBe('/etc/istio/custom-bootstrap/custom_bootstrap.json');
    expect((proxy as { volumeMounts: { name: string; mountPath: string }[] }).volumeMounts).toContainEqual({ name: 'custom-bootstrap-volume', mountPath: '/etc/istio/custom-bootstrap' });
    expect(fragment.spec.volumes).toContainEqual({ name: 'custom-bootstrap-volume', configMap: { name: 'my-bootstrap' } });
    expect(fragment.metadata.labels?.['service.istio.io/canonical-name']).toBe(long);
  });
});
