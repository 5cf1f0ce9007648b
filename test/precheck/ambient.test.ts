// precheck's Gateway API rules as istioctl 1.30.3's checkGatewayAPIs, and meshctl's ambient and
// platform findings, over an in-memory cluster; the plan of a configuration from the real profiles.
import { describe, expect, it } from 'vitest';
import { loadAssets } from '../../src/cli/assets.js';
import { installPlanOf } from '../../src/cli/precheck-impl.js';
import type { K8sObject } from '../../src/manifest/objects.js';
import {
  checkGatewayApi, checkGatewayApiForAmbient, checkPermissions, checkPlatform, detectPlatform, type InstallPlan, type PrecheckMessage,
} from '../../src/kube/precheck.js';
import type { KubeClient, ObjectRef } from '../../src/kube/types.js';
import { resolveConfiguration } from '../../src/render/config.js';
import { testDeps } from '../helpers.js';

interface Memory {
  crds?: K8sObject[];
  nodes?: K8sObject[];
  openshift?: boolean;
  serverGitVersion?: string;
  denied?: string[];
}

function cluster(m: Memory): KubeClient {
  return {
    async get(ref: ObjectRef) {
      return ref.kind === 'CustomResourceDefinition' ? (m.crds ?? []).find((c) => c.metadata.name === ref.name) : undefined;
    },
    async *list(_apiVersion: string, kind: string) {
      yield* (kind === 'Node' ? m.nodes ?? [] : kind === 'CustomResourceDefinition' ? m.crds ?? [] : []);
    },
    async resourceFor(apiVersion: string) {
      return apiVersion === 'config.openshift.io/v1' && m.openshift ? { apiVersion, kind: 'ClusterVersion', plural: 'clusterversions', namespaced: false, verbs: ['list'] } : undefined;
    },
    async serverVersion() {
      const gitVersion = m.serverGitVersion ?? 'v1.34.0';
      return { major: '1', minor: '34', gitVersion };
    },
    async canI(_verb: string, _group: string, resource: string) {
      return (m.denied ?? []).includes(resource) ? { allowed: false, reason: 'no RBAC policy matched' } : { allowed: true };
    },
  } as unknown as KubeClient;
}

