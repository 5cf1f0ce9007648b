/**
 * The gateway deployment templates (kube-gateway, waypoint, agentgateway) as istiod ships and runs
 * them: they are in the rendered istio-sidecar-injector ConfigMap, meshctl's engine prints exactly what
 * real Go text/template + sprig prints for the same controller data (the harness in ./gotemplate,
 * with the Gateway embedded in the data as istiod embeds it), and a Gateway of class `istio` gets its
 * ServiceAccount, Deployment and Service from an installation's own injector configuration.
 */
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadAssets } from '../../src/cli/assets.js';
import { injectionConfigFromObjects } from '../../src/inject/config.js';
import {
  type GatewayControllerContext,
  type GatewayResource,
  gatewayTemplateData,
  gatewayTemplateDataFor,
  gatewayTemplateInput,
  reconcileGateway,
  resolveGatewayClass,
} from '../../src/inject/gateway-deployment.js';
import { parseTemplate } from '../../src/inject/gotmpl/index.js';
import { resolveConfiguration } from '../../src/render/config.js';
import { renderManifests } from '../../src/render/render.js';
import { testDeps } from '../helpers.js';
import { executeGoTemplate, hasGo } from './go-template.js';

const GATEWAY_TEMPLATES = ['kube-gateway', 'waypoint', 'agentgateway'];

const assets = await loadAssets(testDeps().deps);
const objects = renderManifests(resolveConfiguration(assets, {}), assets).objects.map((o) => o.object);
const injector = injectionConfigFromObjects(objects, '');

const goMissing = !hasGo();
const skipReason = 'needs Go 1.25 or newer and the Go module proxy (sprig v3.3.0 comes from test/inject/gotemplate/go.mod); CI has both';
if (goMissing && process.env.MESHCTL_REQUIRE_GO) throw new Error(`MESHCTL_REQUIRE_GO is set but the Go harness cannot run: ${skipReason}`);
const title = (name: string): string => (goMissing ? `${name} [skipped: ${skipReason}]` : name);

it('the rendered injector ConfigMap carries the three gateway templates, as shipped', () => {
  for (const name of GATEWAY_TEMPLATES) {
    expect(injector.templates[name], name).toBe(assets.injectionTemplates[name]);
    expect(() => parseTemplate(injector.templates[name]!, name)).not.toThrow();
  }
});

it('a Gateway of class istio gets a ServiceAccount, Deployment and Service from the default profile\'s configuration', () => {
  const gw: GatewayResource = {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway',
    metadata: { name: 'web', namespace: 'shop', uid: 'abc-123' },
    spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
  };
  const result = reconcileGateway(gw, { templates: injector.templates, values: injector.values, mesh: injector.mesh, kubeVersion: 133 });
  expect(result.error).toBeUndefined();
  expect(result.writes.map((w) => `${String(w.kind)} ${String((w.metadata as { name?: string }).name ?? '')}`))
    .toEqual(['Gateway ', 'ServiceAccount web-istio', 'Deployment web-istio', 'Service web-istio']);
  const deployment = result.writes[2] as { spec: { template: { spec: { containers: { image: string; env: { name: string; value?: string }[] }[] } } } };
  const proxy = deployment.spec.template.spec.containers[0]!;
  expect(proxy.image).toBe('docker.io/istio/proxyv2:1.30.3');
  expect(proxy.env.find((e) => e.name === 'CA_ADDR')?.value).toBe('istiod.istio-system.svc:15012');
  const service = result.writes[3] as { spec: { ports: unknown[]; type: string } };
  expect(service.spec.type).toBe('LoadBalancer');
  expect(service.spec.ports).toEqual([
    { name: 'status-port', port: 15021, protocol: 'TCP', appProtocol: 'tcp' },
    { name: 'http', port: 80, protocol: 'TCP', appProtocol: 'http' },
  ]);
});

