/**
 * The profiles Istio 1.30.3 has beyond the first five (ambient, openshift, openshift-ambient, preview, stable):
 * what each selects, and the objects and fields istioctl 1.30.3 renders for it (checked against the
 * istio-discovery, base, istio-cni, ztunnel and gateway charts rendered as istioctl hands them their values).
 * The cni and ztunnel objects themselves are covered field by field in cni.test.ts and ztunnel.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { loadAssets } from '../../src/cli/assets.js';
import { resolveConfiguration, type ConfigRequest } from '../../src/render/config.js';
import { renderManifests } from '../../src/render/render.js';
import type { JsonObject, K8sObject } from '../../src/manifest/objects.js';
import { run, testDeps } from '../helpers.js';

const assets = await loadAssets(testDeps().deps);

function render(request: ConfigRequest): K8sObject[] {
  return renderManifests(resolveConfiguration(assets, request), assets).objects.map((o) => o.object);
}

function find(objects: K8sObject[], kind: string, name: string, namespace?: string): any {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name && (namespace === undefined || x.metadata.namespace === namespace));
  if (!o) throw new Error(`${kind} ${namespace ?? '*'}/${name} not rendered`);
  return o;
}

function ids(objects: K8sObject[]): string[] {
  return objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`);
}

function istiodEnv(objects: K8sObject[]): Record<string, string> {
  const env = find(objects, 'Deployment', 'istiod').spec.template.spec.containers[0].env as JsonObject[];
  return Object.fromEntries(env.filter((e) => typeof e.value === 'string').map((e) => [e.name, e.value]));
}

function mesh(objects: K8sObject[]): any {
  return (find(objects, 'ConfigMap', 'istio').data.mesh as string);
}

function injectorValues(objects: K8sObject[]): any {
  return JSON.parse(find(objects, 'ConfigMap', 'istio-sidecar-injector').data.values as string);
}

const profile = (name: string) => render({ sets: [`profile=${name}`] });

describe('profile ambient', () => {
  const objects = profile('ambient');

  it('selects istiod, the CNI node agent and ztunnel, and no ingress gateway (manifests/profiles/ambient.yaml)', () => {
    const spec = resolveConfiguration(assets, { sets: ['profile=ambient'] }).spec as any;
    expect(spec.components.cni.enabled).toBe(true);
    expect(spec.components.ztunnel.enabled).toBe(true);
    expect(spec.components.ingressGateways).toStrictEqual([{ name: 'istio-ingressgateway', enabled: false }]);
    expect(spec.values.profile).toBe('ambient');
    expect(ids(objects)).toEqual(expect.arrayContaining([
      'Deployment istio-system/istiod', 'DaemonSet istio-system/istio-cni-node', 'DaemonSet istio-system/ztunnel',
      'ServiceAccount istio-system/ztunnel', 'ServiceAccount istio-system/istio-cni', 'ConfigMap istio-system/istio-cni-config',
    ]));
    expect(objects.filter((o) => /ingressgateway/.test(o.metadata.name))).toStrictEqual([]);
  });

  it("gives istiod the chart's ambient settings: ambient on, ztunnel trusted, distroless image", () => {
    const env = istiodEnv(objects);
    expect(env.PILOT_ENABLE_AMBIENT).toBe('true');
    expect(env.CA_TRUSTED_NODE_ACCOUNTS).toBe('istio-system/ztunnel');
    expect(env.PLATFORM).toBe('');
    expect(find(objects, 'Deployment', 'istiod').spec.template.spec.containers[0].image).toBe('docker.io/istio/pilot:1.30.3-distroless');
  });

  it('turns on HBONE, the distroless proxy and the global service scope in the mesh config', () => {
    const text = mesh(objects);
    expect(text).toContain('ISTIO_META_ENABLE_HBONE: "true"');
    expect(text).toContain('imageType: distroless');
    expect(text).toContain('scope: GLOBAL');
    expect(text).toContain('key: istio.io/global');
  });

  it("tells the injector about the CNI plugin in ambient mode and istiod's ambient env", () => {
    const values = injectorValues(objects);
    expect(values.global.variant).toBe('distroless');
    expect(values.pilot.cni).toStrictEqual({ ambient: { enabled: true }, enabled: true, provider: 'default' });
    expect(values.pilot.env).toStrictEqual({ PILOT_ENABLE_AMBIENT: 'true' });
  });

  it('renders an egress gateway, when enabled, with the distroless proxy and HBONE metadata as the egress chart does', () => {
    const withEgress = render({ sets: ['profile=ambient', 'components.egressGateways[0].enabled=true'] });
    const container = find(withEgress, 'Deployment', 'istio-egressgateway').spec.template.spec.containers[0];
    expect(container.image).toBe('docker.io/istio/proxyv2:1.30.3-distroless');
    expect(container.env).toContainEqual({ name: 'ISTIO_META_ENABLE_HBONE', value: 'true' });
  });
});

describe('profile openshift', () => {
  const objects = profile('openshift');

  it('runs the CNI node agent in kube-system with the openshift platform, and keeps the ingress gateway', () => {
    const spec = resolveConfiguration(assets, { sets: ['profile=openshift'] }).spec as any;
    expect(spec.components.cni).toStrictEqual({ enabled: true, namespace: 'kube-system' });
    expect(spec.components.ztunnel?.enabled === true).toBe(false);
    expect(spec.values.global.platform).toBe('openshift');
    expect(ids(objects)).toEqual(expect.arrayContaining([
      'DaemonSet kube-system/istio-cni-node', 'ConfigMap kube-system/istio-cni-config', 'ServiceAccount kube-system/istio-cni',
      'NetworkAttachmentDefinition default/istio-cni', 'Deployment istio-system/istio-ingressgateway',
    ]));
    expect(ids(objects).filter((id) => id.includes('ztunnel'))).toStrictEqual([]);
  });

  it("names the platform to istiod, trusts ztunnel in kube-system, and gives the injector multus (the chart's openshift overlay)", () => {
    const env = istiodEnv(objects);
    expect(env.PLATFORM).toBe('openshift');
    expect(env.CA_TRUSTED_NODE_ACCOUNTS).toBe('kube-system/ztunnel');
    expect(env.PILOT_ENABLE_AMBIENT).toBeUndefined();
    expect(injectorValues(objects).pilot.cni).toStrictEqual({
      chained: false, cniBinDir: '/var/lib/cni/bin', cniConfDir: '/etc/cni/multus/net.d', cniConfFileName: 'istio-cni.conf', enabled: true, provider: 'multus',
    });
  });

  it('runs the ingress gateway without fixed user and group ids, as on OpenShift', () => {
    const sc = find(objects, 'Deployment', 'istio-ingressgateway').spec.template.spec.securityContext;
    expect(sc.runAsUser).toBeUndefined();
    expect(sc.runAsNonRoot).toBe(true);
  });
});

describe('profile openshift-ambient', () => {
  const objects = profile('openshift-ambient');

  it('puts the CNI node agent and ztunnel in kube-system, with ambient mode and no ingress gateway', () => {
    expect(ids(objects)).toEqual(expect.arrayContaining([
      'DaemonSet kube-system/istio-cni-node', 'DaemonSet kube-system/ztunnel', 'ServiceAccount kube-system/ztunnel',
      'NetworkAttachmentDefinition default/istio-cni', 'Deployment istio-system/istiod',
    ]));
    expect(objects.filter((o) => /ingressgateway/.test(o.metadata.name))).toStrictEqual([]);
    const env = istiodEnv(objects);
    expect(env).toMatchObject({ PILOT_ENABLE_AMBIENT: 'true', CA_TRUSTED_NODE_ACCOUNTS: 'kube-system/ztunnel', PLATFORM: 'openshift' });
    const values = injectorValues(objects);
    expect(values.global.variant).toBe('distroless');
    expect(values.pilot.cni).toMatchObject({ ambient: { enabled: true }, enabled: true, provider: 'multus', chained: false });
  });
});

describe('profile preview', () => {
  const objects = profile('preview');

  it("turns on the agent's DNS capture for sidecars and gateways (the charts' preview overlay)", () => {
    expect(mesh(objects)).toContain('ISTIO_META_DNS_CAPTURE: "true"');
    const gateway = find(objects, 'Deployment', 'istio-ingressgateway').spec.template.spec.containers[0];
    expect(gateway.env).toContainEqual({ name: 'ISTIO_META_DNS_CAPTURE', value: 'true' });
    expect(ids(objects).filter((id) => /DaemonSet|ValidatingAdmissionPolicy/.test(id))).toStrictEqual([]);
  });
});

describe('profile stable', () => {
  it("renders istiod's stable-channel policy and binding, and the default profile's objects besides", () => {
    const objects = profile('stable');
    const base = ids(profile('default'));
    const extra = ids(objects).filter((id) => !base.includes(id));
    expect(extra).toStrictEqual([
      'ValidatingAdmissionPolicy /stable-channel-policy-istio-system.istio.io',
      'ValidatingAdmissionPolicyBinding /stable-channel-policy-binding-istio-system.istio.io',
    ]);
    expect(ids(objects).filter((id) => !extra.includes(id))).toStrictEqual(base);
  });
});

describe('profile list of the ten', () => {
  it('holds the profiles of Istio 1.30.3 (manifests/profiles/*.yaml)', () => {
    expect(Object.keys(assets.profiles).sort()).toStrictEqual(['ambient', 'default', 'demo', 'empty', 'minimal', 'openshift', 'openshift-ambient', 'preview', 'remote', 'stable']);
  });

  it.each(['ambient', 'openshift', 'openshift-ambient', 'preview', 'stable'])('renders %s the same twice', (name) => {
    expect(JSON.stringify(profile(name))).toBe(JSON.stringify(profile(name)));
  });
});

describe('profile dump and diff of the new profiles', () => {
  it('dumps openshift-ambient with both node components in kube-system and the platform', async () => {
    const r = await run(['profile', 'dump', 'openshift-ambient', '-o', 'flags']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toEqual(expect.arrayContaining([
      'components.cni.enabled=true', 'components.cni.namespace=kube-system', 'components.ztunnel.enabled=true', 'components.ztunnel.namespace=kube-system',
      'components.ingressGateways[0].enabled=false', 'values.profile=ambient', 'values.global.platform=openshift',
    ]));
  });

  it('diffs default and ambient: the node components and the chart profile added, ingress switched off', async () => {
    const r = await run(['profile', 'diff', 'default', 'ambient', '--exit-code']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('--- default\n+++ ambient\n');
    const removed = r.stdout.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---')).map((l) => l.slice(1).trim());
    const added = r.stdout.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++')).map((l) => l.slice(1).trim());
    expect(added).toEqual(expect.arrayContaining(['- enabled: false', 'profile: ambient']));
    expect(removed).toEqual(expect.arrayContaining(['- enabled: true', 'profile: default']));
    expect(added.filter((l) => l === 'enabled: true')).toHaveLength(2);
  });
});
