import { describe, expect, it } from 'vitest';
import { loadAssets } from '../../src/cli/assets.js';
import { resolveConfiguration, type ConfigRequest } from '../../src/render/config.js';
import { renderManifests } from '../../src/render/render.js';
import { toYamlStream } from '../../src/manifest/serialize.js';
import type { JsonObject, K8sObject } from '../../src/manifest/objects.js';
import { testDeps } from '../helpers.js';

const assets = await loadAssets(testDeps().deps);

function render(request: ConfigRequest): K8sObject[] {
  return renderManifests(resolveConfiguration(assets, request), assets).objects.map((o) => o.object);
}

function countByKind(objects: K8sObject[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of objects) out[o.kind] = (out[o.kind] ?? 0) + 1;
  return out;
}

function find(objects: K8sObject[], kind: string, name: string): JsonObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered`);
  return o as unknown as JsonObject;
}

/** Object counts per profile at Istio 1.30.3 (reference istio-1.30.md 2.3, confirmed by delta 1.3). */
const EXPECTED: Record<string, { total: number; kinds: Record<string, number> }> = {
  default: { total: 39, kinds: { CustomResourceDefinition: 15, ServiceAccount: 3, ClusterRole: 3, ClusterRoleBinding: 3, Role: 2, RoleBinding: 2, ConfigMap: 3, Deployment: 2, Service: 2, HorizontalPodAutoscaler: 2, MutatingWebhookConfiguration: 1, ValidatingWebhookConfiguration: 1 } },
  demo: { total: 42, kinds: { CustomResourceDefinition: 15, ServiceAccount: 4, ClusterRole: 3, ClusterRoleBinding: 3, Role: 3, RoleBinding: 3, ConfigMap: 3, Deployment: 3, Service: 3, MutatingWebhookConfiguration: 1, ValidatingWebhookConfiguration: 1 } },
  minimal: { total: 33, kinds: { CustomResourceDefinition: 15, ServiceAccount: 2, ClusterRole: 3, ClusterRoleBinding: 3, Role: 1, RoleBinding: 1, ConfigMap: 3, Deployment: 1, Service: 1, HorizontalPodAutoscaler: 1, MutatingWebhookConfiguration: 1, ValidatingWebhookConfiguration: 1 } },
  remote: { total: 20, kinds: { CustomResourceDefinition: 15, ServiceAccount: 1, ClusterRole: 1, ClusterRoleBinding: 1, ConfigMap: 1, MutatingWebhookConfiguration: 1 } },
  empty: { total: 0, kinds: {} },
};

describe.each(Object.keys(EXPECTED))('profile %s', (profile) => {
  const objects = render({ sets: [`profile=${profile}`] });

  it('renders the resources Istio 1.30.3 renders', () => {
    expect(countByKind(objects)).toStrictEqual(EXPECTED[profile]!.kinds);
    expect(objects).toHaveLength(EXPECTED[profile]!.total);
  });

  it('matches its golden manifest', async () => {
    await expect(toYamlStream(objects)).toMatchFileSnapshot(`../testdata/render/profile-${profile}.yaml`);
  });

  it('is deterministic', () => {
    expect(toYamlStream(render({ sets: [`profile=${profile}`] }))).toBe(toYamlStream(objects));
  });
});

describe('what profiles render', () => {
  const def = render({});
  const demo = render({ sets: ['profile=demo'] });

  it('comes out in install order: CRDs first, Services last', () => {
    const kinds = def.map((o) => o.kind);
    expect(kinds.slice(0, 15).every((k) => k === 'CustomResourceDefinition')).toBe(true);
    expect(kinds.at(-1)).toBe('Service');
    expect(kinds.indexOf('ClusterRoleBinding')).toBeGreaterThan(kinds.lastIndexOf('ClusterRole'));
    expect(kinds.indexOf('Deployment')).toBeGreaterThan(kinds.lastIndexOf('ConfigMap'));
  });

  it('uses the docker.io/istio 1.30.3 images', () => {
    const istiod = find(def, 'Deployment', 'istiod') as any;
    expect(istiod.spec.template.spec.containers[0].image).toBe('docker.io/istio/pilot:1.30.3');
    const gw = find(def, 'Deployment', 'istio-ingressgateway') as any;
    expect(gw.spec.template.spec.containers[0].image).toBe('docker.io/istio/proxyv2:1.30.3');
  });

  it('gives istiod the 1.30.3 env, with GOMAXPROCS between CLUSTER_ID and PLATFORM', () => {
    const env = (find(def, 'Deployment', 'istiod') as any).spec.template.spec.containers[0].env.map((e: { name: string }) => e.name);
    expect(env).toStrictEqual(['REVISION', 'PILOT_CERT_PROVIDER', 'POD_NAME', 'POD_NAMESPACE', 'SERVICE_ACCOUNT', 'KUBECONFIG', 'CA_TRUSTED_NODE_ACCOUNTS',
      'PILOT_TRACE_SAMPLING', 'PILOT_ENABLE_ANALYSIS', 'CLUSTER_ID', 'GOMAXPROCS', 'PLATFORM']);
  });

  it('lowers requests, drops autoscaling, logs access and samples every trace in demo', () => {
    const istiod = find(demo, 'Deployment', 'istiod') as any;
    expect(istiod.spec.replicas).toBe(1);
    expect(istiod.spec.template.spec.containers[0].resources).toStrictEqual({ requests: { cpu: '10m', memory: '100Mi' } });
    expect(istiod.spec.template.spec.containers[0].env).toContainEqual({ name: 'PILOT_TRACE_SAMPLING', value: '100' });
    const mesh = (find(demo, 'ConfigMap', 'istio') as any).data.mesh as string;
    expect(mesh).toContain('accessLogFile: /dev/stdout');
    expect(mesh).toContain('jaeger-collector.istio-system.svc.cluster.local');
    expect(demo.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(false);
    const values = JSON.parse((find(demo, 'ConfigMap', 'istio-sidecar-injector') as any).data.values);
    expect(values.global.proxy.resources.requests).toStrictEqual({ cpu: '10m', memory: '40Mi' });
    expect(values.global.proxy.resources.limits).toStrictEqual({ cpu: '2000m', memory: '1024Mi' });
  });

  it('gives demo an egress gateway (ClusterIP) and five ingress ports without protocols', () => {
    const egress = find(demo, 'Service', 'istio-egressgateway') as any;
    expect(egress.spec.type).toBe('ClusterIP');
    const ingress = find(demo, 'Service', 'istio-ingressgateway') as any;
    expect(ingress.spec.type).toBe('LoadBalancer');
    expect(ingress.spec.ports.map((p: any) => [p.name, p.port, p.targetPort, p.protocol])).toStrictEqual([
      ['status-port', 15021, 15021, undefined], ['http2', 80, 8080, undefined], ['https', 443, 8443, undefined], ['tcp', 31400, 31400, undefined], ['tls', 15443, 15443, undefined]]);
    const dep = find(demo, 'Deployment', 'istio-ingressgateway') as any;
    expect(dep.spec.template.spec.containers[0].ports.map((p: any) => p.containerPort)).toStrictEqual([15021, 8080, 8443, 31400, 15443, 15090]);
  });

  it('renders no istiod in remote and points the injection webhook at the external istiod service', () => {
    const remote = render({ sets: ['profile=remote'] });
    expect(remote.some((o) => o.kind === 'Deployment')).toBe(false);
    const mwc = find(remote, 'MutatingWebhookConfiguration', 'istio-sidecar-injector') as any;
    expect(mwc.webhooks.map((w: any) => w.name)).toStrictEqual(['rev.namespace.sidecar-injector.istio.io', 'rev.object.sidecar-injector.istio.io',
      'namespace.sidecar-injector.istio.io', 'object.sidecar-injector.istio.io']);
    expect(mwc.webhooks[0].clientConfig.service).toStrictEqual({ name: 'istiod', namespace: 'istio-system', path: '/inject', port: 443 });
    const reader = find(remote, 'ClusterRole', 'istio-reader-clusterrole-istio-system') as any;
    expect(reader.rules).toHaveLength(14);
  });
});

describe('overlays and flags', () => {
  it('suffixes names and sets istio.io/rev for a revision', () => {
    const objects = render({ revision: 'canary' });
    const names = objects.filter((o) => o.kind !== 'CustomResourceDefinition').map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).toContain('Deployment/istiod-canary');
    expect(names).toContain('ConfigMap/istio-sidecar-injector-canary');
    expect(names).toContain('MutatingWebhookConfiguration/istio-sidecar-injector-canary');
    expect(names).toContain('ValidatingWebhookConfiguration/istio-validator-canary-istio-system');
    expect(names).toContain('ClusterRole/istiod-clusterrole-canary-istio-system');
    const istiod = find(objects, 'Deployment', 'istiod-canary') as any;
    expect(istiod.metadata.labels['istio.io/rev']).toBe('canary');
    expect(istiod.spec.selector.matchLabels).toStrictEqual({ app: 'istiod', 'istio.io/rev': 'canary' });
    const mwc = find(objects, 'MutatingWebhookConfiguration', 'istio-sidecar-injector-canary') as any;
    expect(mwc.webhooks).toHaveLength(2);
    expect((find(objects, 'ConfigMap', 'istio-canary') as any).data.mesh).toContain('discoveryAddress: istiod-canary.istio-system.svc:15012');
  });

  it('enables the egress gateway by selector on top of the profile', () => {
    const objects = render({ sets: ['components.egressGateways[name:istio-egressgateway].enabled=true'] });
    expect(objects.some((o) => o.kind === 'Deployment' && o.metadata.name === 'istio-egressgateway')).toBe(true);
  });

  it('lets -f files win over the profile and --set win over files', () => {
    const file = { name: 'o.yaml', text: 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: demo\n  hub: gcr.io/a\n  values:\n    pilot:\n      traceSampling: 5\n' };
    const objects = render({ files: [file], sets: ['values.pilot.traceSampling=7'] });
    const istiod = find(objects, 'Deployment', 'istiod') as any;
    expect(istiod.spec.template.spec.containers[0].image).toBe('gcr.io/a/pilot:1.30.3');
    expect(istiod.spec.template.spec.containers[0].env).toContainEqual({ name: 'PILOT_TRACE_SAMPLING', value: '7' });
    expect(objects.some((o) => o.metadata.name === 'istio-egressgateway')).toBe(true);
  });

  it('applies components.*.k8s settings as patches', () => {
    const text = `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  components:
    pilot:
      k8s:
        replicaCount: 3
        resources: {requests: {cpu: 1000m, memory: 4Gi}}
        env: [{name: PILOT_X, value: "1"}, {name: CLUSTER_ID, value: east}]
        nodeSelector: {pool: infra}
        hpaSpec: {maxReplicas: 9}
        podAnnotations: {a: b}
        overlays:
        - kind: Deployment
          name: istiod
          patches:
          - path: spec.template.spec.containers[name:discovery].args[0]
            value: discovery-x
          - path: spec.strategy
    ingressGateways:
    - name: istio-ingressgateway
      k8s:
        service:
          type: NodePort
          ports: [{name: http2, port: 80, targetPort: 8080, nodePort: 30080}]
        serviceAnnotations: {x: y}