function gatewayCrd(kind: string, plural: string, versions: string[], annotations: Record<string, string> = {}): K8sObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.gateway.networking.k8s.io`, annotations },
    spec: { group: 'gateway.networking.k8s.io', names: { kind, plural }, versions: versions.map((name) => ({ name, served: true })) },
  } as unknown as K8sObject;
}

const node = (name: string, labels: Record<string, string> = {}, kubeletVersion = 'v1.34.0'): K8sObject =>
  ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, status: { nodeInfo: { kubeletVersion } } }) as unknown as K8sObject;

const brief = (msgs: PrecheckMessage[]) => msgs.map((m) => `${m.type.level} ${m.type.code} (${m.origin})`);

const AMBIENT: InstallPlan = { profile: 'ambient', cni: true, ztunnel: true, platform: '' };
const SIDECARS: InstallPlan = { profile: 'default', cni: false, ztunnel: false, platform: '' };

describe('checkGatewayApi (istioctl 1.30.3 checkGatewayAPIs)', () => {
  it('wants v1beta1 of Gateway, GatewayClass, HTTPRoute and ReferenceGrant (IST0156) and v1 of Gateway, GatewayClass, HTTPRoute and GRPCRoute (IST0172)', async () => {
    const msgs = await checkGatewayApi(cluster({
      crds: [
        gatewayCrd('Gateway', 'gateways', ['v1', 'v1beta1']),
        gatewayCrd('ReferenceGrant', 'referencegrants', ['v1alpha2']),
        gatewayCrd('GRPCRoute', 'grpcroutes', ['v1alpha2']),
        gatewayCrd('HTTPRoute', 'httproutes', ['v1beta1']),
        gatewayCrd('TCPRoute', 'tcproutes', ['v1alpha2']),
        gatewayCrd('GatewayClass', 'gatewayclasses', []),
      ],
    }));
    expect(msgs.map((m) => `${m.type.code} ${m.type.level} ${m.origin}: ${m.message}`)).toEqual([
      'IST0156 Error CustomResourceDefinition referencegrants.gateway.networking.k8s.io: The Gateway API CRD version v1alpha2 is lower than the minimum version: v1beta1',
      'IST0172 Warning CustomResourceDefinition grpcroutes.gateway.networking.k8s.io: The Gateway API CRD version v1alpha2 is lower than the minimum version: v1',
      'IST0172 Warning CustomResourceDefinition httproutes.gateway.networking.k8s.io: The Gateway API CRD version v1beta1 is lower than the minimum version: v1',
      'IST0156 Error CustomResourceDefinition gatewayclasses.gateway.networking.k8s.io: The Gateway API CRD version none is lower than the minimum version: v1beta1',
      'IST0172 Warning CustomResourceDefinition gatewayclasses.gateway.networking.k8s.io: The Gateway API CRD version none is lower than the minimum version: v1',
    ]);
  });
});

describe('checkGatewayApiForAmbient', () => {
  it('without the Gateway CRD: a Warning for a plan that runs ztunnel, naming the v1.5.1 standard install; Info otherwise', async () => {
    const [warning] = await checkGatewayApiForAmbient(cluster({}), AMBIENT);
    expect(brief([warning!])).toEqual(['Warning MSH0104 (Cluster)']);
    expect(warning!.message).toContain('profile "ambient" runs ambient mode, whose waypoints are Gateways of class istio-waypoint');
    expect(warning!.message).toContain('kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml');
    expect(brief(await checkGatewayApiForAmbient(cluster({}), SIDECARS))).toEqual(['Info MSH0104 (Cluster)']);
    expect(brief(await checkGatewayApiForAmbient(cluster({})))).toEqual(['Info MSH0104 (Cluster)']);
  });

  it('judges the bundle version of the Gateway CRD against v1.5', async () => {
    const at = (bundle: string) => cluster({ crds: [gatewayCrd('Gateway', 'gateways', ['v1'], { 'gateway.networking.k8s.io/bundle-version': bundle, 'gateway.networking.k8s.io/channel': 'standard' })] });
    const [old] = await checkGatewayApiForAmbient(at('v1.2.1'), AMBIENT);
    expect(old!.origin).toBe('CustomResourceDefinition gateways.gateway.networking.k8s.io');
    expect(old!.message).toMatch(/^The Gateway API CRDs are release v1\.2\.1 \(standard channel\), older than v1\.5\.1, /);
    expect(await checkGatewayApiForAmbient(at('v1.5.0'), AMBIENT)).toEqual([]);
    expect(await checkGatewayApiForAmbient(at('v1.6.0'), AMBIENT)).toEqual([]);
    expect(await checkGatewayApiForAmbient(at('v2.0.0'), AMBIENT)).toEqual([]);
    // No annotation (CRDs not from a release bundle): nothing to judge.
    expect(await checkGatewayApiForAmbient(cluster({ crds: [gatewayCrd('Gateway', 'gateways', ['v1'])] }), AMBIENT)).toEqual([]);
  });
});

describe('platform detection for the CNI node agent', () => {
  it.each([
    ['k3s by its kubelet', { nodes: [node('server-1', {}, 'v1.33.4+k3s1')] }, 'k3s'],
    ['k3s by the server version', { nodes: [], serverGitVersion: 'v1.33.4+k3s1' }, 'k3s'],
    ['k3d by its Node names on k3s', { nodes: [node('k3d-dev-server-0', {}, 'v1.33.4+k3s1')] }, 'k3d'],
    ['minikube by its Node label', { nodes: [node('minikube', { 'minikube.k8s.io/name': 'minikube' })] }, 'minikube'],
    ['MicroK8s by its Node label', { nodes: [node('host', { 'microk8s.io/cluster': 'true' })] }, 'microk8s'],
    ['OpenShift by config.openshift.io', { openshift: true, nodes: [node('worker-0')] }, 'openshift'],
  ] as [string, Memory, string][])('%s', async (_name, memory, platform) => {
    expect((await detectPlatform(cluster(memory)))?.platform).toBe(platform);
  });

  it('finds nothing on a plain cluster', async () => {
    expect(await detectPlatform(cluster({ nodes: [node('node-1', { 'kubernetes.io/os': 'linux' })] }))).toBeUndefined();
    expect(await checkPlatform(cluster({ nodes: [node('node-1')] }), AMBIENT)).toEqual([]);
  });

  it('names the platform setting and the chart\'s folders; a Warning when the plan runs the CNI node agent, none once it sets the platform', async () => {
    const k3s = cluster({ nodes: [node('server-1', {}, 'v1.33.4+k3s1')] });
    const [w] = await checkPlatform(k3s, AMBIENT);
    expect(brief([w!])).toEqual(['Warning MSH0105 (Cluster)']);
    expect(w!.message).toBe('The cluster looks like k3s (Node server-1 runs kubelet v1.33.4+k3s1); profile "ambient" runs the CNI node agent, which needs that platform\'s settings '
      + '(cniConfDir /var/lib/rancher/k3s/agent/etc/cni/net.d, cniBinDir /var/lib/rancher/k3s/data/cni): install with --set values.global.platform=k3s');
    expect(brief(await checkPlatform(k3s, SIDECARS))).toEqual(['Info MSH0105 (Cluster)']);
    expect(await checkPlatform(k3s, { ...AMBIENT, platform: 'k3s' })).toEqual([]);
    const [os] = await checkPlatform(cluster({ openshift: true }), AMBIENT);
    expect(os!.message).toContain('install with --set profile=openshift (sidecars) or --set profile=openshift-ambient (ambient)');
    expect(await checkPlatform(cluster({ openshift: true }), { profile: 'openshift-ambient', cni: true, ztunnel: true, platform: 'openshift' })).toEqual([]);
  });
});

describe('permissions', () => {
  it('asks for daemonsets only when the plan runs the CNI node agent or ztunnel', async () => {
    const c = cluster({ denied: ['daemonsets'] });
    expect(await checkPermissions(c, 'istio-system', SIDECARS)).toEqual([]);
    expect(await checkPermissions(c, 'istio-system')).toEqual([]);
    expect((await checkPermissions(c, 'istio-system', AMBIENT)).map((m) => `${m.type.code} ${m.message}`))
      .toEqual(['IST0141 Missing required permission to create resource daemonsets (no RBAC policy matched)']);
  });
});

describe('installPlanOf', () => {
  it('reads the components and the platform of the real profiles', async () => {
    const assets = await loadAssets(testDeps().deps);
    const plan = (profile: string, sets: string[] = []) => installPlanOf(resolveConfiguration(assets, { profile, sets }));
    expect(plan('ambient')).toEqual({ profile: 'ambient', cni: true, ztunnel: true, platform: '' });
    expect(plan('default')).toEqual({ profile: 'default', cni: false, ztunnel: false, platform: '' });
    expect(plan('openshift')).toMatchObject({ cni: true, ztunnel: false, platform: 'openshift' });
    expect(plan('ambient', ['values.global.platform=k3s'])).toMatchObject({ platform: 'k3s' });
  });
});