/** Gateways exercising names, annotations, infrastructure metadata, addresses and listeners. */
const GATEWAYS: GatewayResource[] = [
  { metadata: { name: 'plain', namespace: 'default' }, spec: { gatewayClassName: '' } },
  {
    metadata: {
      name: 'edge', namespace: 'ns1', uid: 'u-1',
      labels: { 'topology.istio.io/network': 'net-a', team: 'x' },
      annotations: {
        'sidecar.istio.io/proxyImage': 'reg.example/proxy:1', 'sidecar.istio.io/logLevel': 'debug', 'gateway.istio.io/agentgatewayImage': 'custom',
        'kubectl.kubernetes.io/last-applied-configuration': '{}', 'networking.istio.io/service-type': 'LoadBalancer', note: 'a "quoted" <value>',
      },
    },
    spec: {
      gatewayClassName: '',
      listeners: [{ name: 'web.http', port: 80, protocol: 'HTTP' }, { name: 'dup', port: 80, protocol: 'TCP' }, { name: 'tls', port: 443, protocol: 'HTTPS' }],
      addresses: [{ value: '203.0.113.1' }],
      infrastructure: { labels: { infra: 'yes', 'gateway.networking.k8s.io/x': 'dropped' }, annotations: { fizz: 'buzz' } },
    },
  },
];

/** Injector values: upstream's test minimum, the default profile's, and one setting every knob the templates read. */
const VALUE_SETS: Record<string, GatewayControllerContext['values']> = {
  minimal: { global: { hub: 'test', tag: 'test' } },
  'default profile': injector.values,
  everything: {
    revision: 'canary',
    gateways: { seccompProfile: { type: 'RuntimeDefault' } },
    pilot: { env: { ENABLE_CLUSTER_TRUST_BUNDLE_API: true } },
    global: {
      hub: 'docker.io/istio', tag: '1.30.3-distroless', variant: 'debug', meshID: 'mesh1', network: 'net9', trustDomain: 'td.local', platform: 'openshift',
      caName: 'GkeWorkloadCertificate', pilotCertProvider: 'istiod', trustBundleName: 'tb', imagePullPolicy: 'Always', imagePullSecrets: ['a', 'b'],
      logAsJson: true, sts: { servicePort: 15463 }, istioNamespace: 'istio-system', multiCluster: { clusterName: 'c1' },
      logging: { level: 'default:info' }, sds: { token: { aud: 'istio-ca' } },
      proxy: {
        image: 'proxyv2', clusterDomain: 'cluster.local', logLevel: 'warning', componentLogLevel: 'misc:error', outlierLogPath: '/dev/stdout',
        resources: { requests: { cpu: '100m', memory: null }, limits: { cpu: '2000m', memory: '1024Mi' } },
        lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
      },
      agentgateway: { image: 'reg.example/agw:1' },
      waypoint: {
        resources: { limits: { cpu: null, memory: '1Gi' } }, affinity: { podAntiAffinity: {} }, nodeSelector: { zone: 'a' },
        tolerations: [{ key: 'k', operator: 'Exists' }], topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone' }],
      },
    },
  },
};

const CLASSES: Record<string, string> = { 'kube-gateway': 'istio', waypoint: 'istio-waypoint', agentgateway: 'istio-agentgateway' };