`;
    const objects = render({ files: [{ name: 'k8s.yaml', text }] });
    const istiod = find(objects, 'Deployment', 'istiod') as any;
    expect(istiod.spec.replicas).toBe(3);
    expect(istiod.spec.strategy).toBeUndefined();
    const c = istiod.spec.template.spec.containers[0];
    expect(c.resources).toStrictEqual({ requests: { cpu: '1000m', memory: '4Gi' } });
    expect(c.args[0]).toBe('discovery-x');
    expect(c.env).toContainEqual({ name: 'PILOT_X', value: '1' });
    expect(c.env.filter((e: any) => e.name === 'CLUSTER_ID')).toStrictEqual([{ name: 'CLUSTER_ID', value: 'east' }]);
    expect(istiod.spec.template.spec.nodeSelector).toStrictEqual({ pool: 'infra' });
    expect(istiod.spec.template.metadata.annotations.a).toBe('b');
    expect((find(objects, 'HorizontalPodAutoscaler', 'istiod') as any).spec.maxReplicas).toBe(9);
    const svc = find(objects, 'Service', 'istio-ingressgateway') as any;
    expect(svc.spec.type).toBe('NodePort');
    expect(svc.metadata.annotations).toStrictEqual({ x: 'y' });
    expect(svc.spec.ports).toHaveLength(1);
    expect(svc.spec.ports[0].nodePort).toBe(30080);
  });

  it('applies k8s settings of a gateway entry that has no name (the default gateway)', () => {
    const text = 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  components:\n    ingressGateways:\n    - enabled: true\n      k8s:\n        hpaSpec: {minReplicas: 2}\n';
    const objects = render({ files: [{ name: 'gw.yaml', text }] });
    expect((find(objects, 'HorizontalPodAutoscaler', 'istio-ingressgateway') as any).spec.minReplicas).toBe(2);
  });

  it('renders a second ingress gateway from an overlay list', () => {
    const text = 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  components:\n    ingressGateways:\n    - name: istio-ingressgateway\n    - name: internal-gw\n      namespace: gateways\n      label: {istio: internal}\n';
    const objects = render({ files: [{ name: 'gw.yaml', text }] });
    const gw = find(objects, 'Deployment', 'internal-gw') as any;
    expect(gw.metadata.namespace).toBe('gateways');
    expect(gw.spec.selector.matchLabels).toStrictEqual({ istio: 'internal' });
    expect(objects.filter((o) => o.kind === 'Deployment')).toHaveLength(3);
  });
});
