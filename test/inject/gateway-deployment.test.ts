/**
 * reconcileGateway beyond upstream's goldens (which run with istiod's default features, so only the
 * kube-gateway class renders there): classes and features, controller versions, revisions, manual
 * deployments, existing objects, overlays, the proxy's IDs and the effective ProxyConfig. Facts from
 * Istio 1.30.3 pilot/pkg/config/kube/gatewaycommon and pkg/kube/inject.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type GatewayControllerContext,
  type GatewayResource,
  effectiveProxyConfig,
  gatewayServicePorts,
  proxyIds,
  reconcileGateway,
} from '../../src/inject/gateway-deployment.js';
import { defaultMeshConfig } from '../../src/inject/mesh.js';
import { repoRoot } from '../helpers.js';

const templates = Object.fromEntries(['kube-gateway', 'waypoint', 'agentgateway'].map((n) => [n, readFileSync(join(repoRoot, 'manifests/injection', `${n}.tmpl`), 'utf8')]));
const base: GatewayControllerContext = { templates, values: { global: { hub: 'h', tag: 't' } }, kubeVersion: 130 };

function gateway(className: string, meta: Partial<GatewayResource['metadata']> = {}, spec: Partial<GatewayResource['spec']> = {}): GatewayResource {
  return { metadata: { name: 'gw', namespace: 'apps', ...meta }, spec: { gatewayClassName: className, ...spec } };
}

type Obj = Record<string, any>;
const kinds = (writes: Obj[]) => writes.map((w) => `${w.kind as string}/${(w.metadata?.name as string | undefined) ?? ''}`);

describe('classes and features', () => {
  it('renders kube-gateway for class istio with names suffixed by the class', () => {
    expect(kinds(reconcileGateway(gateway('istio'), base).writes)).toEqual(['Gateway/', 'ServiceAccount/gw-istio', 'Deployment/gw-istio', 'Service/gw-istio']);
  });
  it('waypoints, east-west and agentgateway classes exist only with their features', () => {
    for (const cls of ['istio-waypoint', 'istio-east-west', 'istio-agentgateway', 'nope']) {
      expect(reconcileGateway(gateway(cls), base).skipped).toMatch(/unknown controller/);
    }
    const features = { ambient: true, ambientMultiNetwork: true, agentgateway: true };
    for (const cls of ['istio-waypoint', 'istio-east-west', 'istio-agentgateway']) {
      expect(kinds(reconcileGateway(gateway(cls), { ...base, features }).writes)).toEqual(['Gateway/', 'ServiceAccount/gw', 'Deployment/gw', 'Service/gw']);
    }
  });
  it('istio-remote is known but deploys nothing; a GatewayClass object maps its own name to a controller', () => {
    expect(reconcileGateway(gateway('istio-remote'), base).skipped).toBe('the class deploys nothing');
    expect(kinds(reconcileGateway(gateway('mine'), { ...base, gatewayClasses: { mine: 'istio.io/gateway-controller' } }).writes)).toContain('Deployment/gw-mine');
  });
  it('labels the objects with the managing controller and, with ambient on, opts non-waypoint gateways out of redirection', () => {
    const writes = reconcileGateway(gateway('istio'), { ...base, features: { ambient: true } }).writes as Obj[];
    expect(writes[1]!.metadata.labels['gateway.istio.io/managed']).toBe('istio.io-gateway-controller');
    expect(writes[1]!.metadata.labels['istio.io/dataplane-mode']).toBe('none');
    const waypoint = reconcileGateway(gateway('istio-waypoint'), { ...base, features: { ambient: true }, values: { global: { network: 'n2' } } }).writes as Obj[];
    expect(waypoint[2]!.metadata.labels['gateway.istio.io/managed']).toBe('istio.io-mesh-controller');
    expect(waypoint[2]!.metadata.labels['topology.istio.io/network']).toBe('n2');
    expect(waypoint[2]!.metadata.labels['istio.io/dataplane-mode']).toBeUndefined();
    expect(waypoint[3]!.spec.type).toBe('ClusterIP');
  });
});

describe('ownership', () => {
  it('follows the controller-version annotation', () => {
    expect(reconcileGateway(gateway('istio', { annotations: { 'gateway.istio.io/controller-version': '5' } }), base).writes[0]!.kind).toBe('ServiceAccount');
    expect(reconcileGateway(gateway('istio', { annotations: { 'gateway.istio.io/controller-version': '1' } }), base).writes[0]!.kind).toBe('Gateway');
    expect(reconcileGateway(gateway('istio', { annotations: { 'gateway.istio.io/controller-version': '6' } }), base).skipped).toMatch(/version 6/);
    expect(reconcileGateway(gateway('istio', { annotations: { 'gateway.istio.io/controller-version': 'x' } }), base).skipped).toMatch(/version x/);
  });
  it('leaves Gateways with a hostname or several addresses to an existing deployment', () => {
    expect(reconcileGateway(gateway('istio', {}, { addresses: [{ type: 'Hostname', value: 'x' }] }), base).skipped).toMatch(/existing deployment/);
    expect(reconcileGateway(gateway('istio', {}, { addresses: [{ value: '1.1.1.1' }, { value: '2.2.2.2' }] }), base).skipped).toMatch(/existing deployment/);
    const ip = reconcileGateway(gateway('istio', {}, { addresses: [{ type: 'IPAddress', value: '1.1.1.1' }] }), base).writes as Obj[];
    expect(ip[3]!.spec.loadBalancerIP).toBe('1.1.1.1');
  });
  it('handles the Gateways of its revision and tags', () => {
    const rev = (labels: Record<string, string>, ctx: Partial<GatewayControllerContext>) => reconcileGateway(gateway('istio', { labels }), { ...base, ...ctx }).skipped;
    expect(rev({ 'istio.io/rev': 'canary' }, {})).toMatch(/another revision/);
    expect(rev({ 'istio.io/rev': 'canary' }, { revision: 'canary' })).toBeUndefined();
    expect(rev({ 'istio.io/rev': 'stable' }, { revision: 'canary', tags: ['stable'] })).toBeUndefined();
    expect(rev({}, { revision: 'canary', namespace: { metadata: { name: 'apps' } } })).toMatch(/another revision/);
    expect(rev({}, { revision: 'canary', tags: ['default'], namespace: { metadata: { name: 'apps' } } })).toBeUndefined();
    expect(rev({}, { revision: 'canary', defaultRevision: true, namespace: { metadata: { name: 'apps' } } })).toBeUndefined();
    expect(rev({}, { revision: 'canary', namespace: { metadata: { name: 'apps', labels: { 'istio.io/rev': 'canary' } } } })).toBeUndefined();
  });
  it('does not take over objects it did not create, and keeps a pre-1.24 Deployment selector', () => {
    const existing = [{ kind: 'Service', metadata: { name: 'gw-istio', namespace: 'apps' } }];
    expect(kinds(reconcileGateway(gateway('istio'), { ...base, existing }).writes)).not.toContain('Service/gw-istio');
    const old = {
      kind: 'Deployment', metadata: { name: 'gw-istio', namespace: 'apps', labels: { 'gateway.istio.io/managed': 'x' }, resourceVersion: '42' },
      spec: { selector: { matchLabels: { 'istio.io/gateway-name': 'gw' } }, template: { metadata: { labels: { 'istio.io/gateway-name': 'gw' } } } },
    };
    const d = (reconcileGateway(gateway('istio'), { ...base, existing: [old] }).writes as Obj[]).find((w) => w.kind === 'Deployment')!;
    expect(d.spec.selector).toEqual({ matchLabels: { 'istio.io/gateway-name': 'gw' } });
    expect(d.spec.template.metadata.labels['istio.io/gateway-name']).toBe('gw');
    expect(d.metadata.resourceVersion).toBe('42');
  });
});

describe('overlays', () => {
  const withOptions = (data: Record<string, string>, extra: Partial<GatewayControllerContext> = {}) => reconcileGateway(
    gateway('istio', {}, { infrastructure: { parametersRef: { group: '', kind: 'ConfigMap', name: 'opts' } } }),
    { ...base, configMaps: [{ metadata: { name: 'opts', namespace: 'apps' }, data }], ...extra },
  );
  it('merges Service ports by port and containers by name; HPA and PDB appear only when named', () => {
    const r = withOptions({ service: 'spec:\n  ports:\n  - port: 15021\n    nodePort: 30000\n  - port: 8080\n    name: extra' });
    const svc = (r.writes as Obj[]).find((w) => w.kind === 'Service')!;
    expect(svc.spec.ports).toEqual([{ name: 'status-port', port: 15021, protocol: 'TCP', appProtocol: 'tcp', nodePort: 30000 }, { port: 8080, name: 'extra' }]);
    expect(kinds(r.writes)).not.toContain('HorizontalPodAutoscaler/gw-istio');
  });
  it('honours $patch directives and Kubernetes\' list order', () => {
    const r = withOptions({ deployment: [
      'spec:', '  template:', '    spec:', '      volumes:', '      - name: extra', '        emptyDir: {}', '      - name: istio-data', '        $patch: delete',
      '      securityContext:', '        $patch: replace', '        runAsUser: 7',
    ].join('\n') });
    const spec = (r.writes as Obj[]).find((w) => w.kind === 'Deployment')!.spec.template.spec;
    expect(spec.securityContext).toEqual({ runAsUser: 7 });
    // A list item new to the object comes before the object's own unmatched items, as Kubernetes orders a merged list.
    expect(spec.volumes.map((v: Obj) => v.name)).toEqual(['extra', 'workload-socket', 'credential-socket', 'workload-certs', 'istio-envoy', 'istio-podinfo', 'istio-token']);
  });
  it('applies class defaults from the system namespace before the Gateway\'s own ConfigMap', () => {
    const classDefaults = { metadata: { name: 'd', namespace: 'istio-system', labels: { 'gateway.istio.io/defaults-for-class': 'istio' } }, data: { deployment: 'spec:\n  replicas: 2\n  minReadySeconds: 3' } };
    const r = withOptions({ deployment: 'spec:\n  replicas: 5' }, { systemNamespace: 'istio-system' });
    expect((r.writes as Obj[]).find((w) => w.kind === 'Deployment')!.spec.replicas).toBe(5);
    const both = reconcileGateway(gateway('istio', {}, { infrastructure: { parametersRef: { group: '', kind: 'ConfigMap', name: 'opts' } } }), {
      ...base, systemNamespace: 'istio-system', configMaps: [classDefaults, { metadata: { name: 'opts', namespace: 'apps' }, data: { deployment: 'spec:\n  replicas: 5' } }],
    });
    const d = (both.writes as Obj[]).find((w) => w.kind === 'Deployment')!;
    expect([d.spec.replicas, d.spec.minReadySeconds]).toEqual([5, 3]);
  });
  it('refuses unknown overlay keys, identity changes and missing or foreign parameters, writing only the version annotation', () => {
    expect(withOptions({ configMap: 'x: 1' }).error).toMatch(/unsupported overlay "configMap"/);
    expect(withOptions({ service: 'metadata:\n  namespace: other' }).error).toMatch(/illegal metadata change/);
    const missing = reconcileGateway(gateway('istio', {}, { infrastructure: { parametersRef: { group: '', kind: 'ConfigMap', name: 'none' } } }), base);
    expect(missing.error).toMatch(/configmap does not exist/);
    expect(kinds(missing.writes)).toEqual(['Gateway/']);
    expect(reconcileGateway(gateway('istio', {}, { infrastructure: { parametersRef: { group: 'x.io', kind: 'Params', name: 'p' } } }), base).error)
      .toMatch(/unknown infrastructure parameters type x.io\/Params/);
  });
});

describe('template input', () => {
  it('one Service port per listener port, names fit for a Service', () => {
    const ports = gatewayServicePorts(gateway('istio', {}, { listeners: [
      { name: 'a.b', port: 80, protocol: 'HTTP' }, { name: 'dup', port: 80, protocol: 'TCP' }, { name: 'x'.repeat(70), port: 443, protocol: 'HTTPS' }, { name: '', port: 9, protocol: 'TCP' },
    ] }));
    expect(ports).toEqual([
      { name: 'status-port', port: 15021, appProtocol: 'tcp' }, { name: 'a-b', port: 80, appProtocol: 'http' },
      { name: 'x'.repeat(63), port: 443, appProtocol: 'https' }, { name: 'tcp-3', port: 9, appProtocol: 'tcp' },
    ]);
  });
  it('proxy IDs: 1337, or the top of an OpenShift namespace\'s ranges', () => {
    expect(proxyIds()).toEqual({ uid: 1337, gid: 1337 });
    expect(proxyIds({ metadata: { annotations: { 'openshift.io/sa.scc.uid-range': '1000620000/10000' } } })).toEqual({ uid: 1000629999, gid: 1000629999 });
    expect(proxyIds({ metadata: { annotations: { 'openshift.io/sa.scc.uid-range': '5/10', 'openshift.io/sa.scc.supplemental-groups': '100-200,300/5' } } })).toEqual({ uid: 14, gid: 200 });
  });
  it('effective ProxyConfig: defaults < mesh defaultConfig < root namespace < namespace < workload selector', () => {
    const pc = (ns: string, labels: Record<string, string>) => effectiveProxyConfig({ ...defaultMeshConfig(), defaultConfig: { proxyMetadata: { A: 'mesh' } } }, ns, labels, [
      { metadata: { name: 'root', namespace: 'istio-system' }, spec: { concurrency: 1, environmentVariables: { B: 'root' } } },
      { metadata: { name: 'ns', namespace: 'apps' }, spec: { concurrency: 2 } },
      { metadata: { name: 'w', namespace: 'apps' }, spec: { selector: { matchLabels: { app: 'gw' } }, image: { imageType: 'distroless' } } },
    ]);
    expect(pc('apps', { app: 'gw' })).toMatchObject({ concurrency: 2, proxyMetadata: { A: 'mesh', B: 'root' }, image: { imageType: 'distroless' }, statusPort: 15020 });
    expect(pc('other', {})).toMatchObject({ concurrency: 1 });
    expect(pc('other', {}).image).toBeUndefined();
  });
  it('the proxy image follows the variant, the ProxyConfig and the proxyImageType annotation', () => {
    const image = (values: Obj, annotations?: Record<string, string>) => ((reconcileGateway(gateway('istio', { annotations }), { ...base, values }).writes as Obj[])
      .find((w) => w.kind === 'Deployment')!.spec.template.spec.containers[0].image as string);
    expect(image({ global: { hub: 'r', tag: '1.30.3', variant: 'distroless' } })).toBe('r/proxyv2:1.30.3-distroless');
    expect(image({ global: { hub: 'r', tag: '1.30.3-debug', variant: 'default' } })).toBe('r/proxyv2:1.30.3');
    expect(image({ global: { hub: 'r', tag: '1.30.3' } }, { 'sidecar.istio.io/proxyImageType': 'debug' })).toBe('r/proxyv2:1.30.3-debug');
    expect(image({ global: { hub: 'r', tag: '1.30.3', proxy: { image: 'x/y:z' } } })).toBe('x/y:z');
  });
});