describe('gateway templates: meshctl\'s engine prints what Go text/template + sprig prints', () => {
  for (const template of GATEWAY_TEMPLATES) {
    for (const [valuesName, values] of Object.entries(VALUE_SETS)) {
      for (const base of GATEWAYS) {
        it.skipIf(goMissing)(title(`${template}, ${valuesName} values, Gateway ${base.metadata.name}`), async () => {
          const gw: GatewayResource = { ...base, spec: { ...base.spec, gatewayClassName: CLASSES[template]! } };
          const ctx: GatewayControllerContext = {
            templates: injector.templates, values, kubeVersion: 128, features: { ambient: true, ambientMultiNetwork: true, agentgateway: true },
            proxyConfigs: [{ metadata: { name: 'p', namespace: 'istio-system' }, spec: { environmentVariables: { B: '2', A: '1' }, concurrency: 3 } }],
          };
          const info = resolveGatewayClass(gw, ctx)!;
          expect(info.template).toBe(template);
          const data = gatewayTemplateDataFor(gatewayTemplateInput(gw, info, ctx), ctx);
          const text = injector.templates[template]!;
          const ours = parseTemplate(text, template).execute(gatewayTemplateData(data));
          expect(await executeGoTemplate(text, data, { kind: 'gateway' })).toBe(ours);
          expect(parseAllDocuments(ours).map((d) => (d.toJS() as { kind: string }).kind))
            .toEqual(['ServiceAccount', 'Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']);
        });
      }
    }
  }
});

/** Field lookups through the embedded Gateway, including the errors Go gives. */
const LOOKUPS = [
  '{{ .Name }} {{ .Namespace }} {{ .UID }} {{ .Kind }} {{ .APIVersion }} {{ .ObjectMeta.Name }} {{ .Gateway.Name }} {{ .TemplateInput.Gateway.Spec.GatewayClassName }}',
  '{{ .Spec.Addresses }} {{ len .Spec.Listeners }} {{ (index .Spec.Listeners 0).Port }} {{ .TemplateInput.GatewayClass }} {{ .GatewayClass }}',
  '{{ range .Ports }}{{ .Name }}={{ .Port }}/{{ .AppProtocol }} {{ end }}{{ .Labels }} {{ .Annotations }}',
  '{{ toJson .Gateway }} {{ toJson .Spec }} {{ toJson .ObjectMeta }}',
  '{{ toJson .TemplateInput }}',
  'ports: {{ structToJSON .Ports }}\ngateway: {{ toYaml .Gateway | nindent 2 }}',
  '{{ .NoSuchField }}',
  '{{ .Spec.Nope }}',
];

describe('embedded fields: meshctl\'s engine resolves them as Go text/template does', () => {
  const gw: GatewayResource = {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway',
    metadata: { name: 'edge', namespace: 'ns1', uid: 'u-1', labels: { a: 'b' } },
    spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
  };
  const ctx: GatewayControllerContext = { templates: injector.templates, values: { global: {} }, kubeVersion: 128 };
  const data = gatewayTemplateDataFor(gatewayTemplateInput(gw, resolveGatewayClass(gw, ctx)!, ctx), ctx);
  const outcome = async (run: () => Promise<string> | string): Promise<string> => {
    try {
      return `ok: ${await run()}`;
    } catch (e) {
      // The harness prefixes execution errors; the Go message itself must be the same.
      // Type names print with their Go package, which differs between istiod and the harness.
      return `error: ${(e as Error).message.replace(/^go template: execute: /, '').replace(/\b(main|v1|gatewaycommon)\./g, '')}`;
    }
  };
  for (const [i, text] of LOOKUPS.entries()) {
    it.skipIf(goMissing)(title(`lookup ${i + 1}: ${text}`), async () => {
      const ours = await outcome(() => parseTemplate(text, 'inject').execute(gatewayTemplateData(data)));
      const go = await outcome(() => executeGoTemplate(text, data, { kind: 'gateway' }));
      expect(ours).toBe(go);
    });
  }
  it.skipIf(goMissing)(title('a nil embedded Gateway: its fields fail as in Go'), async () => {
    const text = '{{ .GatewayClass }} {{ .Name }}';
    const nilGateway = { ...data, Gateway: null } as unknown as typeof data;
    const ours = await outcome(() => parseTemplate(text, 'inject').execute(gatewayTemplateData({ ...data, Gateway: undefined as unknown as typeof data.Gateway })));
    const go = await outcome(() => executeGoTemplate(text, nilGateway, { kind: 'gateway' }));
    expect(ours).toBe(go);
    expect(ours).toMatch(/nil pointer to embedded struct/);
  });
});
